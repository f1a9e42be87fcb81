import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { ApiClient } from './accounts.js';
import type { TestServer } from './servers.js';

export const PASSWORD = 'catalog-tests-password';
export const unique = () => randomBytes(4).toString('hex');

/** A user of the given role, created directly and signed in through the API. */
export async function signedInAs(
  server: TestServer,
  role: 'student' | 'instructor' | 'admin',
  ip: string,
  displayName = `${role} ${unique()}`,
): Promise<ApiClient & { userId: string }> {
  const email = `${role}-${unique()}@example.com`;
  const user = await server.services.users.createUser({ email, password: PASSWORD, displayName, role });
  const client = new ApiClient(server.url, ip);
  const res = await client.login(email, PASSWORD);
  if (res.status !== 200) throw new Error(`log-in failed: ${res.status}`);
  return Object.assign(client, { userId: user.id });
}

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Sends raw bytes (an image, a file) as the body, as a browser's fetch of a File would. */
export function sendRaw(
  client: ApiClient,
  method: string,
  path: string,
  body: Buffer,
  contentType: string,
): Promise<Response> {
  return fetch(`${client.baseUrl}/api/v1${path}`, {
    method,
    headers: {
      'x-forwarded-for': client.ip,
      'content-type': contentType,
      ...(client.accessToken ? { authorization: `Bearer ${client.accessToken}` } : {}),
    },
    body: new Uint8Array(body),
  });
}

/** A real photo-like image: a gradient with shapes, so encoders have something to do. */
export async function testImage(width: number, height: number, format: 'jpeg' | 'png' | 'webp' = 'jpeg') {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#1e40af"/><stop offset="1" stop-color="#f59e0b"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="#fff"/>
  </svg>`;
  return sharp(Buffer.from(svg)).toFormat(format).toBuffer();
}

export interface Built {
  id: string;
  slug: string;
  sectionIds: string[];
  lessonIds: string[];
}

/**
 * A course through the studio API: a draft with a category and price, `sections` sections of
 * `lessons` text lessons each (the very first a free preview), and a cover when `publish` is set
 * (then it is published too).
 */
export async function buildCourse(
  owner: ApiClient,
  input: { title: string; categoryId: string; price?: { amount: number; currency: 'KRW' | 'USD' } | null },
  shape: { sections?: number; lessons?: number; publish?: boolean } = {},
): Promise<Built> {
  const created = await owner.call('POST', '/studio/courses', {
    title: input.title,
    subtitle: 'A subtitle',
    description: '# About\nLearn things.',
    level: 'beginner',
    language: 'ko',
    price: input.price === undefined ? { amount: 0, currency: 'KRW' } : input.price,
    categoryId: input.categoryId,
    tags: ['python'],
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const course = await json<{ id: string; slug: string }>(created);
  const sectionIds: string[] = [];
  const lessonIds: string[] = [];
  for (let s = 0; s < (shape.sections ?? 1); s += 1) {
    const section = await json<{ id: string }>(
      await owner.call('POST', `/studio/courses/${course.id}/sections`, { title: `Section ${s + 1}` }),
    );
    sectionIds.push(section.id);
    for (let l = 0; l < (shape.lessons ?? 1); l += 1) {
      const res = await owner.call('POST', `/studio/sections/${section.id}/lessons`, {
        title: `Lesson ${s + 1}.${l + 1}`,
        type: 'text',
        isFreePreview: s === 0 && l === 0,
        durationSeconds: 60 * (l + 1),
        body: `Body of lesson ${s + 1}.${l + 1}`,
      });
      if (res.status !== 201) throw new Error(`lesson: ${res.status} ${await res.text()}`);
      lessonIds.push((await json<{ id: string }>(res)).id);
    }
  }
  if (shape.publish) {
    const cover = await sendRaw(
      owner,
      'PUT',
      `/studio/courses/${course.id}/cover`,
      await testImage(1280, 720),
      'image/jpeg',
    );
    if (cover.status !== 200) throw new Error(`cover: ${cover.status} ${await cover.text()}`);
    const published = await owner.call('POST', `/studio/courses/${course.id}/publish`);
    if (published.status !== 200) throw new Error(`publish: ${published.status} ${await published.text()}`);
  }
  return { id: course.id, slug: course.slug, sectionIds, lessonIds };
}
