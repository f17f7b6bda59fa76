import type { Logger } from '@scam-detector/core';
import type { ConsumedRecord, ProducedRecord, Producer, TopicAdmin } from '@scam-detector/transport';
import { type PartitionStateStore, StateStoreCorruptError, type StateStoreProvider } from './types.js';

/**
 * The changelog of per-caller state: a compacted topic with as many partitions as the input, key = caller,
 * value = the caller's serialised state, written to the partition number of the input partition it belongs to;
 * a null value (tombstone) removes a caller. A partition's local store is rebuilt from it: from the store's
 * checkpoint when the store is intact and consistent with the changelog, from the start otherwise.
 */

export class ChangelogConfigError extends Error {
  readonly code = 'CHANGELOG_PARTITIONS';
  constructor(message: string) {
    super(message);
    this.name = 'ChangelogConfigError';
  }
}

/** Creates the changelog when missing, then checks that it has exactly as many partitions as the input. */
export async function ensureChangelog(
  admin: TopicAdmin,
  options: { changelogTopic: string; inputTopic: string; replicationFactor?: number },
): Promise<{ created: boolean; partitions: number }> {
  const input = await admin.partitionOffsets(options.inputTopic);
  const spec = { topic: options.changelogTopic, partitions: input.length, compacted: true };
  const result = await admin.ensureTopic(
    options.replicationFactor === undefined
      ? spec
      : { ...spec, replicationFactor: options.replicationFactor },
  );
  if (result.partitions !== input.length) {
    throw new ChangelogConfigError(
      `the state changelog ${options.changelogTopic} has ${result.partitions} partitions but the input ` +
        `${options.inputTopic} has ${input.length}: they must match (partition N's state lives in changelog ` +
        `partition N). Recreate the changelog with ${input.length} partitions, or set CHANGELOG_TOPIC to another name.`,
    );
  }
  return result;
}

/** The changelog records of one partition's changes (null = tombstone), in the order given. */
export function changelogRecords(
  topic: string,
  partition: number,
  changes: Iterable<readonly [string, Uint8Array | null]>,
): ProducedRecord[] {
  const records: ProducedRecord[] = [];
  for (const [caller, state] of changes) {
    records.push({
      topic,
      partition,
      key: caller,
      value: state === null ? null : Buffer.from(state.buffer, state.byteOffset, state.length),
    });
  }
  return records;
}

export type RestoreReason = 'intact' | 'missing' | 'corrupt' | 'ahead' | 'behind';

export interface RestoreResult {
  partition: number;
  /** Why the restore read what it read: `intact` (local checkpoint + changelog tail); otherwise the whole
   *  changelog, because the local store was missing (empty), corrupt, ahead of the changelog (the changelog was
   *  recreated) or behind its start (records it needed are gone). */
  reason: RestoreReason;
  /** Changelog records applied. */
  records: number;
  /** The changelog offset the store is now checkpointed at (the changelog's end when the restore began). */
  checkpoint: string;
  durationMs: number;
}

export interface RestoreOptions {
  admin: TopicAdmin;
  provider: StateStoreProvider;
  changelogTopic: string;
  partition: number;
  logger: Logger;
}

