// Review text and course descriptions come from users: they must reach the page as text, never
// as markup. These tests render the real components to HTML and look for what must not be there.
import i18next from 'i18next';
import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import en from '../i18n/en.json';
import { Markdown } from './components/Markdown';
import { ReviewItem } from './components/ReviewItem';
import type { Review } from './types';

const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources: { en: { translation: en } },
  lng: 'en',
  initAsync: false,
  interpolation: { escapeValue: false },
  showSupportNotice: false,
});

const render = (node: ReactNode) => renderToStaticMarkup(createElement(I18nextProvider, { i18n }, node));

const attack = '<img src=x onerror=alert(1)> <script>alert(2)</script> <a href="javascript:alert(3)">click</a>';

function review(body: string, reply: string | null = null): Review {
  return {
    id: 'r1',
    courseId: 'c1',
    rating: 4,
    body,
    author: { id: 'u1', displayName: '<b>Mallory</b>', deleted: false },
    status: 'visible',
    edited: false,
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-01T10:00:00.000Z',
    reply: reply === null ? null : { body: reply, repliedAt: '2026-11-02T10:00:00.000Z' },
  };
}

describe('review text', () => {
  it('is shown as text: no img, script or link element comes out of it', () => {
    const html = render(createElement(ReviewItem, { review: review(attack, attack) }));
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<a[\s>]/i);
    expect(html).not.toMatch(/<b>/i);
    expect(html).not.toMatch(/href="/i);
    // ...while the reader still sees exactly what was written, escaped.
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;Mallory&lt;/b&gt;');
  });

  it('keeps the line breaks of the text without turning them into markup', () => {
    const html = render(createElement(ReviewItem, { review: review('first line\nsecond line') }));
    expect(html).toContain('first line\nsecond line');
    expect(html).not.toMatch(/<br/i);
  });
});

describe('course description Markdown', () => {
  it('renders Markdown but no raw HTML', () => {
    const html = render(
      createElement(Markdown, null, `# Welcome\n\n**bold** text\n\n${attack}\n\n<div onclick="x()">div</div>`),
    );
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toMatch(/<h3[^>]*>Welcome<\/h3>/);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/onerror|onclick/i);
    expect(html).not.toMatch(/<div onclick/i);
  });

  it('neutralises javascript: and data: links, keeps http(s) ones', () => {
    const html = render(
      createElement(
        Markdown,
        null,
        '[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html,x) [d](https://example.com/x) [e](/courses/x)',
      ),
    );
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/data:text/i);
    expect(html).toContain('href="https://example.com/x"');
    expect(html).toContain('href="/courses/x"');
    expect(html).toMatch(/rel="nofollow noopener noreferrer ugc"/);
  });

  it('leaves out images (an external image would break the CSP and track readers)', () => {
    const html = render(createElement(Markdown, null, '![tracker](https://evil.example/pixel.png) after'));
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('after');
  });
});
