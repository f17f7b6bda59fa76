import { setTimeout as sleep } from 'node:timers/promises';
import { simulateWorld, truthHeaders, type WorldCall, type WorldOptions } from '@scam-detector/core';
import type { ProducedRecord, Producer } from '@scam-detector/transport';
import type { RunResult } from './producer.js';

export interface WorldStreamOptions {
  seed: number;
  /** Simulated milliseconds per wall-clock millisecond (1 = real time). */
  speedup: number;
  topic: string;
  /** Wall-clock epoch ms the simulated clock starts at (default: now): the world's day is the one holding it. */
  startMs?: number;
  /** Stop after this many events; undefined = no end. */
  count?: number;
  /** World parameters other than the seed and start (tests make small worlds). */
  world?: Partial<Omit<WorldOptions, 'seed' | 'startMs'>>;
}

/** Events per send at most: about 20 ms of traffic at the fastest rates, never one round trip per event. */
const MAX_BATCH = 2000;
/** Longest nap between two checks of the clock, so a stop or a due event is never waited on for long. */
const MAX_NAP_MS = 50;
/** Simulated days the world runs for when no count ends it first (ten years: effectively forever). */
const WORLD_DAYS = 3650;

/** A world call as the record the producer sends: keyed by caller, truth and scenario in headers only. */
export function worldRecord(call: WorldCall, topic: string): ProducedRecord {
  return {
    topic,
    key: call.event.caller,
    value: JSON.stringify(call.event),
    headers: truthHeaders(call.truth),
  };
}

/**
 * Streams the simulated telecom world in event time: its simulated clock starts at `startMs` (the world's day
 * begins at that day's local midnight; calls before `startMs` are simulated, so campaigns already running are
 * mid-way, but not sent) and runs `speedup` times faster than the wall clock. Each step sends every call whose
 * simulated time has come (up to MAX_BATCH), so the event-time pattern (bursts, quiet nights) is what the
 * world made, only faster. Event `ts` is the simulated time: the features the processor computes from it are
 * the ones the model was trained on.
 */
export async function runWorldProducer(
  producer: Producer,
  options: WorldStreamOptions,
  signal: AbortSignal,
  clock: () => number = performance.now.bind(performance),
): Promise<RunResult> {
  const anchorMs = options.startMs ?? Date.now();
  const calls = simulateWorld({
    ...options.world,
    seed: options.seed,
    startMs: anchorMs,
    days: options.world?.days ?? WORLD_DAYS,
  });
  let pending = calls.next();
  while (!pending.done && pending.value.event.ts * 1000 < anchorMs) pending = calls.next();
  const started = clock();
  let sent = 0;
  while (!signal.aborted && !pending.done && (options.count === undefined || sent < options.count)) {
    const simulatedNow = anchorMs + (clock() - started) * options.speedup;
    const limit = Math.min(MAX_BATCH, options.count === undefined ? MAX_BATCH : options.count - sent);
    const records: ProducedRecord[] = [];
    while (!pending.done && records.length < limit && pending.value.event.ts * 1000 <= simulatedNow) {
      records.push(worldRecord(pending.value, options.topic));
      pending = calls.next();
    }
    if (records.length > 0) {
      await producer.send(records);
      sent += records.length;
      continue;
    }
    if (pending.done) break;
    const waitMs = (pending.value.event.ts * 1000 - simulatedNow) / options.speedup;
    await sleep(Math.max(1, Math.min(MAX_NAP_MS, waitMs)), undefined, { signal }).catch(() => undefined);
  }
  const elapsedMs = clock() - started;
  return { sent, elapsedMs, rate: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0 };
}
