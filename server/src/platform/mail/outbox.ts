import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/port.js';
import type { MailMessage, MailPort } from './port.js';
import { mailOutbox } from './schema.js';

export type StoredMail = typeof mailOutbox.$inferSelect;

/** The embedded mail backend: nothing leaves the machine; the dev mailbox page shows the mail. */
export class OutboxMail implements MailPort {
  readonly backend = 'outbox' as const;

  constructor(
    private readonly db: Db,
    private readonly from: string,
  ) {}

  async send(message: MailMessage): Promise<void> {
    await this.db.insert(mailOutbox).values({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html ?? null,
    });
  }

  async ping(): Promise<void> {
    await this.db.select({ id: mailOutbox.id }).from(mailOutbox).limit(1);
  }

  async close(): Promise<void> {}
}

/** Reads the outbox for the dev mailbox page, newest first. */
export class OutboxReader {
  constructor(private readonly db: Db) {}

  list(options: { limit: number; offset: number }): Promise<StoredMail[]> {
    return this.db
      .select()
      .from(mailOutbox)
      .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
      .limit(options.limit)
      .offset(options.offset);
  }

  async get(id: string): Promise<StoredMail | undefined> {
    const [row] = await this.db.select().from(mailOutbox).where(eq(mailOutbox.id, id));
    return row;
  }
}
