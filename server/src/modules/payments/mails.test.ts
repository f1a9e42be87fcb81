import { describe, expect, it } from 'vitest';
import { formatMoney, receiptMail, refundCompletedMail } from './mails.js';
import { receiptNumberOf } from './views.js';

describe('payment mails', () => {
  it('writes amounts as readers expect them: won without decimals, dollars from cents', () => {
    expect(formatMoney(39_000, 'KRW', 'ko')).toBe('₩39,000');
    expect(formatMoney(1_999, 'USD', 'en')).toBe('$19.99');
  });

  it('gives a receipt in Korean then English, with the discount, the receipt number and the order link', () => {
    const mail = receiptMail({
      studentName: '김학생',
      courseTitle: '실전 SQL\r\nBcc: someone@example.com',
      receiptNumber: receiptNumberOf('0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d'),
      listAmount: 50_000,
      discountAmount: 5_000,
      amount: 45_000,
      currency: 'KRW',
      couponCode: 'SPRING',
      paidAt: new Date('2025-03-01T09:00:00Z'),
      orderUrl: 'https://lectio.example/me/orders/0a1b2c3d',
    });
    // No header injection through a course title.
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain('LR-0A1B2C3D4E5F');
    const [korean, english] = mail.text.split('\n\n');
    expect(korean).toContain('결제 금액: ₩45,000');
    expect(korean).toContain('할인 ₩5,000 (쿠폰 SPRING)');
    expect(english).toContain('Amount paid: ₩45,000');
    expect(english).toContain('Receipt number: LR-0A1B2C3D4E5F');
    expect(mail.text.indexOf('결제 금액')).toBeLessThan(mail.text.indexOf('Amount paid'));
    expect(mail.text).toContain('https://lectio.example/me/orders/0a1b2c3d');
  });

  it('confirms a refund and says access has ended', () => {
    const mail = refundCompletedMail({
      studentName: 'Kim',
      courseTitle: 'SQL',
      receiptNumber: 'LR-0A1B2C3D4E5F',
      refundedAmount: 1_999,
      currency: 'USD',
      orderUrl: 'https://lectio.example/me/orders/x',
    });
    expect(mail.text).toContain('Amount refunded: $19.99');
    expect(mail.text).toContain('Your access to this course has ended.');
  });
});
