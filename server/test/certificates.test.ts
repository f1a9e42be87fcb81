import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateIssuer } from '../src/modules/certificates/issuer.js';
import { certificateJobHandlers, issueCertificateJob } from '../src/modules/certificates/jobs.js';
import { NAME_BOX, PAGE, renderCertificatePdf, type CertificateContent } from '../src/modules/certificates/pdf.js';
import { CertificateRepository } from '../src/modules/certificates/repository.js';
import { certificates } from '../src/modules/certificates/schema.js';
import type { MailMessage } from '../src/platform/mail/port.js';
import type { JobDeclaration, QueuePort } from '../src/platform/queue/port.js';
import type { StoragePort } from '../src/platform/storage/port.js';
import { errorCode, mailsTo } from './support/accounts.js';
import { insertCourse, signedInUser } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

const run = promisify(execFile);

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-certificates-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function pdfFile(pdf: Uint8Array, name: string): Promise<string> {
  const file = path.join(workDir, `${name}.pdf`);
  await writeFile(file, pdf);
  return file;
}

/** Every font of the PDF as pdffonts lists it: its name and whether it is embedded. */
async function fontsOf(file: string): Promise<{ name: string; embedded: boolean }[]> {
  const { stdout } = await run('pdffonts', [file]);
  return stdout
    .split('\n')
    .slice(2)
    .filter((line) => line.trim())
    .map((line) => {
      const match = /^(\S+)\s.*\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$/.exec(line);
      if (!match) throw new Error(`unexpected pdffonts line: ${line}`);
      return { name: match[1]!, embedded: match[2] === 'yes' };
    });
}

async function textOf(file: string): Promise<string> {
  return (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).stdout;
}

const DPI = 50;

