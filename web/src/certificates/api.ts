// Certificates API (docs/design/certificates.md): public verification by code, the holder's PDF.
import { apiErrorFrom } from '../api/apiError';
import type { components } from '../api/schema';
import { session } from '../auth/session';
import { request } from '../catalog/api';

/**
 * GET /certificates/:code. `courseSlug` links the course page while the course is published;
 * `canDownload` is true when the caller is its student or an admin.
 */
export type Certificate = components['schemas']['Certificate'];

export const certificateKeys = {
  // The answer depends on who asks (canDownload), so the viewer is part of the key.
  one: (code: string, viewer: string | null) => ['certificates', code, viewer ?? 'anonymous'] as const,
};

const segment = encodeURIComponent;

export function fetchCertificate(code: string, signal?: AbortSignal): Promise<Certificate> {
  return request<Certificate>('GET', `/certificates/${segment(code)}`, { signal });
}

/** The PDF as a Blob, fetched with the session's token (a plain link could not send it). */
export async function fetchCertificatePdf(code: string): Promise<Blob> {
  const path = `/api/v1/certificates/${segment(code)}/pdf`;
  const response = await session.fetch(path, { credentials: 'include', headers: { Accept: 'application/pdf' } });
  if (!response.ok) {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    throw apiErrorFrom(`GET ${path}`, response.status, response.headers, body);
  }
  return response.blob();
}

/** Saves a Blob under `filename` through a temporary link, as a download. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
