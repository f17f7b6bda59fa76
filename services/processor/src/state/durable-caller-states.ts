import {
  CallerStates,
  IDLE_FORGET_MS,
  type Logger,
  stateFlagged,
  stateWatermarkMs,
} from '@scam-detector/core';
import type { ProducedRecord, TopicAdmin } from '@scam-detector/transport';
import type { CallerStateStore } from '../caller-state-store.js';
import type { ProcessorMetrics } from '../metrics.js';
import { PartitionStateWriter, restorePartition } from './changelog.js';
import type { PartitionStateStore, StateStoreProvider } from './types.js';

export interface DurableCallerStatesOptions {
  admin: TopicAdmin;
  provider: StateStoreProvider;
  changelogTopic: string;
  logger: Logger;
  /** Callers kept in memory per partition (least recently used out first, once their state is in the local
   *  store); the rest are read from the store when a batch needs them. Default 100,000. */
  hotSetSize?: number;
  /** Event time between two sweeps for idle callers (ms). Default one day: a caller goes at most a day after
   *  it became idle past IDLE_FORGET_MS, and a backlog replayed fast is not swept every simulated hour. */
  sweepEveryMs?: number;
  metrics?: Pick<
    ProcessorMetrics,
    'stateRestoring' | 'stateRestoredRecords' | 'stateRestoreDuration' | 'stateEvicted'
  >;
}

interface Partition {
  /** Settles when the partition's state is restored (rejects when the restore failed; the next batch retries). */
  ready: Promise<void>;
  restoring: boolean;
  /** The hot set: the states of the callers used most recently (all of them while they fit). */
  states: CallerStates;
  /** The callers in `states`, least recently used first. */
  recent: Map<string, true>;
  store?: PartitionStateStore;
  writer?: PartitionStateWriter;
  /** The changes of the batch in flight: sent with its results, applied locally once acknowledged. */
  pending?: Map<string, Uint8Array | null>;
  /** The local commits of acknowledged batches, in order; a batch's callers are loaded after it. */
  chain: Promise<void>;
  /** The latest event time (ms) of the partition's events so far. */
  latestEventMs: number;
  /** Event time at which the last idle sweep started. */
  sweptAtMs: number;
  sweeping: boolean;
  /** The callers of the batch being scored (loaded, changelog not taken yet): never trimmed. */
  inFlight?: Set<string>;
  /** Callers touched since the running or last sweep started: not idle, whatever the sweep read. */
  touchedSinceSweep: Set<string>;
  /** Idle callers the last sweep found (value: flagged), tombstoned with the next batch. */
  idle?: Map<string, boolean>;
}

/** What the changelog of one batch holds, and the flagged callers it evicted (their verdicts go too). */
export interface BatchChanges {
  records: ProducedRecord[];
  /** Callers evicted for idleness that were flagged: their verdict must be tombstoned as well. */
  evictedFlagged: string[];
  evicted: number;
}

/**
 * The processor's caller-state port (caller-state-store.ts) made durable: each assigned input partition's
 * state is restored into the local store from the changelog before its first batch is processed; a batch's
 * callers are read from the store into the in-memory hot set before it is scored (`load`); every batch's
 * changed states go to the changelog in the same send as its results (so they are acknowledged before the input
 * offsets are committed), then to the local store. The hot set is bounded: once the local store has a caller's
 * state, the least recently used callers beyond `hotSetSize` leave memory. Callers idle past IDLE_FORGET_MS
 * (event time) are found by a sweep of the store and evicted with the next batch: a tombstone in the changelog.
 */
export class DurableCallerStates implements CallerStateStore {
  readonly #partitions = new Map<string, Partition>();
  /** Assigned partitions whose last restore failed: retried, and counted as restoring (not ready). */
  readonly #failed = new Set<string>();
  /** The partitions assigned here now (a failed restore is retried only while its partition stays). */
  #assigned = new Set<string>();
  readonly #hotSetSize: number;
  readonly #sweepEveryMs: number;

  constructor(readonly options: DurableCallerStatesOptions) {
    this.#hotSetSize = options.hotSetSize ?? 100_000;
    this.#sweepEveryMs = options.sweepEveryMs ?? 86_400_000;
  }

