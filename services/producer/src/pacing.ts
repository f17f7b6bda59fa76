/**
 * Pacing by schedule, not by sleeping a fixed gap per event: at time t the producer should have sent
 * floor(rate × t) events in total. Each step sends whatever is due, so timer jitter and send latency are
 * caught up at the next step instead of accumulating, and the long-run rate is exact.
 */
export interface Schedule {
  /** Events per second. */
  rate: number;
  /** Stop after this many events; undefined = no end. */
  count?: number;
}

/** Events due at `elapsedMs` after the start, given `sent` so far (never negative, never past count). */
export function eventsDue(schedule: Schedule, elapsedMs: number, sent: number): number {
  const target = Math.floor((schedule.rate * elapsedMs) / 1000);
  const capped = schedule.count === undefined ? target : Math.min(schedule.count, target);
  return Math.max(0, capped - sent);
}

/** Milliseconds from `elapsedMs` until the next event is due (0 if one is due now). */
export function msUntilNext(schedule: Schedule, elapsedMs: number, sent: number): number {
  const nextAt = ((sent + 1) * 1000) / schedule.rate;
  return Math.max(0, nextAt - elapsedMs);
}

/** Events per send: about 20 ms of traffic, at least 1, at most `max` — never one round trip per event. */
export function batchSize(rate: number, max = 5000): number {
  return Math.max(1, Math.min(max, Math.ceil(rate / 50)));
}
