import type { MailMessage } from '../../platform/mail/port.js';

type Mail = Omit<MailMessage, 'to'>;

/** A title in a subject line: no control characters (header injection), not endless. */
function shown(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}

interface DecisionFacts {
  studentName: string;
  courseTitle: string;
  receiptNumber: string;
  orderUrl: string;
  note: string | null;
}

/**
 * The admin's answer to a refund request, Korean first, then English, whatever the locale, since
 * a mail may be forwarded. The refund itself is confirmed by its own mail once the money is back.
 */
export function refundDecisionMail(decision: 'approved' | 'rejected', facts: DecisionFacts): Mail {
  const title = shown(facts.courseTitle);
  const note = facts.note?.trim() ? facts.note.trim() : null;
  if (decision === 'approved') {
    return {
      subject: `Lectio 환불 요청 승인 / Your refund request was approved: ${title}`,
      text: [
        `${facts.studentName}님, "${title}" 주문(${facts.receiptNumber})의 환불 요청이 승인되었습니다.`,
        '결제 수단으로 환불이 진행되며, 환불과 함께 강의 수강 권한은 종료됩니다.',
        ...(note ? [`관리자 메모: ${note}`] : []),
        `주문 보기: ${facts.orderUrl}`,
        '',
        `${facts.studentName}, your refund request for "${title}" (order ${facts.receiptNumber}) was approved.`,
        'The payment is being refunded to your payment method; your access to the course ends with the refund.',
        ...(note ? [`Note from our team: ${note}`] : []),
        `View the order: ${facts.orderUrl}`,
      ].join('\n'),
    };
  }
  return {
    subject: `Lectio 환불 요청 결과 / Your refund request was declined: ${title}`,
    text: [
      `${facts.studentName}님, "${title}" 주문(${facts.receiptNumber})의 환불 요청이 승인되지 않았습니다.`,
      ...(note ? [`사유: ${note}`] : []),
      `주문 보기: ${facts.orderUrl}`,
      '',
      `${facts.studentName}, your refund request for "${title}" (order ${facts.receiptNumber}) was declined.`,
      ...(note ? [`Reason: ${note}`] : []),
      `View the order: ${facts.orderUrl}`,
    ].join('\n'),
  };
}
