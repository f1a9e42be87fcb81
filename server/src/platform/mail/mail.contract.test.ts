import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { freePort } from '../../../test/support/private-services.js';
import { OutboxMail, OutboxReader } from './outbox.js';
import type { MailPort } from './port.js';
import { SmtpMail } from './smtp.js';

interface Received {
  to: string[];
  raw: string;
}

/** A real SMTP peer on loopback that keeps what it receives. */
async function startSmtpPeer() {
  const received: Received[] = [];
  const port = await freePort();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, received, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Harness {
  mail: MailPort;
  /** What a recipient would find: subject and text of every delivered message. */
  delivered(): Promise<{ to: string[]; subject: string; body: string }[]>;
  dispose(): Promise<void>;
}

const harnesses: [string, () => Promise<Harness>][] = [
  [
    'outbox',
    async () => {
      const database: TestDatabase = await createTestDatabase('pglite');
      const reader = new OutboxReader(database.port.db);
      return {
        mail: new OutboxMail(database.port.primary, 'Lectio <no-reply@lectio.test>'),
        async delivered() {
          const rows = await reader.list({ limit: 50, offset: 0 });
          return rows.reverse().map((r) => ({ to: r.to, subject: r.subject, body: r.text }));
        },
        dispose: () => database.dispose(),
      };
    },
  ],
  [
    'smtp',
    async () => {
      const peer = await startSmtpPeer();
      const mail = new SmtpMail(`smtp://127.0.0.1:${peer.port}`, 'Lectio <no-reply@lectio.test>');
      return {
        mail,
        async delivered() {
          return peer.received.map((r) => ({
            to: r.to,
            subject: /^Subject: (.*)$/m.exec(r.raw)?.[1] ?? '',
            body: r.raw,
          }));
        },
        async dispose() {
          await mail.close();
          await peer.stop();
        },
      };
    },
  ],
];

describe.each(harnesses)('mail contract [%s]', (_name, makeHarness) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await makeHarness();
  });
  afterAll(() => harness.dispose());

  it('answers ping', async () => {
    await expect(harness.mail.ping()).resolves.toBeUndefined();
  });

  it('delivers a message to its recipients with subject and text', async () => {
    await harness.mail.send({
      to: ['student@example.com'],
      subject: 'Welcome to Lectio',
      text: 'Your verification code is 123456',
    });
    const delivered = await harness.delivered();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.to).toEqual(['student@example.com']);
    expect(delivered[0]?.subject).toBe('Welcome to Lectio');
    expect(delivered[0]?.body).toContain('123456');
  });
});
