import { describe, expect, it } from 'vitest';
import { clampRanges, MAX_RANGES_PER_REPORT, mergeRanges, WatchedIntervals } from './watched-intervals';

/** Plays from `from` to `to` at `rate`, one `timeupdate` every 250 ms of wall time. */
function playThrough(tracker: WatchedIntervals, clock: { now: number }, from: number, to: number, rate = 1) {
  tracker.play(from, clock.now);
  for (let position = from; position < to;) {
    position = Math.min(to, position + 0.25 * rate);
    clock.now += 250;
    tracker.update(position, clock.now, rate);
  }
}

describe('WatchedIntervals', () => {
  it('counts continuous playback as one range', () => {
    const clock = { now: 0 };
    const tracker = new WatchedIntervals();
    playThrough(tracker, clock, 0, 12);
    expect(tracker.drain()).toEqual([[0, 12]]);
    expect(tracker.hasPending).toBe(false);
  });

  it('counts 2x playback, which moves twice as far per second of wall time', () => {
    const clock = { now: 0 };
    const tracker = new WatchedIntervals();
    playThrough(tracker, clock, 10, 30, 2);
    expect(tracker.drain()).toEqual([[10, 30]]);
    expect(clock.now).toBe(10_000);
  });

  it('never counts a seek jump forward, even one reported only by timeupdate', () => {
    const clock = { now: 0 };
    const tracker = new WatchedIntervals();
    playThrough(tracker, clock, 0, 5);
    // The position leaps 100 s in 250 ms (a seek the player did not announce).
    clock.now += 250;
    tracker.update(105, clock.now, 1);
    for (let position = 105; position < 110;) {
      position += 0.25;
      clock.now += 250;
      tracker.update(position, clock.now, 1);
    }
    expect(tracker.drain()).toEqual([
      [0, 5],
      [105, 110],
    ]);
  });

  it('an announced seek starts a new range at the target; backwards seeks too', () => {
    const clock = { now: 0 };
    const tracker = new WatchedIntervals();
    playThrough(tracker, clock, 20, 30);
    tracker.seek(5, clock.now, true);
    for (let position = 5; position < 8;) {
      position += 0.25;
      clock.now += 250;
      tracker.update(position, clock.now, 1);
    }
    expect(tracker.drain()).toEqual([
      [5, 8],
      [20, 30],
    ]);
  });

  it('counts nothing while paused, however long, and resumes from the new play position', () => {
    const clock = { now: 0 };
    const tracker = new WatchedIntervals();
    playThrough(tracker, clock, 0, 4);
    tracker.stop(4, clock.now, 1);
    clock.now += 60_000;
    // A stray timeupdate while paused (e.g. after a seek) counts nothing.
    tracker.update(50, clock.now, 1);
    tracker.seek(50, clock.now, false);
    playThrough(tracker, clock, 50, 52);
    expect(tracker.drain()).toEqual([
      [0, 4],
      [50, 52],
    ]);
  });

  it('refuses movement faster than the wall clock allows at the current rate', () => {
    const tracker = new WatchedIntervals();
    tracker.play(0, 0);
    // 3 s of media in 1 s of wall time at 1x: not plausible, so not watched.
    tracker.update(3, 1000, 1);
    // At 2x, 2 s in 1 s is.
    tracker.update(5, 2000, 2);
    expect(tracker.drain()).toEqual([[3, 5]]);
  });

  it('drains only what is new since the last drain, continuing from the same anchor', () => {
    const clock = { now: 0 };
    const tracker = new WatchedIntervals();
    playThrough(tracker, clock, 0, 10);
    expect(tracker.drain()).toEqual([[0, 10]]);
    for (let position = 10; position < 20;) {
      position += 0.25;
      clock.now += 250;
      tracker.update(position, clock.now, 1);
    }
    expect(tracker.drain()).toEqual([[10, 20]]);
    expect(tracker.drain()).toEqual([]);
  });

  it('keeps the longest ranges when one report would carry too many', () => {
    const tracker = new WatchedIntervals();
    let now = 0;
    for (let i = 0; i < MAX_RANGES_PER_REPORT + 10; i++) {
      const start = i * 10;
      const length = i === 3 ? 2 : 1;
      tracker.seek(start, now, true);
      now += length * 1000;
      tracker.update(start + length, now, 1);
    }
    const drained = tracker.drain();
    expect(drained).toHaveLength(MAX_RANGES_PER_REPORT);
    expect(drained).toContainEqual([30, 32]);
    expect(drained.map(([start]) => start)).toEqual([...drained.map(([start]) => start)].sort((a, b) => a - b));
  });
});

describe('mergeRanges and clampRanges', () => {
  it('joins overlapping and touching ranges and drops empty ones', () => {
    expect(
      mergeRanges([
        [10, 20],
        [0, 5],
        [4, 8],
        [20.01, 25],
        [30, 30],
      ]),
    ).toEqual([
      [0, 8],
      [10, 25],
    ]);
  });

  it('clamps to the duration and rounds to milliseconds', () => {
    expect(
      clampRanges(
        [
          [-0.2, 1.23456],
          [59.5, 60.2],
          [61, 62],
        ],
        60,
      ),
    ).toEqual([
      [0, 1.235],
      [59.5, 60],
    ]);
  });
});
