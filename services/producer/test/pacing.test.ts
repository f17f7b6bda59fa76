import { describe, expect, it } from 'vitest';
import { batchSize, eventsDue, msUntilNext } from '../src/pacing.js';

describe('pacing', () => {
  it('makes floor(rate × t) events due in total, whatever the step sizes', () => {
    const schedule = { rate: 10_000 };
    let sent = 0;
    for (const t of [0, 3, 3.5, 17, 100, 999, 1000]) sent += eventsDue(schedule, t, sent);
    expect(sent).toBe(10_000);
  });

  it('catches up after a stall instead of losing the time', () => {
    expect(eventsDue({ rate: 1000 }, 250, 100)).toBe(150);
  });

  it('never exceeds the count and never goes negative', () => {
    expect(eventsDue({ rate: 1000, count: 50 }, 10_000, 0)).toBe(50);
    expect(eventsDue({ rate: 1000, count: 50 }, 10_000, 50)).toBe(0);
    expect(eventsDue({ rate: 1000 }, 10, 500)).toBe(0);
  });

  it('handles rates below one per second', () => {
    expect(eventsDue({ rate: 0.5 }, 1999, 0)).toBe(0);
    expect(eventsDue({ rate: 0.5 }, 2000, 0)).toBe(1);
    expect(msUntilNext({ rate: 0.5 }, 500, 0)).toBe(1500);
  });

  it('waits until the next event is due', () => {
    expect(msUntilNext({ rate: 100 }, 0, 0)).toBe(10);
    expect(msUntilNext({ rate: 100 }, 25, 2)).toBe(5);
    expect(msUntilNext({ rate: 100 }, 50, 2)).toBe(0);
  });

  it('sends about 20 ms of traffic per request, at least one event', () => {
    expect(batchSize(10_000)).toBe(200);
    expect(batchSize(1)).toBe(1);
    expect(batchSize(1e7)).toBe(5000);
  });
});
