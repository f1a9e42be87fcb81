import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

/**
 * Argon2id at OWASP's minimum for it (19 MiB, 2 passes, 1 lane). The parameters are written into
 * every hash, so raising them later only needs a rehash on the next successful log-in.
 */
export const ARGON2_PARAMS = {
  // @node-rs/argon2 exports Algorithm as a const enum, which isolatedModules cannot inline: 2 = Argon2id.
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** NFC so that the same password typed on macOS and Windows (Hangul especially) hashes the same. */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

export function passwordProblem(password: string): string | undefined {
  const length = [...normalizePassword(password)].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}

/**
 * Hashes running at once in this process. Each holds its 19 MiB for its whole run on one of libuv's
 * four threads, which file reads and DNS share: uncapped, a burst of log-ins took all four and
 * about 80 MB. The start-up sets it from the configuration (`PASSWORD_HASH_CONCURRENCY`, by
 * default one per core of the host shared out over its API processes: see `hashesPerProcess`);
 * until then, two. Measured in docs/benchmarks.md ("API process memory").
 */
export const DEFAULT_CONCURRENT_HASHES = 2;
const hashing = pLimit(DEFAULT_CONCURRENT_HASHES);

/**
 * Called once at start-up. A module-wide limit, not one per service: the hashes of sign-up, log-in
 * and password change share the same threads and memory.
 */
export function limitConcurrentHashes(concurrency: number): void {
  hashing.concurrency = concurrency;
}

export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(normalizePassword(password), ARGON2_PARAMS));
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return hashing(() => verify(passwordHash, normalizePassword(password))).catch(() => false);
}

/** True when a stored hash was made with other parameters than today's and should be redone. */
export function needsRehash(passwordHash: string): boolean {
  const { memoryCost, timeCost, parallelism } = ARGON2_PARAMS;
  return !passwordHash.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`);
}
