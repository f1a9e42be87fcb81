// What the player remembers between lessons and visits, per browser (localStorage).

const RATE_KEY = 'lectio.player.rate';
const CAPTIONS_KEY = 'lectio.player.captions';
const AUTOPLAY_KEY = 'lectio.player.autoplayNext';

export const MIN_RATE = 0.5;
export const MAX_RATE = 2;
export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

function read(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    // Storage disabled (private mode, a sandbox): nothing is remembered, nothing breaks.
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    // See read().
  }
}

export function clampRate(rate: number): number {
  if (!Number.isFinite(rate)) return 1;
  return Math.min(MAX_RATE, Math.max(MIN_RATE, rate));
}

export function rememberedRate(): number {
  const value = Number(read(RATE_KEY));
  return value ? clampRate(value) : 1;
}

export function rememberRate(rate: number): void {
  write(RATE_KEY, String(clampRate(rate)));
}

/** The caption language last chosen, `off` when captions were turned off, null when never chosen. */
export function rememberedCaptions(): string | null {
  return read(CAPTIONS_KEY);
}

export function rememberCaptions(language: string | 'off'): void {
  write(CAPTIONS_KEY, language);
}

export function rememberedAutoplay(): boolean {
  return read(AUTOPLAY_KEY) !== 'off';
}

export function rememberAutoplay(on: boolean): void {
  write(AUTOPLAY_KEY, on ? 'on' : 'off');
}
