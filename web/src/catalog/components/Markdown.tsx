import ReactMarkdown, { defaultUrlTransform, type Components } from 'react-markdown';

// Instructors write Markdown; it is shown without any raw HTML (react-markdown escapes it unless
// told otherwise, and skipHtml drops it altogether), links go only to http(s)/mailto/relative
// URLs (javascript: and the like become empty), and images are left out: an external image
// would be blocked by the CSP and would let an instructor track readers.
const ALLOWED = [
  'p',
  'br',
  'strong',
  'em',
  'del',
  'a',
  'ul',
  'ol',
  'li',
  'blockquote',
  'code',
  'pre',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
];

export function safeUrl(url: string): string {
  const transformed = defaultUrlTransform(url);
  return /^(https?:|mailto:|\/|#)/i.test(transformed) ? transformed : '';
}

// The page owns h1 and h2: headings in the text start one level below the section they are in.
const components: Components = {
  h1: ({ children }) => <h3 className="mt-5 text-lg font-bold">{children}</h3>,
  h2: ({ children }) => <h4 className="mt-4 font-bold">{children}</h4>,
  h3: ({ children }) => <h5 className="mt-4 font-bold">{children}</h5>,
  h4: ({ children }) => <h6 className="mt-3 font-bold">{children}</h6>,
  h5: ({ children }) => <h6 className="mt-3 font-bold">{children}</h6>,
  h6: ({ children }) => <h6 className="mt-3 font-bold">{children}</h6>,
  a: ({ href, children }) =>
    href ? (
      <a
        href={href}
        rel="nofollow noopener noreferrer ugc"
        target={href.startsWith('/') || href.startsWith('#') ? undefined : '_blank'}
        className="font-medium text-indigo-700 underline underline-offset-4 hover:text-indigo-900"
      >
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  ul: ({ children }) => <ul className="my-3 list-disc space-y-1 pl-6">{children}</ul>,
  ol: ({ children }) => <ol className="my-3 list-decimal space-y-1 pl-6">{children}</ol>,
  p: ({ children }) => <p className="my-3 leading-7">{children}</p>,
  blockquote: ({ children }) => (
    <blockquote className="my-3 border-l-4 border-slate-300 pl-4 text-slate-600">{children}</blockquote>
  ),
  pre: ({ children }) => (
    // A code block's <code> would otherwise keep the inline-code chip: light text on a light chip.
    <pre className="my-3 overflow-x-auto rounded-md bg-slate-900 p-3 text-sm text-slate-100 [&>code]:bg-transparent [&>code]:px-0">
      {children}
    </pre>
  ),
  code: ({ children }) => <code className="rounded bg-slate-100 px-1 font-mono text-sm">{children}</code>,
};

export function Markdown({ children, className }: { children: string; className?: string }) {
  return (
    <div className={className}>
      <ReactMarkdown skipHtml allowedElements={ALLOWED} unwrapDisallowed urlTransform={safeUrl} components={components}>
        {children}
      </ReactMarkdown>
    </div>
  );
}
