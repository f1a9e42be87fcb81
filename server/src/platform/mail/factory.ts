import type { Config } from '../../config.js';
import type { DatabasePort } from '../db/port.js';
import { OutboxMail } from './outbox.js';
import type { MailPort } from './port.js';
import { SmtpMail } from './smtp.js';

/** The one place that picks the mail backend. */
export function createMail(config: Config['mail'], deps: { database: DatabasePort; from: string }): MailPort {
  if (config.backend === 'smtp') return new SmtpMail(config.url, config.from);
  return new OutboxMail(deps.database.primary, deps.from);
}