/** The page as pdftoppm draws it at 50 dpi, one grey byte per pixel. */
async function pixelsOf(file: string, name: string) {
  const prefix = path.join(workDir, name);
  await run('pdftoppm', ['-r', String(DPI), '-png', '-singlefile', file, prefix]);
  const { data, info } = await sharp(await readFile(`${prefix}.png`))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('the certificate PDF', () => {
  const content: CertificateContent = {
    code: 'LC-7K3M-9QXA-2BDF',
    studentName: '김하늘',
    courseTitle: '입문자를 위한 파이썬',
    instructorName: '이도윤',
    completedAt: new Date('2026-03-14T03:00:00Z'),
    verifyUrl: 'https://lectio.example/certificates/LC-7K3M-9QXA-2BDF',
  };

  it('embeds its Hangul font, and its text (Korean name, title, dates, id, URL) reads back', async () => {
    const file = await pdfFile(await renderCertificatePdf(content), 'text');
    const fonts = await fontsOf(file);
    expect(fonts.length).toBeGreaterThan(0);
    expect(fonts.every((f) => f.embedded && f.name.includes('Pretendard'))).toBe(true);
    const text = await textOf(file);
    for (const expected of [
      '수료증',
      'Certificate of Completion',
      '김하늘',
      '입문자를 위한 파이썬',
      '이도윤',
      '2026년 3월 14일',
      'March 14, 2026',
      'LC-7K3M-9QXA-2BDF',
      'https://lectio.example/certificates/LC-7K3M-9QXA-2BDF',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('draws the name: two names give different ink in the name box and nowhere else, a blank name none', async () => {
    const [a, b, blank] = await Promise.all(
      [
        ['name-a', '김하늘'],
        ['name-b', '이서준'],
        ['name-blank', '   '],
      ].map(async ([name, studentName]) =>
        pixelsOf(await pdfFile(await renderCertificatePdf({ ...content, studentName: studentName! }), name!), name!),
      ),
    );
    const scale = a!.width / PAGE.width;
    expect(Math.round(scale * 72)).toBe(DPI);
    const box = {
      left: Math.floor(NAME_BOX.x * scale),
      right: Math.ceil((NAME_BOX.x + NAME_BOX.width) * scale),
      top: Math.floor(NAME_BOX.y * scale),
      bottom: Math.ceil((NAME_BOX.y + NAME_BOX.height) * scale),
    };
    const inBox = (i: number) => {
      const x = i % a!.width;
      const y = Math.floor(i / a!.width);
      return x >= box.left && x < box.right && y >= box.top && y < box.bottom;
    };
    let differentInBox = 0;
    let differentOutside = 0;
    let darkA = 0;
    let darkBlank = 0;
    for (let i = 0; i < a!.data.length; i++) {
      const differs = Math.abs(a!.data[i]! - b!.data[i]!) > 64;
      if (!inBox(i)) {
        if (differs) differentOutside++;
        continue;
      }
      if (differs) differentInBox++;
      if (a!.data[i]! < 128) darkA++;
      if (blank!.data[i]! < 200) darkBlank++;
    }
    // Missing glyphs would draw the same empty boxes (tofu) for both names, or nothing at all.
    expect(differentInBox).toBeGreaterThan(100);
    expect(darkA).toBeGreaterThan(150);
    expect(darkBlank).toBe(0);
    expect(differentOutside).toBe(0);
  });

  it('fits a very long name and title inside the page', async () => {
    const pdf = await renderCertificatePdf({
      ...content,
      studentName: '가나다라마바사아자차카타파하'.repeat(6),
      courseTitle: 'Introduction to Very Long Course Titles '.repeat(12),
    });
    const file = await pdfFile(pdf, 'long');
    const text = await textOf(file);
    expect(text).toContain('…');
    // One page: nothing spilled onto a second one.
    const { stdout } = await run('pdfinfo', [file]);
    expect(stdout).toMatch(/^Pages:\s+1$/m);
  });
});

describe.each(serverBackends())('certificates [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let instructor: Awaited<ReturnType<typeof signedInUser>>;

  const db = () => server.database.primary;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true', SEED_DEMO_DATA: 'false' });
    instructor = await signedInUser(server, 'instructor', { displayName: '이도윤' });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  async function issued(userId: string) {
    return waitUntil(async () => {
      const [row] = await db().select().from(certificates).where(eq(certificates.userId, userId));
      return row?.status === 'issued' ? row : undefined;
    }, 'the certificate to be issued');
  }

  it('issues one certificate however often completion is reported, stores its PDF and mails the student once', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: '입문자를 위한 파이썬' });
    const student = await signedInUser(server, 'student', { displayName: '김하늘' });
    const event = { userId: student.id, courseId: course.id, completedAt: new Date('2026-03-14T03:00:00Z') };
    await Promise.all([
      server.services.certificates.courseCompleted(event),
      server.services.certificates.courseCompleted(event),
    ]);
    await server.services.certificates.courseCompleted(event);

    const certificate = await issued(student.id);
    const rows = await db().select().from(certificates).where(eq(certificates.userId, student.id));
    expect(rows).toHaveLength(1);
    expect(certificate).toMatchObject({
      courseId: course.id,
      studentName: '김하늘',
      courseTitle: '입문자를 위한 파이썬',
      instructorName: '이도윤',
      pdfKey: `${certificate.code}.pdf`,
    });
    expect(certificate.code).toMatch(/^LC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

    const verifyUrl = `${server.url}/certificates/${certificate.code}`;
    const mails = await waitUntil(async () => {
      const found = (await mailsTo(server.url, student.email)).filter((m) => m.subject.includes('수료증'));
      return found.length > 0 ? found : undefined;
    }, 'the certificate mail');
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail!.subject).toContain('입문자를 위한 파이썬');
    expect(mail!.text.indexOf('수료')).toBeLessThan(mail!.text.indexOf('Congratulations'));
    expect(mail!.text).toContain(verifyUrl);
    expect(mail!.text).toContain(`${verifyUrl}?download=1`);

    // A completion reported again later changes nothing and mails nobody.
    await server.services.certificates.courseCompleted(event);
    expect(await db().select().from(certificates).where(eq(certificates.userId, student.id))).toHaveLength(1);

    // The student downloads it: the stored PDF, with the Korean name in an embedded Hangul font.
    const res = await student.client.call('GET', `/certificates/${certificate.code}/pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain(`lectio-certificate-${certificate.code}.pdf`);
    const file = await pdfFile(new Uint8Array(await res.arrayBuffer()), `served-${_name}`);
    expect((await fontsOf(file)).every((f) => f.embedded)).toBe(true);
    const text = await textOf(file);
    expect(text).toContain('김하늘');
    expect(text).toContain('입문자를 위한 파이썬');
    expect(text).toContain(verifyUrl);

    const admin = await signedInUser(server, 'admin');
    expect((await admin.client.call('GET', `/certificates/${certificate.code}/pdf`)).status).toBe(200);

    const mine = (await (await student.client.call('GET', '/me/certificates')).json()) as {
      items: { code: string; canDownload: boolean }[];
      total: number;
    };
    expect(mine.total).toBe(1);
    expect(mine.items[0]).toMatchObject({ code: certificate.code, canDownload: true });
  });

  it('issues a certificate when a student really completes a course (every lesson opened)', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: '글쓰기 기초' });
    const student = await signedInUser(server, 'student', { displayName: '한지우' });
    expect((await student.client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    for (const lessonId of [course.previewLessonId, course.paidLessonId]) {
      expect((await student.client.call('POST', `/lessons/${lessonId}/progress/opened`)).status).toBe(204);
    }
    const certificate = await issued(student.id);
    expect(certificate).toMatchObject({ courseId: course.id, studentName: '한지우', courseTitle: '글쓰기 기초' });
    const mine = (await (await student.client.call('GET', '/me/certificates')).json()) as { items: { code: string }[] };
    expect(mine.items.map((c) => c.code)).toEqual([certificate.code]);
  });

  it('verifies a certificate publicly, and keeps its PDF from anyone but its student and admins', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: 'Rust 시스템 프로그래밍' });
    const student = await signedInUser(server, 'student', { displayName: '박지민' });
    await server.services.certificates.courseCompleted({
      userId: student.id,
      courseId: course.id,
      completedAt: new Date('2026-05-02T10:00:00Z'),
    });
    const certificate = await issued(student.id);

    const anonymous = await fetch(`${server.url}/api/v1/certificates/${certificate.code}`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({
      code: certificate.code,
      studentName: '박지민',
      courseTitle: 'Rust 시스템 프로그래밍',
      courseSlug: course.slug,
      instructorName: '이도윤',
      completedAt: '2026-05-02T10:00:00.000Z',
      issuedAt: certificate.issuedAt!.toISOString(),
      status: 'issued',
      verifyUrl: `${server.url}/certificates/${certificate.code}`,
      canDownload: false,
    });
    // Typed by hand from the paper: lower case, no dashes, O for 0.
    const typed = certificate.code.toLowerCase().replace(/-/g, '').replace(/0/g, 'o');
    const byHand = await fetch(`${server.url}/api/v1/certificates/${typed}`);
    expect(((await byHand.json()) as { code: string }).code).toBe(certificate.code);
    const asOwner = (await (await student.client.call('GET', `/certificates/${certificate.code}`)).json()) as {
      canDownload: boolean;
    };
    expect(asOwner.canDownload).toBe(true);

    const stranger = await signedInUser(server, 'student');
    const refused = await stranger.client.call('GET', `/certificates/${certificate.code}/pdf`);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('forbidden');
    expect((await instructor.client.call('GET', `/certificates/${certificate.code}/pdf`)).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/certificates/${certificate.code}/pdf`)).status).toBe(401);
  });

  it('answers 404 for an unknown or malformed id, and 409 certificate_pending before the PDF exists', async () => {
    for (const code of ['LC-0000-0000-0000', 'not-a-code', 'LC-7K3M-9QXA-2BDU', '%E2%9C%93', 'x'.repeat(90)]) {
      const res = await fetch(`${server.url}/api/v1/certificates/${code}`);
      expect(res.status, code).toBe(404);
      expect(await errorCode(res)).toBe('certificate_not_found');
    }
    const stranger = await signedInUser(server, 'student');
    const unknownPdf = await stranger.client.call('GET', '/certificates/LC-0000-0000-0000/pdf');
    expect(unknownPdf.status).toBe(404);

    // A pending row as a completion leaves it before the worker runs (written directly, so no job issues it).
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const student = await signedInUser(server, 'student', { displayName: '최유진' });
    await db().insert(certificates).values({
      code: 'LC-PEND-1NG0-0000',
      userId: student.id,
      courseId: course.id,
      studentName: '최유진',
      courseTitle: 'Pending',
      instructorName: '이도윤',
      completedAt: new Date(),
    });
    const pending = await student.client.call('GET', '/certificates/LC-PEND-1NG0-0000/pdf');
    expect(pending.status).toBe(409);
    expect(await errorCode(pending)).toBe('certificate_pending');
    const shown = (await (await fetch(`${server.url}/api/v1/certificates/LC-PEND-1NG0-0000`)).json()) as {
      status: string;
      issuedAt: string | null;
    };
    expect(shown).toMatchObject({ status: 'pending', issuedAt: null });
  });

  it('leaves a certificate pending when storing its PDF fails, and issues it (one mail) on the retry', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: 'Crash course' });
    const student = await signedInUser(server, 'student', { displayName: '정하준' });
    const repository = new CertificateRepository(db());
    const [row] = await db()
      .insert(certificates)
      .values({
        code: 'LC-RETR-Y000-0000',
        userId: student.id,
        courseId: course.id,
        studentName: '정하준',
        courseTitle: 'Crash course',
        instructorName: '이도윤',
        completedAt: new Date(),
      })
      .returning();
    const stored = new Map<string, Buffer>();
    let failNextPut = true;
    const sent: { message: MailMessage; dedupeKey: string | undefined }[] = [];
    const issuer = new CertificateIssuer({
      certificates: repository,
      storage: {
        async putObject(_bucket, key, body) {
          if (failNextPut) {
            failNextPut = false;
            throw new Error('storage is down');
          }
          stored.set(key, body);
        },
      },
      notifications: {
        async sendEmail(message, options) {
          sent.push({ message, dedupeKey: options?.dedupeKey });
          return 'mail';
        },
      },
      render: renderCertificatePdf,
      publicUrl: server.url,
    });

    await expect(issuer.issue(row!.id)).rejects.toThrow('storage is down');
    expect((await repository.findById(row!.id))!.status).toBe('pending');
    expect(sent).toHaveLength(0);

    await issuer.issue(row!.id);
    const after = (await repository.findById(row!.id))!;
    expect(after).toMatchObject({ status: 'issued', pdfKey: 'LC-RETR-Y000-0000.pdf' });
    expect(stored.get('LC-RETR-Y000-0000.pdf')!.subarray(0, 5).toString()).toBe('%PDF-');
    // A third run (the job retried after a crash past the mark) owes only the mail, under the same key.
    await issuer.issue(row!.id);
    expect(stored.size).toBe(1);
    expect(new Set(sent.map((s) => s.dedupeKey))).toEqual(new Set([`certificate-issued:${row!.id}`]));
  });
  it('queues again a certificate still pending long after completion, and leaves a fresh one to its job', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const [stuck, fresh] = await Promise.all(
      ['LC-STVC-K000-0000', 'LC-FRES-H000-0000'].map(async (code, i) => {
        const student = await signedInUser(server, 'student');
        const [row] = await db()
          .insert(certificates)
          .values({
            code,
            userId: student.id,
            courseId: course.id,
            studentName: 'S',
            courseTitle: 'T',
            instructorName: 'I',
            completedAt: new Date(),
            createdAt: new Date(Date.now() - (i === 0 ? 3_600_000 : 0)),
          })
          .returning();
        return row!;
      }),
    );
    const enqueued: { name: string; payload: unknown; dedupeKey: string | undefined }[] = [];
    const queue = {
      async enqueue(job: JobDeclaration<unknown>, payload: unknown, options?: { dedupeKey?: string }) {
        enqueued.push({ name: job.name, payload, dedupeKey: options?.dedupeKey });
        return 'job';
      },
    } as unknown as QueuePort;
    const retry = certificateJobHandlers({
      db: db(),
      queue,
      storage: {} as StoragePort,
      publicUrl: server.url,
    }).find((r) => r.declaration.name === 'certificates.retry-pending')!;
    await retry.handle(
      {},
      { jobId: 'j', attempt: 1, signal: new AbortController().signal, reportProgress: async () => {} },
    );
    const queuedIds = enqueued
      .filter((e) => e.name === issueCertificateJob.name)
      .map((e) => (e.payload as { certificateId: string }).certificateId);
    expect(queuedIds).toContain(stuck!.id);
    expect(queuedIds).not.toContain(fresh!.id);
    // Not the first job's key, which a kept (failed) job would still hold.
    expect(
      enqueued.find((e) => (e.payload as { certificateId: string }).certificateId === stuck!.id)!.dedupeKey,
    ).toMatch(new RegExp(`^certificate-issue:${stuck!.id}:retry-\\d+$`));
  });
});