  #key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Restores a partition's state unless it is restored or being restored; resolves when it is. */
  prepare(topic: string, partition: number): Promise<void> {
    const key = this.#key(topic, partition);
    const known = this.#partitions.get(key);
    if (known) return known.ready;
    const { admin, provider, changelogTopic, logger, metrics } = this.options;
    const entry: Partition = {
      ready: Promise.resolve(),
      restoring: true,
      states: new CallerStates(),
      recent: new Map(),
      chain: Promise.resolve(),
      latestEventMs: Number.NEGATIVE_INFINITY,
      sweptAtMs: Number.NEGATIVE_INFINITY,
      sweeping: false,
      touchedSinceSweep: new Set(),
    };
    metrics?.stateRestoring.inc();
    entry.ready = (async () => {
      try {
        const { store, result } = await restorePartition({
          admin,
          provider,
          changelogTopic,
          partition,
          logger,
        });
        this.#failed.delete(key);
        entry.store = store;
        entry.writer = new PartitionStateWriter(store, undefined, changelogTopic, result.checkpoint);
        metrics?.stateRestoredRecords.inc({ reason: result.reason }, result.records);
        metrics?.stateRestoreDuration.observe(result.durationMs / 1000);
      } catch (error) {
        // Tried again in 5 s (or by the next batch of this partition, whichever comes first); not ready meanwhile.
        this.#partitions.delete(key);
        this.#failed.add(key);
        logger.error({ err: error, partition }, 'caller state restore failed; retrying in 5 s');
        setTimeout(() => {
          if (this.#assigned.has(key) && !this.#partitions.has(key))
            void this.prepare(topic, partition).catch(() => undefined);
        }, 5000).unref();
        throw error;
      } finally {
        entry.restoring = false;
        metrics?.stateRestoring.dec();
      }
    })();
    entry.ready.catch(() => undefined);
    this.#partitions.set(key, entry);
    return entry.ready;
  }

  /**
   * Brings a batch's callers into the hot set (restoring the partition first if needed), after the local commits
   * of the batches before it: what the store returns is their latest state.
   */
  async load(topic: string, partition: number, callers: readonly string[]): Promise<void> {
    await this.prepare(topic, partition);
    const entry = this.#restored(topic, partition);
    // The batch's callers stay in memory until its changelog is taken (a trim in between would lose them).
    entry.inFlight = new Set(callers);
    if (!entry.pending && callers.every((caller) => entry.states.has(caller))) {
      // All in memory, which holds their latest state: no need to wait for the store's commits.
      for (const caller of callers) {
        entry.recent.delete(caller);
        entry.recent.set(caller, true);
      }
      return;
    }
    await entry.chain;
    if (entry.pending) {
      // The previous batch's output was never acknowledged (its send failed; the batch comes again): its changes
      // are in memory only. Its callers go back to their stored state, so the retry applies its events afresh and
      // computes exactly the features of an uninterrupted pass, instead of taking them for redeliveries.
      for (const caller of entry.pending.keys()) {
        entry.states.delete(caller);
        entry.recent.delete(caller);
      }
      entry.pending = undefined;
    }
    const missing = callers.filter((caller) => !entry.states.has(caller));
    if (missing.length > 0) {
      const found = await (entry.store as PartitionStateStore).getMany(missing);
      missing.forEach((caller, i) => {
        const state = found[i];
        if (state) entry.states.write(caller, state);
      });
    }
    for (const caller of callers) {
      entry.recent.delete(caller);
      entry.recent.set(caller, true);
    }
  }

  #restored(topic: string, partition: number): Partition {
    const entry = this.#partitions.get(this.#key(topic, partition));
    if (!entry?.writer) throw new Error(`caller state of ${topic}/${partition} is not restored`);
    return entry;
  }

  partition(topic: string, partition: number): CallerStates {
    return this.#restored(topic, partition).states;
  }

  /**
   * The changelog records of a batch: the states of the callers it touched (after it), and tombstones for the
   * idle callers the last sweep found (unless they called since). To send with the batch's results.
   */
  changelog(
    topic: string,
    partition: number,
    callers: Iterable<string>,
    latestEventMs = -Infinity,
  ): BatchChanges {
    const entry = this.#restored(topic, partition);
    const changes = new Map<string, Uint8Array | null>();
    for (const caller of callers) {
      const state = entry.states.read(caller);
      if (state) changes.set(caller, state);
      if (entry.sweeping) entry.touchedSinceSweep.add(caller);
    }
    if (latestEventMs > entry.latestEventMs) entry.latestEventMs = latestEventMs;
    const evictedFlagged: string[] = [];
    let evicted = 0;
    if (entry.idle) {
      for (const [caller, flagged] of entry.idle) {
        if (changes.has(caller) || entry.touchedSinceSweep.has(caller)) continue;
        changes.set(caller, null);
        entry.states.delete(caller);
        entry.recent.delete(caller);
        if (flagged) evictedFlagged.push(caller);
        evicted++;
      }
      entry.idle = undefined;
      entry.touchedSinceSweep.clear();
    }
    entry.pending = changes;
    entry.inFlight = undefined;
    return { records: (entry.writer as PartitionStateWriter).records(changes), evictedFlagged, evicted };
  }

