import { describe, expect, it } from 'vitest';
import { lectioSecurityHeaders } from './security-headers.js';

const directives = (csp: unknown) =>
  new Map(
    String(csp)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name ?? '', values]),
  );

/** The page policy and the API policy, as directive name → sources. */
function policies(publicUrl: string, mediaBaseUrl: string) {
  const headers = lectioSecurityHeaders({ publicUrl, mediaBaseUrl });
  return {
    csp: directives(headers.document.fields['content-security-policy']),
    api: directives(headers.api.fields['content-security-policy']),
  };
}

describe('lectioSecurityHeaders', () => {
  it("lets a page load media from PUBLIC_URL's origin by name, so another name for the server still shows covers", () => {
    const { csp } = policies('http://127.0.0.1:3000', 'http://127.0.0.1:3000/media');
    for (const name of ['img-src', 'media-src', 'connect-src']) {
      expect(csp.get(name), name).toEqual(expect.arrayContaining(["'self'", 'http://127.0.0.1:3000']));
    }
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
  });

  it('names an edge on another origin for media, and nothing else', () => {
    const { csp, api } = policies('https://lectio.example', 'https://media.lectio.example/p');
    for (const name of ['img-src', 'media-src', 'connect-src']) {
      expect(csp.get(name), name).toContain('https://media.lectio.example');
      expect(csp.get(name), name).not.toContain('https://lectio.example');
    }
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(api.get('default-src')).toEqual(["'none'"]);
  });
});
