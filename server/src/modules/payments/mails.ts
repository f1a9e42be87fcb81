import type { MailMessage } from '../../platform/mail/port.js';

type Mail = Omit<MailMessage, 'to'>;

/** The order's page, where the receipt can be read again and a refund asked for. */
export function orderPageUrl(publicUrl: string, orderId: string): string {
  return `${publicUrl}/me/orders/${orderId}`;
}

/** A title in a subject line: no control characters (header injection), not endless. */
function shown(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}

/** Minor units as a reader expects them: ₩39,000 (KRW has none) or US$12.50. */
export function formatMoney(amount: number, currency: 'KRW' | 'USD', locale: 'ko' | 'en'): string {
  const major = currency === 'USD' ? amount / 100 : amount;
  return new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US', { style: 'currency', currency }).format(major);
}

export interface ReceiptFacts {
  studentName: string;
  courseTitle: string;
  receiptNumber: string;
  listAmount: number;
  discountAmount: number;
  amount: number;
  currency: 'KRW' | 'USD';
  couponCode: string | null;
  paidAt: Date;
  orderUrl: string;
}

/** Korean first, then English, whatever the locale, since a receipt may be forwarded to an accountant. */
export function receiptMail(facts: ReceiptFacts): Mail {
  const title = shown(facts.courseTitle);
  const day = facts.paidAt.toISOString().slice(0, 10);
  const discount = (locale: 'ko' | 'en') =>
    facts.discountAmount > 0
      ? [
          locale === 'ko'
            ? `정가 ${formatMoney(facts.listAmount, facts.currency, 'ko')}, 할인 ${formatMoney(facts.discountAmount, facts.currency, 'ko')}${facts.couponCode ? ` (쿠폰 ${facts.couponCode})` : ''}`
            : `List price ${formatMoney(facts.listAmount, facts.currency, 'en')}, discount ${formatMoney(facts.discountAmount, facts.currency, 'en')}${facts.couponCode ? ` (coupon ${facts.couponCode})` : ''}`,
        ]
      : [];
  return {
    subject: `Lectio 결제 영수증 / Your receipt: ${title} (${facts.receiptNumber})`,
    text: [
      `${facts.studentName}님, 결제해 주셔서 감사합니다. 지금 바로 수강을 시작할 수 있습니다.`,
      `강의: ${title}`,
      ...discount('ko'),
      `결제 금액: ${formatMoney(facts.amount, facts.currency, 'ko')}`,
      `결제일: ${day}`,
      `영수증 번호: ${facts.receiptNumber}`,
      `주문 보기: ${facts.orderUrl}`,
      '',
      `Thank you, ${facts.studentName}. Your course is ready to start.`,
      `Course: ${title}`,
      ...discount('en'),
      `Amount paid: ${formatMoney(facts.amount, facts.currency, 'en')}`,
      `Date: ${day}`,
      `Receipt number: ${facts.receiptNumber}`,
      `View the order: ${facts.orderUrl}`,
    ].join('\n'),
  };
}

export interface RefundFacts {
  studentName: string;
  courseTitle: string;
  receiptNumber: string;
  refundedAmount: number;
  currency: 'KRW' | 'USD';
  orderUrl: string;
}

/** The money is back: the student is told, and that their access to the course has ended. */
export function refundCompletedMail(facts: RefundFacts): Mail {
  const title = shown(facts.courseTitle);
  return {
    subject: `Lectio 환불 완료 / Your refund is complete: ${title} (${facts.receiptNumber})`,
    text: [
      `${facts.studentName}님, "${title}" 주문(${facts.receiptNumber})의 환불이 완료되었습니다.`,
      `환불 금액: ${formatMoney(facts.refundedAmount, facts.currency, 'ko')}`,
      '카드사에 따라 실제 반영까지 며칠이 걸릴 수 있으며, 이 강의의 수강 권한은 종료되었습니다.',
      `주문 보기: ${facts.orderUrl}`,
      '',
      `${facts.studentName}, your refund for "${title}" (order ${facts.receiptNumber}) is complete.`,
      `Amount refunded: ${formatMoney(facts.refundedAmount, facts.currency, 'en')}`,
      'Your bank may take a few days to show it. Your access to this course has ended.',
      `View the order: ${facts.orderUrl}`,
    ].join('\n'),
  };
}
