import type { MailMessage } from '../../platform/mail/port.js';
import { certificateIssuedMail, certificateVerifyUrl } from './mails.js';
import type { CertificateContent } from './pdf.js';
import type { CertificateRepository } from './repository.js';
import { CERTIFICATES_BUCKET } from './service.js';

export interface CertificateIssuerDeps {
  certificates: Pick<CertificateRepository, 'findById' | 'markIssued' | 'recipientOf'>;
  storage: {
    putObject(
      bucket: typeof CERTIFICATES_BUCKET,
      key: string,
      body: Buffer,
      options?: { contentType?: string },
    ): Promise<void>;
  };
  notifications: { sendEmail(message: MailMessage, options?: { dedupeKey?: string }): Promise<string> };
  render: (content: CertificateContent) => Promise<Buffer>;
  publicUrl: string;
  now?: () => Date;
}

/**
 * The worker's half: render, store, then mark issued, in that order, so a crash anywhere leaves
 * the certificate pending and the retry starts over (re-rendering is cheap and overwrites the
 * same key); nothing is ever served from a half-written file, since the PDF route reads only
 * issued rows. The mail follows the mark, keyed by the certificate so a re-run sends it once.
 */
export class CertificateIssuer {
  private readonly now: () => Date;

  constructor(private readonly deps: CertificateIssuerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async issue(certificateId: string): Promise<void> {
    const certificate = await this.deps.certificates.findById(certificateId);
    // Gone with its student's account: nobody to certify or mail.
    if (!certificate) return;
    if (certificate.status === 'pending') {
      const pdf = await this.deps.render({
        code: certificate.code,
        studentName: certificate.studentName,
        courseTitle: certificate.courseTitle,
        instructorName: certificate.instructorName,
        completedAt: certificate.completedAt,
        verifyUrl: certificateVerifyUrl(this.deps.publicUrl, certificate.code),
      });
      const key = `${certificate.code}.pdf`;
      await this.deps.storage.putObject(CERTIFICATES_BUCKET, key, pdf, { contentType: 'application/pdf' });
      await this.deps.certificates.markIssued(certificate.id, key, this.now());
    }
    // Also when it was issued already: a run that died after the mark still owes the mail.
    const recipient = await this.deps.certificates.recipientOf(certificate.userId);
    if (!recipient) return;
    await this.deps.notifications.sendEmail(
      { to: [recipient.email], ...certificateIssuedMail(certificate, this.deps.publicUrl) },
      { dedupeKey: `certificate-issued:${certificate.id}` },
    );
  }
}
