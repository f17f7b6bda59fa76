import { CallerStates } from '@scam-detector/core';

/**
 * The per-caller feature state of the input partitions this processor owns (a port). Events are keyed by
 * caller, so one caller's calls all arrive on one partition, in order: a partition's states are its own, and
 * every partition has one CallerStates (the core's pure feature module) that its batches update.
 *
 * Adapters: memory (below: states live as long as the partition stays assigned here; a revoked partition's
 * states are dropped) and durable (state/durable-caller-states.ts: a local store backed by a changelog).
 */
export interface CallerStateStore {
  /** The states of one input partition (empty on first use). */
  partition(topic: string, partition: number): CallerStates;
  /** Keeps only the states of these partitions (called on every assignment). */
  retain(assignment: readonly { topic: string; partitions: readonly number[] }[]): void;
  /** Callers held over all partitions, and the bytes their states take (slabs, without the index). */
  usage(): { partitions: number; callers: number; bytes: number };
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class MemoryCallerStateStore implements CallerStateStore {
  readonly #states = new Map<string, CallerStates>();
  /** Event time (ms) of each partition's last idle sweep. */
  readonly #swept = new Map<string, number>();

  constructor(readonly sweepEveryMs = 86_400_000) {}

  /**
   * Once per `sweepEveryMs` of a partition's event time, removes its callers idle past IDLE_FORGET_MS (their
   * next call would start afresh anyway: no feature changes). Returns what went, or undefined when no sweep ran.
   */
  evictIdle(
    topic: string,
    partition: number,
    latestEventMs: number,
  ): { callers: number; flagged: string[] } | undefined {
    const key = keyOf(topic, partition);
    const states = this.#states.get(key);
    if (!states || !Number.isFinite(latestEventMs)) return undefined;
    const swept = this.#swept.get(key) ?? Number.NEGATIVE_INFINITY;
    if (latestEventMs - swept < this.sweepEveryMs) return undefined;
    this.#swept.set(key, latestEventMs);
    const flagged: string[] = [];
    const idle = states.idleCallers(latestEventMs);
    for (const caller of idle) {
      if (states.flaggedSince(caller) !== undefined) flagged.push(caller);
      states.delete(caller);
    }
    return { callers: idle.length, flagged };
  }

  partition(topic: string, partition: number): CallerStates {
    const key = keyOf(topic, partition);
    let states = this.#states.get(key);
    if (!states) {
      states = new CallerStates();
      this.#states.set(key, states);
    }
    return states;
  }

  retain(assignment: readonly { topic: string; partitions: readonly number[] }[]): void {
    const keep = new Set(assignment.flatMap((a) => a.partitions.map((p) => keyOf(a.topic, p))));
    for (const key of this.#states.keys()) {
      if (keep.has(key)) continue;
      this.#states.delete(key);
      this.#swept.delete(key);
    }
  }

  usage(): { partitions: number; callers: number; bytes: number } {
    let callers = 0;
    let bytes = 0;
    for (const states of this.#states.values()) {
      callers += states.size;
      bytes += states.slabBytes;
    }
    return { partitions: this.#states.size, callers, bytes };
  }
}
