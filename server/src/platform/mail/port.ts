export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /**
   * A stable Message-ID for a mail that a retry may send again (a worker killed after the relay
   * took it but before the job recorded it): mailbox providers drop a second copy with the same
   * id, so the reader sees it once. Without it each send gets a fresh id.
   */
  messageId?: string;
}

export interface MailPort {
  readonly backend: 'outbox' | 'smtp';
  send(message: MailMessage): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
