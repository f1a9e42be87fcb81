import type { TestCheckoutView } from './test-gateway.js';

/**
 * The test gateway's hosted checkout page: plain server-rendered HTML, no script, styled only by
 * /test-gateway/style.css (the app's CSP allows no inline style). Korean or English.
 */

export type PageLanguage = 'ko' | 'en';

export const STYLESHEET_PATH = '/test-gateway/style.css';

const TEXT = {
  en: {
    title: 'Lectio test payment',
    notice: 'Test mode: no real money moves. This page stands in for a card payment page.',
    item: 'Item',
    amount: 'Amount',
    email: 'Email',
    pay: (amount: string) => `Pay ${amount}`,
    decline: 'Decline the payment',
    back: 'Back to Lectio without paying',
    continue: 'Continue to Lectio',
    paid: 'This payment is already complete.',
    declined: 'This payment was declined.',
    expired: 'This checkout has expired. Start again from the course page.',
    notFoundTitle: 'Checkout not found',
    notFound: 'There is no checkout at this address. It may have been mistyped.',
    crossSite: 'This form must be sent from the checkout page itself.',
  },
  ko: {
    title: 'Lectio 테스트 결제',
    notice: '테스트 모드: 실제 돈은 오가지 않습니다. 이 페이지는 카드 결제 페이지를 대신합니다.',
    item: '상품',
    amount: '결제 금액',
    email: '이메일',
    pay: (amount: string) => `${amount} 결제하기`,
    decline: '결제 거절하기',
    back: '결제하지 않고 Lectio로 돌아가기',
    continue: 'Lectio로 계속하기',
    paid: '이미 결제가 완료되었습니다.',
    declined: '결제가 거절되었습니다.',
    expired: '결제 시간이 지났습니다. 강의 페이지에서 다시 시작해 주세요.',
    notFoundTitle: '결제를 찾을 수 없습니다',
    notFound: '이 주소의 결제가 없습니다. 주소를 다시 확인해 주세요.',
    crossSite: '이 요청은 결제 페이지에서 보내야 합니다.',
  },
} as const;

/** The best of ko/en for an Accept-Language header (English when neither is asked for). */
export function pickLanguage(acceptLanguage: string | undefined): PageLanguage {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'ko' || tag.startsWith('ko-')) return 'ko';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** Minor units (what the gateway stores) → "₩39,000" or "$12.50". */
export function formatAmount(amount: number, currency: string, language: PageLanguage): string {
  const format = new Intl.NumberFormat(language === 'ko' ? 'ko-KR' : 'en-US', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 0;
  return format.format(amount / 10 ** digits);
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Only http(s) links reach an href: the URLs come from the orders module, but a page must not trust that. */
const safeHref = (url: string): string | undefined => {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? escapeHtml(url) : undefined;
  } catch {
    return undefined;
  }
};

const link = (url: string, label: string) => {
  const href = safeHref(url);
  return href ? `<p class="back"><a href="${href}">${escapeHtml(label)}</a></p>` : '';
};

function layout(language: PageLanguage, heading: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(heading)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main aria-labelledby="page-title">
<h1 id="page-title">${escapeHtml(heading)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** The checkout page: Pay and Decline while open, otherwise what became of it and a way back. */
export function renderCheckoutPage(view: TestCheckoutView, language: PageLanguage): string {
  const t = TEXT[language];
  const amount = formatAmount(view.amount, view.currency, language);
  const details = `<p class="notice" role="note">${escapeHtml(t.notice)}</p>
<dl>
<dt>${escapeHtml(t.item)}</dt><dd>${escapeHtml(view.description)}</dd>
<dt>${escapeHtml(t.amount)}</dt><dd class="amount">${escapeHtml(amount)}</dd>
${view.customerEmail ? `<dt>${escapeHtml(t.email)}</dt><dd>${escapeHtml(view.customerEmail)}</dd>` : ''}
</dl>`;

  if (view.status === 'open') {
    const action = `/test-gateway/checkout/${encodeURIComponent(view.id)}`;
    return layout(
      language,
      t.title,
      `${details}
<div class="actions">
<form method="post" action="${escapeHtml(action)}/pay"><button type="submit" class="pay">${escapeHtml(t.pay(amount))}</button></form>
<form method="post" action="${escapeHtml(action)}/decline"><button type="submit" class="decline">${escapeHtml(t.decline)}</button></form>
</div>
${link(view.cancelUrl, t.back)}`,
    );
  }

  const paid = view.status === 'complete' && view.paymentStatus === 'paid';
  const message = paid ? t.paid : view.status === 'complete' ? t.declined : t.expired;
  return layout(
    language,
    t.title,
    `${details}
<p class="status" role="status">${escapeHtml(message)}</p>
${paid ? link(view.successUrl, t.continue) : link(view.cancelUrl, t.continue)}`,
  );
}

export function renderNotFoundPage(language: PageLanguage): string {
  const t = TEXT[language];
  return layout(language, t.notFoundTitle, `<p>${escapeHtml(t.notFound)}</p>`);
}

export function renderCrossSitePage(language: PageLanguage): string {
  const t = TEXT[language];
  return layout(language, t.title, `<p class="status" role="status">${escapeHtml(t.crossSite)}</p>`);
}

export const STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, -apple-system, "Apple SD Gothic Neo", "Noto Sans KR", sans-serif; }
body { margin: 0; padding: 2rem 1rem; line-height: 1.5; }
main { max-width: 28rem; margin: 0 auto; padding: 1.5rem; border: 1px solid #8886; border-radius: 0.75rem; }
h1 { font-size: 1.4rem; margin-top: 0; }
.notice { padding: 0.75rem; border-radius: 0.5rem; background: #fff3cd; color: #5c4400; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 0.25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.amount { font-size: 1.25rem; font-weight: 700; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.5rem 0 1rem; }
button { font: inherit; padding: 0.6rem 1.2rem; border-radius: 0.5rem; border: 1px solid #8888; cursor: pointer; }
button.pay { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
button:focus-visible, a:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.status { font-weight: 600; }
`;
