// The verification page's states, rendered by the real component: what a visitor reads.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import i18next from 'i18next';
import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import en from '../i18n/en.json';
import ko from '../i18n/ko.json';
import type { Certificate } from './api';
import { CertificateView } from './CertificatePage';

function render(node: ReactNode, language: 'en' | 'ko' = 'en'): string {
  const i18n = i18next.createInstance();
  void i18n.use(initReactI18next).init({
    resources: { en: { translation: en }, ko: { translation: ko } },
    lng: language,
    initAsync: false,
    interpolation: { escapeValue: false },
    showSupportNotice: false,
  });
  return renderToStaticMarkup(
    createElement(
      QueryClientProvider,
      { client: new QueryClient() },
      createElement(MemoryRouter, null, createElement(I18nextProvider, { i18n }, node)),
    ),
  );
}

const issued: Certificate = {
  code: 'LC-7K3M-9QXA-2BDF',
  studentName: '김하늘',
  courseTitle: '입문자를 위한 파이썬',
  courseSlug: 'python-101',
  instructorName: '이도윤',
  // Late on 13 March in UTC is already 14 March in Seoul, the day the PDF prints.
  completedAt: '2026-03-13T20:00:00.000Z',
  issuedAt: '2026-03-13T20:00:05.000Z',
  status: 'issued',
  verifyUrl: 'https://lectio.example/certificates/LC-7K3M-9QXA-2BDF',
  canDownload: false,
};

describe('certificate verification page', () => {
  it('says in words that an issued certificate is valid, with what it certifies', () => {
    const html = render(createElement(CertificateView, { certificate: issued, signedIn: false }));
    expect(html).toContain('role="status"');
    expect(html).toContain('Valid certificate');
    expect(html).toContain('<h1');
    expect(html).toContain('김하늘');
    expect(html).toContain('href="/courses/python-101"');
    expect(html).toContain('이도윤');
    expect(html).toContain('March 14, 2026');
    expect(html).toContain('LC-7K3M-9QXA-2BDF');
    expect(html).not.toContain('Download PDF');
  });

  it('shows the date in the reader’s language', () => {
    const html = render(createElement(CertificateView, { certificate: issued, signedIn: false }), 'ko');
    expect(html).toContain('유효한 수료증입니다');
    expect(html).toContain('2026년 3월 14일');
  });

  it('offers the download to its student, and says so while the PDF is still being made', () => {
    const mine = render(
      createElement(CertificateView, { certificate: { ...issued, canDownload: true }, signedIn: true }),
    );
    expect(mine).toMatch(/<button[^>]*>Download PDF<\/button>/);
    const pending = render(
      createElement(CertificateView, {
        certificate: { ...issued, status: 'pending', issuedAt: null, canDownload: true },
        signedIn: true,
      }),
    );
    expect(pending).toContain('Being issued');
    expect(pending).not.toContain('Valid certificate');
    expect(pending).toMatch(/<button[^>]*disabled=""[^>]*>Download PDF<\/button>/);
  });

  it('shows a course that is no longer public as plain text', () => {
    const html = render(
      createElement(CertificateView, { certificate: { ...issued, courseSlug: null }, signedIn: false }),
    );
    expect(html).toContain('입문자를 위한 파이썬');
    expect(html).not.toContain('href="/courses/');
  });
});
