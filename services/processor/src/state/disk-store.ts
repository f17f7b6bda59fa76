import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { STORE_FORMAT, seal, unseal } from './codec.js';
import { type PartitionStateStore, StateStoreCorruptError, type StateStoreProvider } from './types.js';

export interface DiskStateStoreOptions {
  /** Directory holding one sub-directory per input partition. */
  directory: string;
  /** Committed states kept in memory per partition (least recently used out first). Default 100,000. */
  hotSetSize?: number;
  /**
   * Whether a commit waits for the disk (fsync). Default true. The processor turns it off: the changelog, not
   * this store, is what state is restored from, and a commit is one atomic write batch with its checkpoint, so
   * a commit lost to a machine crash only leaves the store at an older checkpoint, from which a restore reads
   * the changelog's tail; a process crash loses nothing (the OS has the write). Waiting for the disk would
   * only delay the partition's next batch, which waits for this commit.
   */
  sync?: boolean;
}

const FORMAT_KEY = 'format';
const CHECKPOINT_KEY = 'checkpoint';
const STATE_PREFIX = 's:';
const META_PREFIX = 'm:';

type Level = ClassicLevel<string, Buffer>;

/** LevelDB reports damage as LEVEL_CORRUPTION, or as a failed open whose cause is a Corruption status. */
function isCorruption(error: unknown): boolean {
  const e = error as { code?: string; message?: string; cause?: { message?: string } } | undefined;
  return (
    e?.code === 'LEVEL_CORRUPTION' ||
    /corrupt/i.test(e?.message ?? '') ||
    /corrupt/i.test(e?.cause?.message ?? '')
  );
}

/**
 * The embedded on-disk implementation: LevelDB (classic-level) with a bounded in-memory hot set in front, so a
 * partition may hold more callers than memory. Chosen over LMDB by `npm run bench:state-store` (docs/pipeline.md):
 * LMDB reads faster, but a damaged LMDB file kills the process (SIGSEGV) where LevelDB reports it, and a store
 * that crashes its reader cannot be detected, wiped and restored. One LevelDB per partition (a partition is wiped
 * or handed over alone); a commit is one write batch (states + checkpoint), atomic, synced unless `sync: false`.
 */
export class DiskStateStoreProvider implements StateStoreProvider {
  readonly kind = 'disk';
  readonly #open = new Set<DiskStateStore>();

  constructor(readonly options: DiskStateStoreOptions) {}

  #path(partition: number): string {
    return join(this.options.directory, `partition-${partition}`);
  }

  async open(partition: number): Promise<PartitionStateStore> {
    const path = this.#path(partition);
    await mkdir(path, { recursive: true });
    const db: Level = new ClassicLevel<string, Buffer>(path, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
    });
    try {
      await db.open();
    } catch (error) {
      if (!isCorruption(error)) throw error;
      throw new StateStoreCorruptError(partition, `LevelDB cannot open it (${describe(error)})`, {
        cause: error,
      });
    }
    try {
      const marker = `${STORE_FORMAT} partition=${partition}`;
      const format = (await db.get(META_PREFIX + FORMAT_KEY))?.toString();
      if (format === undefined) {
        for await (const _ of db.keys({ gte: STATE_PREFIX, lt: 's;', limit: 1 })) {
          throw new StateStoreCorruptError(partition, 'states without a format marker');
        }
        await db.put(META_PREFIX + FORMAT_KEY, Buffer.from(marker), { sync: true });
      } else if (format !== marker) {
        throw new StateStoreCorruptError(partition, `unexpected format marker ${JSON.stringify(format)}`);
      }
      const store = new DiskStateStore(
        partition,
        db,
        this.options.hotSetSize ?? 100_000,
        this.options.sync ?? true,
        () => this.#open.delete(store),
      );
      this.#open.add(store);
      return store;
    } catch (error) {
      await db.close();
      if (error instanceof StateStoreCorruptError) throw error;
      if (!isCorruption(error)) throw error;
      throw new StateStoreCorruptError(partition, `LevelDB cannot read it (${describe(error)})`, {
        cause: error,
      });
    }
  }

  async wipe(partition: number): Promise<void> {
    await rm(this.#path(partition), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((store) => store.close()));
  }
}

const describe = (error: unknown): string => {
  const e = error as { message?: string; cause?: { message?: string } };
  return [e.message, e.cause?.message].filter(Boolean).join(': ');
};

class DiskStateStore implements PartitionStateStore {
  /** Committed states recently used, in use order (a Map iterates in insertion order: the first is the oldest). */
  readonly #hot = new Map<string, Uint8Array>();
  readonly #staged = new Map<string, Uint8Array | null>();
  #closed = false;

