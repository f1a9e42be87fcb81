export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

export interface MailPort {
  readonly backend: 'outbox' | 'smtp';
  send(message: MailMessage): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
