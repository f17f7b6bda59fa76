import { parseCallEvent, SCENARIO_HEADER, TRUTH_HEADER } from '@scam-detector/core';
import type { ProducedRecord, Producer } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { runWorldProducer } from '../src/world-stream.js';

/** A producer that records what it is sent and the (fake) clock at each send. */
function recorder(clock: () => number) {
  const sends: { atMs: number; records: readonly ProducedRecord[] }[] = [];
  const producer: Producer = {
    async send(records) {
      sends.push({ atMs: clock(), records });
    },
    close: async () => undefined,
  };
  return { producer, sends };
}

const START = Date.UTC(2026, 0, 5, 1, 30); // 09:30 in Manila, a Monday
const small = { subscribers: 2000, bulkLines: 10 };

describe('world stream', () => {
  it('sends each call once its simulated time has come, never before, in event-time order', async () => {
    let now = 0;
    const clock = () => {
      now += 20; // every look at the clock is 20 ms later
      return now;
    };
    const { producer, sends } = recorder(clock);
    const speedup = 600;
    const result = await runWorldProducer(
      producer,
      { seed: 3, speedup, topic: 'raw', startMs: START, count: 1500, world: small },
      new AbortController().signal,
      clock,
    );
    expect(result.sent).toBe(1500);
    const all = sends.flatMap((s) => s.records);
    expect(all).toHaveLength(1500);
    expect(sends.length).toBeGreaterThan(5); // paced, not sent in one go
    let previous = START / 1000;
    for (const send of sends) {
      for (const record of send.records) {
        const parsed = parseCallEvent(Buffer.from(record.value as string));
        if (!parsed.ok) throw new Error(parsed.detail);
        expect(parsed.event.ts).toBeGreaterThanOrEqual(previous);
        // Simulated time at the send: START + wall time since the first clock reading × speedup.
        expect(parsed.event.ts * 1000).toBeLessThanOrEqual(START + (send.atMs - 20) * speedup);
        previous = parsed.event.ts;
        expect(record.key).toBe(parsed.event.caller);
        expect(record.headers?.[TRUTH_HEADER]).toMatch(/^[01]$/);
        expect(record.headers?.[SCENARIO_HEADER]).toBeTruthy();
      }
    }
  });

  it('is the same stream for the same seed, and stops when aborted', async () => {
    const run = async (signal: AbortSignal) => {
      let now = 0;
      const clock = () => (now += 1000);
      const { producer, sends } = recorder(clock);
      await runWorldProducer(
        producer,
        { seed: 11, speedup: 100, topic: 'raw', startMs: START, count: 300, world: small },
        signal,
        clock,
      );
      return sends.flatMap((s) => s.records);
    };
    expect(await run(new AbortController().signal)).toEqual(await run(new AbortController().signal));
    expect(await run(AbortSignal.abort())).toEqual([]);
  });
});