  constructor(
    readonly partition: number,
    readonly db: Level,
    readonly hotSetSize: number,
    readonly sync: boolean,
    readonly onClose: () => void,
  ) {}

  #remember(caller: string, state: Uint8Array): void {
    this.#hot.delete(caller);
    this.#hot.set(caller, state);
    if (this.#hot.size > this.hotSetSize) {
      const oldest = this.#hot.keys().next();
      if (!oldest.done) this.#hot.delete(oldest.value);
    }
  }

  #open(value: Uint8Array, caller: string): Uint8Array {
    const state = unseal(value);
    if (!state)
      throw new StateStoreCorruptError(this.partition, `the state of caller ${caller} fails its checksum`);
    return new Uint8Array(state);
  }

  /** Runs a LevelDB read, turning its corruption errors into ours. */
  async #read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof StateStoreCorruptError || !isCorruption(error)) throw error;
      throw new StateStoreCorruptError(this.partition, `LevelDB cannot read it (${describe(error)})`, {
        cause: error,
      });
    }
  }

  /** What memory alone answers: a staged or hot state, null for a staged delete, undefined when not there. */
  #fromMemory(caller: string): Uint8Array | null | undefined {
    const staged = this.#staged.get(caller);
    if (staged !== undefined) return staged === null ? null : new Uint8Array(staged);
    const hot = this.#hot.get(caller);
    if (hot === undefined) return undefined;
    this.#remember(caller, hot);
    return new Uint8Array(hot);
  }

  async get(caller: string): Promise<Uint8Array | undefined> {
    return (await this.getMany([caller]))[0];
  }

  async getMany(callers: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const result: (Uint8Array | undefined)[] = new Array(callers.length);
    const missing: number[] = [];
    callers.forEach((caller, i) => {
      const known = this.#fromMemory(caller);
      if (known === undefined) missing.push(i);
      else result[i] = known ?? undefined;
    });
    if (missing.length === 0) return result;
    const values = await this.#read(() => this.db.getMany(missing.map((i) => STATE_PREFIX + callers[i])));
    missing.forEach((i, j) => {
      const value = values[j];
      if (value === undefined) return;
      const caller = callers[i] as string;
      const state = this.#open(value, caller);
      this.#remember(caller, state);
      result[i] = new Uint8Array(state);
    });
    return result;
  }

  put(caller: string, state: Uint8Array): void {
    this.#staged.set(caller, new Uint8Array(state));
  }

  delete(caller: string): void {
    this.#staged.set(caller, null);
  }

  async commit(checkpoint: string): Promise<void> {
    const staged = [...this.#staged];
    this.#staged.clear();
    await this.db.batch(
      [
        ...staged.map(([caller, state]) =>
          state === null
            ? { type: 'del' as const, key: STATE_PREFIX + caller }
            : { type: 'put' as const, key: STATE_PREFIX + caller, value: seal(state) },
        ),
        { type: 'put' as const, key: META_PREFIX + CHECKPOINT_KEY, value: Buffer.from(checkpoint) },
      ],
      { sync: this.sync },
    );
    for (const [caller, state] of staged) {
      if (state === null) this.#hot.delete(caller);
      else this.#remember(caller, state);
    }
  }

  async checkpoint(): Promise<string | undefined> {
    return (await this.#read(() => this.db.get(META_PREFIX + CHECKPOINT_KEY)))?.toString();
  }

  async *entries(): AsyncIterable<[string, Uint8Array]> {
    const iterator = this.db.iterator({ gte: STATE_PREFIX, lt: 's;', fillCache: false });
    try {
      for (;;) {
        const next = await this.#read(() => iterator.next());
        if (next === undefined) return;
        const [key, value] = next;
        const caller = key.slice(STATE_PREFIX.length);
        yield [caller, this.#open(value, caller)];
      }
    } finally {
      await iterator.close();
    }
  }

  async verify(): Promise<number> {
    let count = 0;
    for await (const _ of this.entries()) count++;
    return count;
  }

  async wipe(): Promise<void> {
    this.#staged.clear();
    this.#hot.clear();
    // The checkpoint first: a crash half-way leaves states without a checkpoint, which a restore wipes again.
    await this.db.del(META_PREFIX + CHECKPOINT_KEY, { sync: true });
    await this.db.clear({ gte: STATE_PREFIX, lt: 's;' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#staged.clear();
    this.onClose();
    await this.db.close();
  }
}