  /** The batch's output (results and changelog) was acknowledged: commit its changes to the local store, then
   *  trim the hot set and, once per sweep interval of event time, look for idle callers. */
  acknowledged(topic: string, partition: number): void {
    const entry = this.#partitions.get(this.#key(topic, partition));
    const changes = entry?.pending;
    if (!entry?.writer || !changes) return;
    entry.pending = undefined;
    const writer = entry.writer;
    entry.chain = entry.chain
      .then(async () => {
        await writer.applied(changes);
        this.#trim(entry);
        if (!entry.sweeping && !entry.idle && entry.latestEventMs - entry.sweptAtMs >= this.#sweepEveryMs) {
          void this.#sweep(entry, partition);
        }
      })
      .catch((error: unknown) =>
        // The changelog has them: a restore reads them back. Only the local copy is behind.
        this.options.logger.warn(
          { err: error, partition },
          'local state commit failed; the changelog has it',
        ),
      );
  }

  /** Drops the least recently used callers beyond the hot-set size from memory (the store has them all). */
  #trim(entry: Partition): void {
    let excess = entry.states.size - this.#hotSetSize;
    if (excess <= 0) return;
    for (const caller of entry.recent.keys()) {
      if (excess <= 0) break;
      if (entry.inFlight?.has(caller)) continue;
      excess--;
      entry.recent.delete(caller);
      entry.states.delete(caller);
    }
  }

  /** Reads the whole local store for callers idle past IDLE_FORGET_MS; the next batch tombstones them. */
  async #sweep(entry: Partition, partition: number): Promise<void> {
    const store = entry.store;
    if (!store) return;
    entry.sweeping = true;
    entry.sweptAtMs = entry.latestEventMs;
    entry.touchedSinceSweep.clear();
    const cutoff = entry.latestEventMs - IDLE_FORGET_MS;
    const idle = new Map<string, boolean>();
    try {
      for await (const [caller, state] of store.entries()) {
        if (stateWatermarkMs(state) < cutoff) idle.set(caller, stateFlagged(state));
      }
      if (idle.size > 0) entry.idle = idle;
    } catch (error) {
      // A store closed under the sweep (the partition was revoked): the next owner sweeps.
      this.options.logger.debug({ err: error, partition }, 'idle sweep stopped');
    } finally {
      entry.sweeping = false;
    }
  }

  /** Partitions being restored now, or whose restore failed and is retried (readiness, metrics). */
  restoring(): number {
    let count = this.#failed.size;
    for (const entry of this.#partitions.values()) if (entry.restoring) count++;
    return count;
  }

  retain(assignment: readonly { topic: string; partitions: readonly number[] }[]): void {
    const keep = new Set(assignment.flatMap((a) => a.partitions.map((p) => this.#key(a.topic, p))));
    this.#assigned = keep;
    for (const key of this.#failed) if (!keep.has(key)) this.#failed.delete(key);
    for (const [key, entry] of this.#partitions) {
      if (keep.has(key)) continue;
      this.#partitions.delete(key);
      void this.#release(entry);
    }
  }

  async #release(entry: Partition): Promise<void> {
    await entry.ready.catch(() => undefined);
    await entry.chain;
    await entry.store?.close();
  }

  /** Callers in memory (the hot sets) and the bytes their states take. */
  usage(): { partitions: number; callers: number; bytes: number } {
    let callers = 0;
    let bytes = 0;
    for (const entry of this.#partitions.values()) {
      callers += entry.states.size;
      bytes += entry.states.slabBytes;
    }
    return { partitions: this.#partitions.size, callers, bytes };
  }

  /** Finishes the local commits in flight and closes every store. */
  async close(): Promise<void> {
    const entries = [...this.#partitions.values()];
    this.#partitions.clear();
    await Promise.all(entries.map((entry) => this.#release(entry)));
    await this.options.provider.close();
  }
}
