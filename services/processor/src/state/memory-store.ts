import { seal, unseal } from './codec.js';
import { type PartitionStateStore, StateStoreCorruptError, type StateStoreProvider } from './types.js';

interface PartitionData {
  /** Sealed states (with their checksum, as on disk), so corruption is detected the same way. */
  states: Map<string, Uint8Array>;
  checkpoint: string | undefined;
}

/**
 * The in-memory implementation: for embedded mode and tests. Its data outlives a store's `close` (a "restart"
 * within one process keeps it, as a disk would) until `wipe`.
 */
export class MemoryStateStoreProvider implements StateStoreProvider {
  readonly kind = 'memory';
  readonly #partitions = new Map<number, PartitionData>();

  async open(partition: number): Promise<PartitionStateStore> {
    let data = this.#partitions.get(partition);
    if (!data) {
      data = { states: new Map(), checkpoint: undefined };
      this.#partitions.set(partition, data);
    }
    return new MemoryStateStore(partition, data);
  }

  async wipe(partition: number): Promise<void> {
    this.#partitions.delete(partition);
  }

  async close(): Promise<void> {}

  /** For tests: damages one stored state of a partition, as a flipped bit on disk would. */
  corrupt(partition: number): void {
    const first = this.#partitions.get(partition)?.states.values().next();
    if (!first || first.done) throw new Error(`partition ${partition} has no state to corrupt`);
    const value = first.value;
    value[value.length - 1] = (value[value.length - 1] as number) ^ 0xff;
  }
}

class MemoryStateStore implements PartitionStateStore {
  readonly #staged = new Map<string, Uint8Array | null>();

  constructor(
    readonly partition: number,
    readonly data: PartitionData,
  ) {}

  #open(value: Uint8Array, caller: string): Uint8Array {
    const state = unseal(value);
    if (!state)
      throw new StateStoreCorruptError(this.partition, `the state of caller ${caller} fails its checksum`);
    return state;
  }

  async get(caller: string): Promise<Uint8Array | undefined> {
    const staged = this.#staged.get(caller);
    if (staged !== undefined) return staged === null ? undefined : new Uint8Array(staged);
    const value = this.data.states.get(caller);
    return value === undefined ? undefined : new Uint8Array(this.#open(value, caller));
  }

  async getMany(callers: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return Promise.all(callers.map((caller) => this.get(caller)));
  }

  put(caller: string, state: Uint8Array): void {
    this.#staged.set(caller, new Uint8Array(state));
  }

  delete(caller: string): void {
    this.#staged.set(caller, null);
  }

  async commit(checkpoint: string): Promise<void> {
    for (const [caller, state] of this.#staged) {
      if (state === null) this.data.states.delete(caller);
      else this.data.states.set(caller, seal(state));
    }
    this.#staged.clear();
    this.data.checkpoint = checkpoint;
  }

  async checkpoint(): Promise<string | undefined> {
    return this.data.checkpoint;
  }

  async *entries(): AsyncIterable<[string, Uint8Array]> {
    for (const [caller, value] of this.data.states) yield [caller, new Uint8Array(this.#open(value, caller))];
  }

  async verify(): Promise<number> {
    for (const [caller, value] of this.data.states) this.#open(value, caller);
    return this.data.states.size;
  }

  async wipe(): Promise<void> {
    this.#staged.clear();
    this.data.states.clear();
    this.data.checkpoint = undefined;
  }

  async close(): Promise<void> {
    this.#staged.clear();
  }
}
