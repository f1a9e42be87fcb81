/**
 * Adds `name=value` to a URL's query, keeping any query and fragment it has. The value goes in as
 * given, unencoded, because Stripe only fills in the literal `{CHECKOUT_SESSION_ID}` template.
 */
export function withQueryParam(url: string, name: string, value: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}${name}=${value}${fragment}`;
}
