/**
 * The state-store port: where a processor keeps the serialised state of the callers of one input partition
 * (the unit of state, as in Kafka Streams). Two implementations — in memory (embedded mode, tests) and on local
 * disk behind a bounded in-memory hot set — and one conformance suite run on both.
 *
 * Semantics, stated once for every implementation:
 * - `put` and `delete` are staged: `get` sees them at once (read your writes), but they become durable only
 *   with the next `commit(checkpoint)`, atomically with the checkpoint. A crash before it loses them all, never
 *   some of them.
 * - The checkpoint is the next changelog offset to apply: every changelog record before it is in the store (or
 *   superseded by a later one that is). Restore reads the changelog from there.
 * - Corruption of the stored data (a value whose checksum does not match, a missing or foreign format marker,
 *   a file the engine cannot open) raises `StateStoreCorruptError`; the remedy is `wipe` and a restore from
 *   the changelog.
 */
export interface PartitionStateStore {
  readonly partition: number;
  /** A caller's state (staged changes included), or undefined. */
  get(caller: string): Promise<Uint8Array | undefined>;
  /** The states of many callers in one call (a batch's callers), in the order asked. */
  getMany(callers: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /** Stages a caller's state. The bytes are copied. */
  put(caller: string, state: Uint8Array): void;
  /** Stages the removal of a caller (an evicted caller; a tombstone in the changelog). */
  delete(caller: string): void;
  /** Makes the staged changes and the checkpoint durable together. */
  commit(checkpoint: string): Promise<void>;
  /** The last committed checkpoint, or undefined for an empty (new or wiped) store. */
  checkpoint(): Promise<string | undefined>;
  /** Every committed caller and state, in no particular order (staged changes excluded). */
  entries(): AsyncIterable<[string, Uint8Array]>;
  /** Reads every committed state and checks it; resolves to the number of callers or raises
   *  `StateStoreCorruptError`. */
  verify(): Promise<number>;
  /** Removes every state, the checkpoint and anything staged. */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the store of one input partition; one provider per processor. */
export interface StateStoreProvider {
  readonly kind: 'memory' | 'disk';
  /** Opens (creating when missing) a partition's store. Raises `StateStoreCorruptError` when what is there
   *  cannot be read; `wipe(partition)` then clears it. */
  open(partition: number): Promise<PartitionStateStore>;
  /** Removes a partition's store entirely (it must not be open). */
  wipe(partition: number): Promise<void>;
  close(): Promise<void>;
}

export class StateStoreCorruptError extends Error {
  readonly code = 'STATE_STORE_CORRUPT';
  constructor(
    readonly partition: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`the local state store of partition ${partition} is corrupt: ${detail}`, options);
    this.name = 'StateStoreCorruptError';
  }
}
