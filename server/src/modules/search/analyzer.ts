/**
 * Text analysis for search, shared by the indexer (documents) and the query builder, so both sides
 * cut Korean text the same way. PostgreSQL has no Korean parser, and Korean glues particles onto
 * words (`파이썬을`, `데이터분석`), so Korean is indexed as overlapping character bigrams of every
 * Hangul run: `데이터분석` → 데이 이터 터분 분석, which `데이터` (데이 이터) matches as a phrase.
 */

/** Hangul syllables (가–힣) plus compatibility jamo, so `ㅋㅋ` or a half-typed syllable still forms a run. */
const HANGUL_RUN = /[\u3131-\u318e\uac00-\ud7a3]+/gu;
const HANGUL_CHAR = /^[\u3131-\u318e\uac00-\ud7a3]$/u;

/**
 * Particles (조사) that attach to the end of a word. Longest first, so `에서` wins over `서`-less `에`.
 * Only used on the query side: stripping them on documents would lose nothing but is not needed,
 * because a document's bigrams always contain the stem's bigrams.
 */
const PARTICLES = [
  '에서부터',
  '으로부터',
  '으로서',
  '으로써',
  '에게서',
  '한테서',
  '이라고',
  '에서',
  '에게',
  '한테',
  '으로',
  '까지',
  '부터',
  '처럼',
  '보다',
  '이나',
  '이랑',
  '라도',
  '마저',
  '조차',
  '하고',
  '이다',
  '입니다',
  '을',
  '를',
  '이',
  '가',
  '은',
  '는',
  '의',
  '에',
  '로',
  '와',
  '과',
  '도',
  '만',
  '나',
  '랑',
].sort((a, b) => b.length - a.length);

export function isHangul(char: string): boolean {
  return HANGUL_CHAR.test(char);
}

/** The Hangul runs of a text, in order. */
export function hangulRuns(text: string): string[] {
  return text.normalize('NFC').match(HANGUL_RUN) ?? [];
}

/** Overlapping 2-grams of one run; a single-syllable run is kept whole so `책` is still findable. */
export function bigramsOfRun(run: string): string[] {
  const chars = Array.from(run);
  if (chars.length < 2) return chars;
  const out: string[] = [];
  for (let i = 0; i < chars.length - 1; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/**
 * A document's bigrams, space separated, for `to_tsvector('simple', …)`. Runs are kept in order so
 * tsvector positions let a query ask for adjacent bigrams (`데이 <-> 이터`).
 */
export function documentBigrams(text: string): string {
  return hangulRuns(text).flatMap(bigramsOfRun).join(' ');
}

/**
 * The text with its Hangul runs blanked out: what the English configuration is given. Korean is
 * searched through bigrams alone and a query's Latin part never holds Hangul, so Korean words in
 * the English vector could never match; they made a Korean course's row a third larger. Blanking
 * them also splits a particle off the Latin word it is glued to: PostgreSQL's parser keeps
 * `React로` as one word, `react로`, which a search for `react` did not find.
 */
export function withoutHangul(text: string): string {
  return text.normalize('NFC').replace(HANGUL_RUN, ' ');
}

/**
 * Drops one trailing particle from a query word, but only when at least two syllables remain:
 * `파이썬을` → `파이썬`, `서울에서` → `서울`, while `사과` or `속도` stay whole (their last syllable
 * only looks like a particle). Over-stripping costs a little precision, never recall: the stem's
 * bigrams are a prefix of the full word's.
 */
export function stripParticle(run: string): string {
  const chars = Array.from(run);
  for (const particle of PARTICLES) {
    const p = Array.from(particle);
    if (chars.length - p.length >= 2 && run.endsWith(particle)) return chars.slice(0, chars.length - p.length).join('');
  }
  return run;
}

/** One Korean query word: a phrase of bigrams (all adjacent), or a prefix for a single syllable. */
export interface KoreanTerm {
  bigrams: string[];
  /** True for a one-syllable word: it matches any bigram starting with it (`책` → `책:*`). */
  prefix: boolean;
}

export interface AnalyzedQuery {
  /** Korean words after particle stripping, each a phrase of bigrams; all must match. */
  korean: KoreanTerm[];
  /** The non-Korean words, for `plainto_tsquery('english', …)`; empty when there are none. */
  latin: string;
  /** Lower-cased, NFKC-normalised whole query, for trigram similarity against `title_folded`. */
  folded: string;
}

/** NFKC then lower case, collapsing whitespace: what `title_folded` stores and what it is compared with. */
export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Splits a query into Korean phrases and the rest. A particle glued onto a Latin word (`AI로`,
 * `React를`) is a one-syllable run right after a letter or digit: it is dropped, not searched.
 */
export function analyzeQuery(query: string): AnalyzedQuery {
  const text = query.normalize('NFKC');
  const korean: KoreanTerm[] = [];
  for (const match of text.matchAll(HANGUL_RUN)) {
    const run = match[0];
    const before = match.index > 0 ? text[match.index - 1]! : ' ';
    const gluedToLatin = /[\p{L}\p{N}]/u.test(before);
    if (gluedToLatin && PARTICLES.includes(run)) continue;
    const stem = stripParticle(run);
    const grams = bigramsOfRun(stem);
    korean.push({ bigrams: grams, prefix: grams.length === 1 && Array.from(stem).length === 1 });
  }
  // Only letters and digits reach tsquery parsing; punctuation alone must not become a query.
  const latin = (text.replace(HANGUL_RUN, ' ').match(/[\p{L}\p{N}]+/gu) ?? []).join(' ');
  return { korean, latin, folded: fold(query) };
}

/**
 * The `to_tsquery('simple', …)` text for the Korean part, words ANDed. As a phrase (`a <-> b`)
 * each word's bigrams must be adjacent, which needs the positions in the heap row (GIN keeps
 * none), so matching uses `phrase: false` (every bigram present, answered by the index alone)
 * and ranking uses the phrase. `weight: 'A'` restricts to titles. Bigrams are Hangul only, so
 * they need no quoting; null when the query has no Korean.
 */
export function koreanTsQuery(
  terms: readonly KoreanTerm[],
  opts: { phrase?: boolean; weight?: '' | 'A' } = {},
): string | null {
  const { phrase = true, weight = '' } = opts;
  const w = weight ? `:${weight}` : '';
  const parts = terms
    .filter((t) => t.bigrams.length > 0)
    .map((t) =>
      t.prefix
        ? `${t.bigrams[0]}:*${weight}`
        : t.bigrams.length === 1
          ? `${t.bigrams[0]}${w}`
          : `(${t.bigrams.map((b) => `${b}${w}`).join(phrase ? ' <-> ' : ' & ')})`,
    );
  return parts.length ? parts.join(' & ') : null;
}

/**
 * Autocomplete's `to_tsquery('english', …)` for the Latin words, restricted to titles (weight A),
 * the last word a prefix because it is still being typed: `java scr` → `java:A & scr:*A`.
 */
export function latinPrefixTsQuery(latin: string): string | null {
  const words = latin.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return null;
  return words.map((word, i) => (i === words.length - 1 ? `${word}:*A` : `${word}:A`)).join(' & ');
}
