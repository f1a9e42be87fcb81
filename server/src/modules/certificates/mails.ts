import type { MailMessage } from '../../platform/mail/port.js';

type Mail = Omit<MailMessage, 'to'>;

/** The public page that verifies a certificate; printed on it and encoded in its QR code. */
export function certificateVerifyUrl(publicUrl: string, code: string): string {
  return `${publicUrl}/certificates/${code}`;
}

/**
 * The same page, asked to start the download: the PDF is only for its owner, so the link goes
 * through the app (which signs the student in first) rather than to a bare file URL.
 */
export function certificateDownloadUrl(publicUrl: string, code: string): string {
  return `${certificateVerifyUrl(publicUrl, code)}?download=1`;
}

/** A title in a subject line: no control characters (header injection), not endless. */
function shown(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}

/** Korean first, then English, whatever the locale, since a mail may be forwarded. */
export function certificateIssuedMail(
  certificate: { studentName: string; courseTitle: string; code: string },
  publicUrl: string,
): Mail {
  const title = shown(certificate.courseTitle);
  const verify = certificateVerifyUrl(publicUrl, certificate.code);
  const download = certificateDownloadUrl(publicUrl, certificate.code);
  return {
    subject: `Lectio 수료증 발급 / Your certificate is ready: ${title}`,
    text: [
      `${certificate.studentName}님, 수료를 축하합니다!`,
      `"${title}" 과정의 수료증이 발급되었습니다. 증서 번호: ${certificate.code}`,
      `수료증 확인: ${verify}`,
      `PDF 내려받기 (로그인 필요): ${download}`,
      '',
      `Congratulations, ${certificate.studentName}!`,
      `Your certificate for "${title}" has been issued. Certificate ID: ${certificate.code}`,
      `Verify it: ${verify}`,
      `Download the PDF (sign-in required): ${download}`,
    ].join('\n'),
  };
}
