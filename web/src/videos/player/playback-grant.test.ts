import { describe, expect, it } from 'vitest';
import type { PlaybackGrant } from './api';
import { PlaybackGrantKeeper, playbackTokenOf, withPlaybackToken, type GrantTrouble } from './playback-grant';

const VIDEO = '0b6f3a52-9c4e-4d0a-8f43-5f6d1f7a2c11';
const SIG = 'a'.repeat(43);

function grant(token: string, renewAtMs: number, expiresAtMs: number, sessionId: string | null = 's-1'): PlaybackGrant {
  return {
    sessionId,
    lessonId: 'l-1',
    courseId: 'c-1',
    videoId: VIDEO,
    durationSeconds: 90,
    renewAt: new Date(renewAtMs).toISOString(),
    expiresAt: new Date(expiresAtMs).toISOString(),
    hlsUrl: `https://media.example/media/p/${token}/videos/${VIDEO}/v1/master.m3u8`,
    posterUrl: null,
    storyboardUrl: null,
    captions: [],
  };
}

/** A hand-driven clock and timer queue. */
function fakeTime() {
  let now = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let next = 1;
  return {
    now: () => now,
    setTimer: (callback: () => void, ms: number) => {
      timers.set(next, { at: now + ms, callback });
      return next++;
    },
    clearTimer: (id: unknown) => void timers.delete(id as number),
    async advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.callback();
        }
      }
      // Let the renewal's promise chain settle.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

describe('playback token rewriting', () => {
  it('finds and replaces the token segment of playlist and segment URLs, relative or absolute', () => {
    const token = `1900000000.user-1.${SIG}`;
    const url = `https://cdn.example/media/p/${token}/videos/${VIDEO}/v1/720p/seg_00003.ts`;
    expect(playbackTokenOf(url)).toBe(token);
    expect(withPlaybackToken(url, 'NEW')).toBe(`https://cdn.example/media/p/NEW/videos/${VIDEO}/v1/720p/seg_00003.ts`);
    expect(withPlaybackToken(`/media/p/${token}/videos/${VIDEO}/v1/master.m3u8`, 'NEW')).toBe(
      `/media/p/NEW/videos/${VIDEO}/v1/master.m3u8`,
    );
    expect(withPlaybackToken('/api/v1/lessons/x', 'NEW')).toBe('/api/v1/lessons/x');
    expect(playbackTokenOf('/api/v1/lessons/x')).toBeNull();
  });
});

describe('PlaybackGrantKeeper', () => {
  it('renews at renewAt with the session id, and from then on hands out the new token', async () => {
    const time = fakeTime();
    const asked: (string | null)[] = [];
    const renewed: string[] = [];
    let count = 0;
    const keeper = new PlaybackGrantKeeper(grant('T0', 12_000, 20_000), {
      request: async (sessionId) => {
        asked.push(sessionId);
        count++;
        return grant(`T${count}`, time.now() + 12_000, time.now() + 20_000);
      },
      classify: () => null,
      onRenewed: (g) => renewed.push(playbackTokenOf(g.hlsUrl) ?? ''),
      onTrouble: () => undefined,
      ...time,
    }).start();
    expect(await keeper.freshToken()).toBe('T0');
    await time.advance(11_999);
    expect(asked).toEqual([]);
    await time.advance(1);
    expect(asked).toEqual(['s-1']);
    expect(keeper.token).toBe('T1');
    await time.advance(12_000);
    expect(keeper.token).toBe('T2');
    expect(renewed).toEqual(['T1', 'T2']);
    keeper.stop();
  });

  it('a request made after a sleep past expiry waits for the renewal instead of sending a dead token', async () => {
    const time = fakeTime();
    let calls = 0;
    // Timers never fire (a throttled background tab): only the request itself notices.
    const keeper = new PlaybackGrantKeeper(grant('OLD', 12_000, 20_000), {
      request: async () => {
        calls++;
        return grant('NEW', time.now() + 12_000, time.now() + 20_000);
      },
      classify: () => null,
      onRenewed: () => undefined,
      onTrouble: () => undefined,
      now: time.now,
      setTimer: () => 0,
      clearTimer: () => undefined,
    }).start();
    await time.advance(8 * 3600_000);
    expect(keeper.expired).toBe(true);
    const [a, b] = await Promise.all([keeper.freshToken(), keeper.freshToken()]);
    expect([a, b]).toEqual(['NEW', 'NEW']);
    expect(calls).toBe(1);
  });

  it('stops and reports when the session was ended elsewhere', async () => {
    const time = fakeTime();
    const troubles: GrantTrouble[] = [];
    const keeper = new PlaybackGrantKeeper(grant('T0', 1_000, 2_000), {
      request: async () => {
        throw new Error('409');
      },
      classify: () => 'session_ended',
      onRenewed: () => undefined,
      onTrouble: (trouble) => troubles.push(trouble),
      ...time,
    }).start();
    await time.advance(1_000);
    expect(troubles).toEqual(['session_ended']);
    expect(await keeper.renew()).toBeNull();
  });

  it('retries a renewal that failed for a passing reason', async () => {
    const time = fakeTime();
    let calls = 0;
    const keeper = new PlaybackGrantKeeper(grant('T0', 1_000, 20_000), {
      request: async () => {
        calls++;
        if (calls === 1) throw new TypeError('network');
        return grant('T1', time.now() + 10_000, time.now() + 20_000);
      },
      classify: () => null,
      onRenewed: () => undefined,
      onTrouble: () => undefined,
      ...time,
    }).start();
    await time.advance(1_000);
    expect(keeper.token).toBe('T0');
    await time.advance(3_000);
    expect(keeper.token).toBe('T1');
    keeper.stop();
  });
});
