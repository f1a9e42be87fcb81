import { z } from 'zod';
import type { MailPort } from '../../platform/mail/port.js';
import { defineJob, registerJob } from '../../platform/queue/port.js';

export const sendEmailJob = defineJob({
  name: 'notifications.send-email',
  queue: 'default',
  // The design's order: transcoding high, email medium, statistics low.
  priority: 'medium',
  attempts: 5,
  backoffMs: 10_000,
  payload: z.object({
    to: z.array(z.string().email()).min(1).max(50),
    subject: z.string().min(1).max(300),
    text: z.string().max(100_000),
    html: z.string().max(500_000).optional(),
  }),
});

export const notificationJobs = [sendEmailJob];

export function notificationJobHandlers(deps: { mail: MailPort }) {
  return [registerJob(sendEmailJob, (message) => deps.mail.send(message))];
}
