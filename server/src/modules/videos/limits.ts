/**
 * Upload geometry and per-instructor limits. S3 allows at most 10,000 parts of at least 5 MiB
 * (but the last); parts of 8 MiB or more keep the request count low for typical lectures, and
 * the part size grows with the file so even a 20 GiB upload stays near 1,000 parts.
 */

const MiB = 1024 * 1024;

export const MIN_PART_BYTES = 8 * MiB;
/** The adaptive size aims at this many parts; S3's hard ceiling is MAX_PARTS. */
const TARGET_PARTS = 1000;
export const MAX_PARTS = 10_000;
/** Presigned part URLs live an hour: long enough for a slow part, short enough not to leak far. */
export const PART_URL_SECONDS = 3600;
/** Part URLs handed out in one call. */
export const MAX_PART_URLS_PER_CALL = 100;
/**
 * Calls a minute, per client address, of each per-part route (part URLs, recording a part): their
 * own budget, not the global one. An upload makes one of each per 8 MiB part (a gigabit uplink
 * about 14 a second), so under the global 600 a minute a fast upload was throttled and left
 * nothing for its address's other requests. One upload's largest plan a minute still bounds them.
 */
export const PART_CALLS_PER_MINUTE = MAX_PARTS;
/** Raw uploads go here, at `<ownerId>/<videoId>/source`; processed output to videos-processed. */
export const RAW_BUCKET = 'videos-raw' as const;
export const PROCESSED_BUCKET = 'videos-processed' as const;

export interface VideoLimits {
  maxUploadBytes: number;
  maxVideosPerInstructor: number;
  maxOpenUploadsPerInstructor: number;
  quotaBytesPerInstructor: number;
}

export interface PartPlan {
  partSize: number;
  partCount: number;
}

/** max(8 MiB, size / 1000 rounded up to a whole MiB); never more than 10,000 parts. */
export function planParts(sizeBytes: number): PartPlan {
  const adaptive = Math.ceil(Math.ceil(sizeBytes / TARGET_PARTS) / MiB) * MiB;
  let partSize = Math.max(MIN_PART_BYTES, adaptive);
  if (Math.ceil(sizeBytes / partSize) > MAX_PARTS) partSize = Math.ceil(sizeBytes / MAX_PARTS / MiB) * MiB;
  return { partSize, partCount: Math.max(1, Math.ceil(sizeBytes / partSize)) };
}

/** Bytes part `partNumber` must have: the part size, or what is left for the last one. */
export function expectedPartBytes(plan: PartPlan & { sizeBytes: number }, partNumber: number): number {
  if (partNumber < plan.partCount) return plan.partSize;
  return plan.sizeBytes - plan.partSize * (plan.partCount - 1);
}

export function rawKeyOf(ownerId: string, videoId: string): string {
  return `${ownerId}/${videoId}/source`;
}