/** Opens a partition's store and brings it up to the changelog's end. The caller owns the returned store. */
export async function restorePartition(
  options: RestoreOptions,
): Promise<{ store: PartitionStateStore; result: RestoreResult }> {
  const { admin, provider, changelogTopic, partition, logger } = options;
  const began = performance.now();
  let reason: RestoreReason | undefined;
  let store: PartitionStateStore | undefined;
  try {
    store = await provider.open(partition);
    await store.verify();
  } catch (error) {
    if (!(error instanceof StateStoreCorruptError)) throw error;
    logger.warn(
      { err: error, partition },
      'local state store is corrupt: wiping it and restoring from the changelog',
    );
    await store?.close();
    await provider.wipe(partition);
    store = await provider.open(partition);
    reason = 'corrupt';
  }
  try {
    const range = (await admin.partitionOffsets(changelogTopic))[partition];
    if (!range)
      throw new ChangelogConfigError(`the state changelog ${changelogTopic} has no partition ${partition}`);
    const checkpoint = await store.checkpoint();
    let from = range.start;
    if (reason === undefined) {
      if (checkpoint === undefined) reason = 'missing';
      else if (BigInt(checkpoint) > BigInt(range.end)) reason = 'ahead';
      else if (BigInt(checkpoint) < BigInt(range.start)) reason = 'behind';
      else {
        reason = 'intact';
        from = checkpoint;
      }
    }
    if (reason === 'ahead' || reason === 'behind') {
      logger.warn(
        { partition, checkpoint, changelog: range },
        `local state store is ${reason} of the changelog: wiping it and restoring from the changelog`,
      );
    }
    // Whatever is there without a usable checkpoint (a half-done wipe, a store of another changelog) goes.
    if (reason !== 'intact') await store.wipe();
    const active = store;
    const [read] = await admin.readPartitions(
      changelogTopic,
      [{ partition, from }],
      async (records: readonly ConsumedRecord[]) => {
        for (const record of records) {
          if (record.key === null) continue; // not ours: every changelog record has a caller key
          const caller = record.key.toString();
          if (record.value === null) active.delete(caller);
          else active.put(caller, record.value);
        }
        const last = records[records.length - 1] as ConsumedRecord;
        await active.commit(String(BigInt(last.offset) + 1n));
      },
    );
    const next = read?.next ?? range.end;
    await store.commit(next);
    const result: RestoreResult = {
      partition,
      reason,
      records: read?.records ?? 0,
      checkpoint: next,
      durationMs: performance.now() - began,
    };
    logger.info(result, 'caller state restored');
    return { store, result };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Writes one partition's state changes: the changelog first (acknowledged), then the local store, checkpointed
 * at the changelog offset the writer knows is covered. The changelog is written without transactions by this
 * partition's owner only, so its offsets advance by one per record: the checkpoint is the restore's end plus the
 * records written since. Were another writer (a zombie owner) to interleave, the checkpoint would only be lower
 * than the true end, and a restore reads a little more: never less.
 */
export class PartitionStateWriter {
  #next: bigint;

  constructor(
    readonly store: PartitionStateStore,
    /** Needed by `write` and `evictIdle` only; a processor sends the records with its results itself. */
    readonly producer: Producer | undefined,
    readonly changelogTopic: string,
    checkpoint: string,
  ) {
    this.#next = BigInt(checkpoint);
  }

  get checkpoint(): string {
    return String(this.#next);
  }

  /** The records to send for these changes; after the broker acknowledged them, call `applied`. */
  records(changes: ReadonlyMap<string, Uint8Array | null>): ProducedRecord[] {
    return changelogRecords(this.changelogTopic, this.store.partition, changes);
  }

  /** Stages and commits the changes in the local store, once their changelog records are acknowledged. */
  async applied(changes: ReadonlyMap<string, Uint8Array | null>): Promise<void> {
    for (const [caller, state] of changes) {
      if (state === null) this.store.delete(caller);
      else this.store.put(caller, state);
    }
    this.#next += BigInt(changes.size);
    await this.store.commit(String(this.#next));
  }

  /** Sends the changes to the changelog, waits for the acknowledgement, then applies them locally. */
  async write(changes: ReadonlyMap<string, Uint8Array | null>): Promise<void> {
    if (changes.size === 0) return;
    if (!this.producer) throw new Error('this state writer has no producer: send its records() yourself');
    await this.producer.send(this.records(changes));
    await this.applied(changes);
  }

  /**
   * Evicts callers idle for longer than `idleMs` at event time `nowMs` (the longest feature window plus a
   * margin): a tombstone in the changelog and removal from the store. `lastActivityMs` reads a state's last
   * event time. Returns the callers evicted.
   */
  async evictIdle(
    nowMs: number,
    idleMs: number,
    lastActivityMs: (state: Uint8Array) => number,
  ): Promise<string[]> {
    const idle: string[] = [];
    for await (const [caller, state] of this.store.entries()) {
      if (nowMs - lastActivityMs(state) > idleMs) idle.push(caller);
    }
    await this.write(new Map(idle.map((caller) => [caller, null])));
    return idle;
  }
}
