import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '@scam-detector/transport';
import { batchSize, eventsDue, msUntilNext, type Schedule } from './pacing.js';
import type { EventSource } from './profiles.js';

export interface RunResult {
  sent: number;
  elapsedMs: number;
  /** Achieved events per second over the run. */
  rate: number;
}

/**
 * Sends events on schedule until `count` is reached or `signal` aborts. Each step builds and sends, in one
 * awaited batch, everything due (up to a cap), so high rates cost one round trip per ~20 ms of traffic.
 */
export async function runProducer(
  producer: Producer,
  next: EventSource,
  schedule: Schedule,
  signal: AbortSignal,
  clock: () => number = performance.now.bind(performance),
): Promise<RunResult> {
  const cap = batchSize(schedule.rate);
  const started = clock();
  let sent = 0;
  while (!signal.aborted && (schedule.count === undefined || sent < schedule.count)) {
    const elapsed = clock() - started;
    const due = Math.min(cap, eventsDue(schedule, elapsed, sent));
    if (due === 0) {
      await sleep(Math.max(1, msUntilNext(schedule, elapsed, sent)), undefined, { signal }).catch(
        () => undefined,
      );
      continue;
    }
    const now = Date.now();
    const records = new Array(due);
    for (let i = 0; i < due; i++) records[i] = next(now);
    await producer.send(records);
    sent += due;
  }
  const elapsedMs = clock() - started;
  return { sent, elapsedMs, rate: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0 };
}
