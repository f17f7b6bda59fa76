import { CallerStates, type Logger } from '@scam-detector/core';
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
  metrics?: Pick<ProcessorMetrics, 'stateRestoring' | 'stateRestoredRecords' | 'stateRestoreDuration'>;
}

interface Partition {
  /** Settles when the partition's state is restored (rejects when the restore failed; the next batch retries). */
  ready: Promise<void>;
  restoring: boolean;
  states: CallerStates;
  store?: PartitionStateStore;
  writer?: PartitionStateWriter;
  /** The changes of the batch in flight: sent with its results, applied locally once acknowledged. */
  pending?: Map<string, Uint8Array>;
  /** The local commits of acknowledged batches, in order. */
  chain: Promise<void>;
}

/**
 * The processor's caller-state port (caller-state-store.ts) made durable: each assigned input partition's
 * states are restored from the local store and the changelog before its first batch is processed; every batch's
 * changed states go to the changelog in the same send as its results (so they are acknowledged before the input
 * offsets are committed), then to the local store. A partition's states are held whole in memory while it is
 * assigned (the feature module's slab); the local store is what makes a restart fast.
 */
export class DurableCallerStates implements CallerStateStore {
  readonly #partitions = new Map<string, Partition>();

  constructor(readonly options: DurableCallerStatesOptions) {}

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
      chain: Promise.resolve(),
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
        for await (const [caller, state] of store.entries()) entry.states.write(caller, state);
        entry.store = store;
        entry.writer = new PartitionStateWriter(store, undefined, changelogTopic, result.checkpoint);
        metrics?.stateRestoredRecords.inc({ reason: result.reason }, result.records);
        metrics?.stateRestoreDuration.observe(result.durationMs / 1000);
      } catch (error) {
        this.#partitions.delete(key); // the next batch of this partition tries again
        logger.error({ err: error, partition }, 'caller state restore failed; retrying with the next batch');
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

  #restored(topic: string, partition: number): Partition {
    const entry = this.#partitions.get(this.#key(topic, partition));
    if (!entry?.writer) throw new Error(`caller state of ${topic}/${partition} is not restored`);
    return entry;
  }

  partition(topic: string, partition: number): CallerStates {
    return this.#restored(topic, partition).states;
  }

  /** The changelog records of the callers a batch touched (their states after it), to send with its results. */
  changelog(topic: string, partition: number, callers: Iterable<string>): ProducedRecord[] {
    const entry = this.#restored(topic, partition);
    const changes = new Map<string, Uint8Array>();
    for (const caller of callers) {
      const state = entry.states.read(caller);
      if (state) changes.set(caller, state);
    }
    entry.pending = changes;
    return (entry.writer as PartitionStateWriter).records(changes);
  }

  /** The batch's output (results and changelog) was acknowledged: commit its changes to the local store. */
  acknowledged(topic: string, partition: number): void {
    const entry = this.#partitions.get(this.#key(topic, partition));
    const changes = entry?.pending;
    if (!entry?.writer || !changes) return;
    entry.pending = undefined;
    const writer = entry.writer;
    entry.chain = entry.chain
      .then(() => writer.applied(changes))
      .catch((error: unknown) =>
        // The changelog has them: a restore reads them back. Only the local copy is behind.
        this.options.logger.warn(
          { err: error, partition },
          'local state commit failed; the changelog has it',
        ),
      );
  }

  /** Partitions being restored now (readiness, metrics). */
  restoring(): number {
    let count = 0;
    for (const entry of this.#partitions.values()) if (entry.restoring) count++;
    return count;
  }

  retain(assignment: readonly { topic: string; partitions: readonly number[] }[]): void {
    const keep = new Set(assignment.flatMap((a) => a.partitions.map((p) => this.#key(a.topic, p))));
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
