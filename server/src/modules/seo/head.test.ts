import { describe, expect, it } from 'vitest';
import { clip, escapeHtml, injectHead, summarize } from './head.js';

const SHELL = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Lectio</title>
    <script type="module" crossorigin src="/assets/index-abc.js"></script>
  </head>
  <body><div id="root"></div></body>
</html>`;

describe('link-preview head', () => {
  it('escapes everything that could end an attribute or open a tag', () => {
    expect(escapeHtml(`"><script>alert('x')</script>&`)).toBe(
      '&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;',
    );
  });

  it('replaces the shell title, sets the language and keeps the scripts', () => {
    const html = injectHead(SHELL, {
      title: 'Price $& $1 "quoted"',
      description: 'd',
      url: 'https://lectio.example/courses/x',
      type: 'website',
      locale: 'ko',
      image: 'https://lectio.example/media/covers/x/v1-w1280/1280.jpg',
    });
    expect(html.match(/<title>/g)).toHaveLength(1);
    // `$&` in a title is text, not a replacement pattern.
    expect(html).toContain('<title>Price $&#38; $1 &#34;quoted&#34;</title>');
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain(
      '<meta property="og:image" content="https://lectio.example/media/covers/x/v1-w1280/1280.jpg" />',
    );
    expect(html).toContain('<script type="module" crossorigin src="/assets/index-abc.js"></script>');
    expect(html.indexOf('og:title')).toBeLessThan(html.indexOf('</head>'));
  });

  it('turns Markdown into a short plain description', () => {
    expect(summarize('## 배우는 것\n\n- **변수**와 [함수](https://x.y)\n\n```py\nprint(1)\n```\n끝')).toBe(
      '배우는 것 변수와 함수 끝',
    );
    const long = clip('word '.repeat(100));
    expect(long.length).toBeLessThanOrEqual(160);
    expect(long.endsWith('word…')).toBe(true);
  });
});
