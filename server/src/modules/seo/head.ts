/** The link-preview tags of one page, as plain text; `renderHead` escapes every value. */
export interface PageHead {
  title: string;
  description: string;
  /** Absolute URL of the page: canonical link and og:url. */
  url: string;
  type: 'website' | 'profile' | 'article';
  locale: 'ko' | 'en';
  /** Absolute URL of a JPEG, when the page has one. */
  image?: string;
}

const OG_LOCALES = { ko: 'ko_KR', en: 'en_US' } as const;
const DESCRIPTION_LIMIT = 160;

/** Escapes for both element text and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Markdown reduced to a one-line plain-text summary: previews show text, never markup, and a
 * description cut mid-word reads badly, so it ends at a word boundary with an ellipsis.
 */
export function summarize(markdown: string, limit = DESCRIPTION_LIMIT): string {
  return clip(
    markdown
      .replace(/```[\s\S]*?```/g, ' ')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]*>/g, ' ')
      .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
      .replace(/[*_`~]+/g, ''),
    limit,
  );
}

/** Plain text on one line, cut at a word boundary with an ellipsis when longer than `limit`. */
export function clip(plain: string, limit = DESCRIPTION_LIMIT): string {
  const text = plain.replace(/\s+/g, ' ').trim();
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > limit / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}

export function renderHead(head: PageHead): string {
  const meta = (attr: 'name' | 'property', key: string, content: string) =>
    `<meta ${attr}="${key}" content="${escapeHtml(content)}" />`;
  return [
    `<title>${escapeHtml(head.title)}</title>`,
    meta('name', 'description', head.description),
    `<link rel="canonical" href="${escapeHtml(head.url)}" />`,
    meta('property', 'og:site_name', 'Lectio'),
    meta('property', 'og:title', head.title),
    meta('property', 'og:description', head.description),
    meta('property', 'og:type', head.type),
    meta('property', 'og:url', head.url),
    meta('property', 'og:locale', OG_LOCALES[head.locale]),
    ...(head.image ? [meta('property', 'og:image', head.image)] : []),
    meta('name', 'twitter:card', head.image ? 'summary_large_image' : 'summary'),
  ].join('\n    ');
}

/**
 * Puts the tags into the built index.html: its own <title> and description (if any) are replaced,
 * everything else (scripts, styles) is left exactly as Vite wrote it.
 */
export function injectHead(shell: string, head: PageHead): string {
  const withoutDefaults = shell
    .replace(/<title>[\s\S]*?<\/title>\s*/i, '')
    .replace(/<meta\s+name=["']description["'][^>]*>\s*/i, '')
    .replace(/<html([^>]*)\slang=["'][^"']*["']/i, `<html$1 lang="${head.locale}"`);
  const tags = renderHead(head);
  // A function replacement: `$` sequences in a title must not be read as replacement patterns.
  return withoutDefaults.replace(/<\/head>/i, () => `    ${tags}\n  </head>`);
}
