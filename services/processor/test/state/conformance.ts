import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type PartitionStateStore,
  StateStoreCorruptError,
  type StateStoreProvider,
} from '../../src/state/types.js';

/** One suite, two implementations: what the processor relies on must hold in memory and on disk alike. */
export interface StoreContext {
  /** A fresh provider over fresh storage; `again()` opens the same storage anew (a process restart). */
  provider(): StateStoreProvider;
  again(): StateStoreProvider;
  /** Damages one committed state of a partition (the store must be closed), as a flipped bit would. */
  corrupt(partition: number): Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

async function opened(provider: StateStoreProvider, partition: number): Promise<PartitionStateStore> {
  const store = await provider.open(partition);
  onTestFinished(() => store.close());
  return store;
}

async function all(store: PartitionStateStore): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>();
  for await (const [caller, state] of store.entries()) result.set(caller, [...state]);
  return result;
}

export function stateStoreConformance(name: string, makeContext: () => StoreContext): void {
  describe(`the ${name} state store`, () => {
    it('starts empty, with no checkpoint', async () => {
      const store = await opened(makeContext().provider(), 0);
      expect(await store.checkpoint()).toBeUndefined();
      expect(await store.get('+15550001')).toBeUndefined();
      expect(await store.verify()).toBe(0);
    });

    it('serves staged states at once and keeps them only once committed with their checkpoint', async () => {
      const context = makeContext();
      const store = await opened(context.provider(), 2);
      store.put('+15550001', bytes(1, 2, 3));
      store.put('+15550002', bytes(4));
      expect(await store.get('+15550001')).toEqual(bytes(1, 2, 3));
      expect(await all(store)).toEqual(new Map()); // staged, not committed
      await store.commit('17');
      store.put('+15550003', bytes(9)); // staged and never committed: lost with the process
      await store.close();
      const reopened = await opened(context.again(), 2);
      expect(await reopened.checkpoint()).toBe('17');
      expect(await all(reopened)).toEqual(
        new Map([
          ['+15550001', [1, 2, 3]],
          ['+15550002', [4]],
        ]),
      );
      expect(await reopened.get('+15550003')).toBeUndefined();
    });

    it('copies what it is given and what it hands out', async () => {
      const store = await opened(makeContext().provider(), 0);
      const state = bytes(1, 2);
      store.put('a', state);
      state[0] = 99;
      await store.commit('1');
      const read = (await store.get('a')) as Uint8Array;
      expect(read).toEqual(bytes(1, 2));
      read[1] = 99;
      expect(await store.get('a')).toEqual(bytes(1, 2));
    });

    it('replaces and deletes callers, and the last staged change of a caller wins', async () => {
      const store = await opened(makeContext().provider(), 1);
      store.put('a', bytes(1));
      store.put('b', bytes(2));
      await store.commit('2');
      store.put('a', bytes(3));
      store.delete('b');
      store.put('c', bytes(5));
      store.delete('c');
      expect(await store.get('b')).toBeUndefined();
      await store.commit('6');
      expect(await all(store)).toEqual(new Map([['a', [3]]]));
      expect(await store.checkpoint()).toBe('6');
      expect(await store.verify()).toBe(1);
    });

    it('keeps the partitions apart', async () => {
      const context = makeContext();
      const provider = context.provider();
      const zero = await opened(provider, 0);
      const one = await opened(provider, 1);
      zero.put('a', bytes(0));
      one.put('a', bytes(1));
      await zero.commit('1');
      await one.commit('5');
      expect(await zero.get('a')).toEqual(bytes(0));
      expect(await one.get('a')).toEqual(bytes(1));
      expect(await zero.checkpoint()).toBe('1');
      await provider.wipe(0).catch(() => undefined); // open: an implementation may refuse; partition 1 stays
      expect(await one.get('a')).toEqual(bytes(1));
    });

    it('wipes states, staged changes and the checkpoint', async () => {
      const context = makeContext();
      const store = await opened(context.provider(), 3);
      store.put('a', bytes(1));
      await store.commit('1');
      store.put('b', bytes(2));
      await store.wipe();
      expect(await store.get('a')).toBeUndefined();
      expect(await store.get('b')).toBeUndefined();
      expect(await store.checkpoint()).toBeUndefined();
      await store.close();
      const reopened = await opened(context.again(), 3);
      expect(await all(reopened)).toEqual(new Map());
    });

    it('holds many callers, more than any hot set, and reads every one back', async () => {
      const context = makeContext();
      const store = await opened(context.provider(), 0);
      const state = (i: number): Uint8Array => Uint8Array.from({ length: 40 }, (_, j) => (i + j) & 0xff);
      for (let i = 0; i < 5000; i++) store.put(`+1555${i}`, state(i));
      await store.commit('5000');
      for (let i = 0; i < 5000; i += 7) expect(await store.get(`+1555${i}`)).toEqual(state(i));
      expect(await store.verify()).toBe(5000);
      expect((await all(store)).size).toBe(5000);
    });

    it('detects a damaged state, names the partition, and is usable again after a wipe', async () => {
      const context = makeContext();
      const store = await context.provider().open(4);
      store.put('a', bytes(1, 2, 3, 4));
      store.put('b', bytes(5, 6, 7, 8));
      await store.commit('2');
      await store.close();
      await context.corrupt(4);
      const provider = context.again();
      let damaged: PartitionStateStore | undefined;
      try {
        damaged = await provider.open(4);
        await damaged.verify();
        expect.unreachable('verify must report the damage');
      } catch (error) {
        expect(error).toBeInstanceOf(StateStoreCorruptError);
        expect((error as StateStoreCorruptError).partition).toBe(4);
        expect((error as Error).message).toMatch(/partition 4 is corrupt/);
      }
      await damaged?.close();
      await provider.wipe(4);
      const fresh = await opened(provider, 4);
      expect(await fresh.checkpoint()).toBeUndefined();
      expect(await fresh.verify()).toBe(0);
    });
  });
}
