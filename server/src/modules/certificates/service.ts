import type { Readable } from 'node:stream';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { CourseCompletionListener } from '../progress/ports.js';
import { generateCertificateCode, normalizeCertificateCode } from './code.js';
import { certificateVerifyUrl } from './mails.js';
import type { CertificateRepository, ListedCertificate } from './repository.js';

export const CERTIFICATES_BUCKET = 'certificates' as const;

export interface CertificateView {
  code: string;
  studentName: string;
  courseTitle: string;
  /** The course page's slug while the course is published; null once it is not public. */
  courseSlug: string | null;
  instructorName: string;
  completedAt: string;
  issuedAt: string | null;
  status: 'pending' | 'issued';
  verifyUrl: string;
  /** Whether the caller may download the PDF (its student or an admin), so a page can offer it. */
  canDownload: boolean;
}

/** How completion hands the PDF work to the worker: one job per certificate while one is queued. */
export interface CertificateIssueScheduler {
  scheduleIssue(certificateId: string): Promise<void>;
}

const notFound = () => new AppError(404, 'certificate_not_found', 'No certificate has this id.');
/** Codes are 60 random bits: a collision is freak luck, a second one in a row a broken generator. */
const CODE_ATTEMPTS = 3;

/**
 * Certificates: made pending when a course is completed (the worker renders and issues them),
 * verified publicly by code, downloaded by their student.
 */
export class CertificateService implements CourseCompletionListener {
  constructor(
    private readonly certificates: CertificateRepository,
    private readonly issuing: CertificateIssueScheduler,
    private readonly storage: { getObject(bucket: typeof CERTIFICATES_BUCKET, key: string): Promise<Readable> },
    private readonly options: { publicUrl: string },
    private readonly newCode: () => string = generateCertificateCode,
  ) {}

  /**
   * Idempotent: a student has one certificate per course however often completion is reported.
   * A still-pending certificate is scheduled again, so a completion whose first scheduling was
   * lost (a crash between the insert and the enqueue) is issued when the completion is retried.
   */
  async courseCompleted(event: { userId: string; courseId: string; completedAt: Date }): Promise<void> {
    let certificate = await this.certificates.findOf(event.userId, event.courseId);
    for (let attempt = 0; !certificate && attempt < CODE_ATTEMPTS; attempt++) {
      const snapshot = await this.certificates.snapshot(event.userId, event.courseId);
      // The student or the course is gone (an erased account, a deleted course): nothing to certify.
      if (!snapshot) return;
      certificate =
        (await this.certificates.insertPending({ ...event, code: this.newCode(), snapshot })) ??
        // Lost a race with a concurrent report for the same student and course, or the code was taken.
        (await this.certificates.findOf(event.userId, event.courseId));
    }
    if (!certificate) throw new Error('could not find a free certificate code');
    if (certificate.status === 'pending') await this.issuing.scheduleIssue(certificate.id);
  }

  /** Public: anyone holding the code (printed, in the QR code) may check it. */
  async verify(code: string, actor: Actor | undefined): Promise<CertificateView> {
    return this.view(await this.findByCode(code), actor);
  }

  /** The PDF of an issued certificate, for its student or an admin. */
  async pdf(code: string, actor: Actor): Promise<{ body: Readable; filename: string }> {
    const certificate = await this.findByCode(code);
    if (!can(actor, 'certificate.download', { ownerId: certificate.userId })) {
      throw new AppError(403, 'forbidden', 'Only the certificate holder may download it.');
    }
    if (certificate.status !== 'issued' || !certificate.pdfKey) {
      throw new AppError(409, 'certificate_pending', 'The certificate is still being issued; try again shortly.');
    }
    return {
      body: await this.storage.getObject(CERTIFICATES_BUCKET, certificate.pdfKey),
      filename: `lectio-certificate-${certificate.code}.pdf`,
    };
  }

  async mine(actor: Actor, paging: { page: number; pageSize: number }) {
    const { items, total } = await this.certificates.listOf(actor.userId, paging);
    return { items: items.map((c) => this.view(c, actor)), total, ...paging };
  }

  /** The student's certificate of a course, for progress pages: null until the course is completed. */
  async ofCourse(userId: string, courseId: string): Promise<{ code: string; url: string } | null> {
    const certificate = await this.certificates.findOf(userId, courseId);
    return certificate ? { code: certificate.code, url: this.verifyUrl(certificate.code) } : null;
  }

  private async findByCode(code: string): Promise<ListedCertificate> {
    const canonical = normalizeCertificateCode(code);
    const certificate = canonical ? await this.certificates.findByCode(canonical) : undefined;
    if (!certificate) throw notFound();
    return certificate;
  }

  private verifyUrl(code: string): string {
    return certificateVerifyUrl(this.options.publicUrl, code);
  }

  private view(c: ListedCertificate, actor: Actor | undefined): CertificateView {
    return {
      code: c.code,
      studentName: c.studentName,
      courseTitle: c.courseTitle,
      courseSlug: c.courseSlug,
      instructorName: c.instructorName,
      completedAt: c.completedAt.toISOString(),
      issuedAt: c.issuedAt?.toISOString() ?? null,
      status: c.status,
      verifyUrl: this.verifyUrl(c.code),
      canDownload: can(actor, 'certificate.download', { ownerId: c.userId }),
    };
  }
}
