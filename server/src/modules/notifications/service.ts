import type { MailMessage } from '../../platform/mail/port.js';
import type { QueuePort } from '../../platform/queue/port.js';
import { sendEmailJob } from './jobs.js';

/** Mail goes out through the queue, so a slow relay never holds a request and failures retry. */
export class NotificationService {
  constructor(private readonly queue: QueuePort) {}

  async sendEmail(message: MailMessage, options: { dedupeKey?: string } = {}): Promise<string> {
    return this.queue.enqueue(sendEmailJob, message, options);
  }
}
