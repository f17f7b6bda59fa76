import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DiskStateStoreProvider } from '../../src/state/disk-store.js';
import { StateStoreCorruptError } from '../../src/state/types.js';
import { stateStoreConformance } from './conformance.js';

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'state-store-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** Providers made by a test, closed when it finishes. */
function provider(directory: string, hotSetSize = 100): DiskStateStoreProvider {
  const made = new DiskStateStoreProvider({ directory, hotSetSize });
  onTestFinished(() => made.close());
  return made;
}

stateStoreConformance('on-disk (LevelDB, hot set of 100)', () => {
  let directory: Promise<string> | undefined;
  const dir = (): Promise<string> => {
    directory ??= temporaryDirectory();
    return directory;
  };
  // The provider's directory is made lazily; each provider is a fresh process's view of the same directory.
  const lazy = (): DiskStateStoreProvider => {
    const made = new DiskStateStoreProvider({ directory: '', hotSetSize: 100 });
    let real: DiskStateStoreProvider | undefined;
    const get = async (): Promise<DiskStateStoreProvider> => {
      real ??= provider(await dir());
      return real;
    };
    return Object.assign(made, {
      open: async (partition: number) => (await get()).open(partition),
      wipe: async (partition: number) => (await get()).wipe(partition),
      close: async () => (await get()).close(),
    });
  };
  return {
    provider: lazy,
    again: lazy,
    // Rewrites one state's bytes behind the store's back: LMDB stays readable, the checksum no longer matches.
    corrupt: async (partition) => {
      const db = new ClassicLevel<string, Buffer>(join(await dir(), `partition-${partition}`), {
        valueEncoding: 'buffer',
      });
      await db.open();
      for await (const [key, value] of db.iterator({ gte: 's:', lt: 's;', limit: 1 })) {
        const damaged = Buffer.from(value);
        damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0xff;
        await db.put(key, damaged, { sync: true });
      }
      await db.close();
    },
  };
});

describe('the on-disk state store', () => {
  it('reports files LevelDB cannot read as a corrupt store, and opens fresh after a wipe', async () => {
    const directory = await temporaryDirectory();
    const first = provider(directory);
    const store = await first.open(5);
    store.put('a', Uint8Array.of(1));
    await store.commit('1');
    await first.close();
    for (const file of await readdir(join(directory, 'partition-5'))) {
      if (/^(MANIFEST-|\d+\.(log|ldb)$)/.test(file)) {
        await writeFile(join(directory, 'partition-5', file), Buffer.alloc(64 * 1024, 0x5a));
      }
    }
    const second = provider(directory);
    const failure = await second.open(5).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StateStoreCorruptError);
    await second.wipe(5);
    const fresh = await second.open(5);
    expect(await fresh.checkpoint()).toBeUndefined();
    expect(await fresh.get('a')).toBeUndefined();
  });

  it('refuses a store written for another partition (a misplaced directory)', async () => {
    const directory = await temporaryDirectory();
    const first = provider(directory);
    const store = await first.open(1);
    store.put('a', Uint8Array.of(1));
    await store.commit('1');
    await first.close();
    await rename(join(directory, 'partition-1'), join(directory, 'partition-2'));
    await expect(provider(directory).open(2)).rejects.toThrow(
      /partition 2 is corrupt: unexpected format marker/,
    );
  });
});
