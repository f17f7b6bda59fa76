#!/usr/bin/env node
/**
 * Chooses the embedded on-disk engine of the state store: LMDB (lmdb-js) against LevelDB (classic-level), both
 * from the npm registry with their native binaries. For each, on the same machine in the same run: synced commits
 * of batches of caller states (as a processor commits a batch), random reads of a cold store, a full scan (what
 * a restore's verification does), the bytes on disk per caller, and what a damaged file does to the process.
 * Prints JSON lines {"name", "value", "unit"}; a benchmark, it reports, never judges.
 *   node services/processor/dist/bench-state-store.js [--callers 200000] [--batch 2000] [--reads 200000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { STATE_BYTES } from '@scam-detector/core';
import { ClassicLevel } from 'classic-level';
import { open } from 'lmdb';

const { values } = parseArgs({
  options: {
    callers: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '2000' },
    reads: { type: 'string', default: '200000' },
    probe: { type: 'string' },
    directory: { type: 'string' },
  },
});

/** The engine behind one small interface, so both are measured doing the same work. */
interface Engine {
  commit(entries: readonly [string, Buffer][]): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  getMany(keys: string[]): Promise<(Buffer | undefined)[]>;
  scan(): Promise<number>;
  close(): Promise<void>;
}

async function openEngine(name: string, directory: string): Promise<Engine> {
  if (name === 'lmdb') {
    const root = open<Buffer, string>({
      path: join(directory, 'states.mdb'),
      encoding: 'binary',
      compression: false,
    });
    return {
      commit: (entries) =>
        root.transaction(() => {
          for (const [key, value] of entries) root.put(key, value);
        }),
      get: async (key) => root.get(key),
      getMany: (keys) => root.getMany(keys),
      scan: async () => {
        let n = 0;
        for (const _ of root.getRange()) n++;
        return n;
      },
      close: () => root.close(),
    };
  }
  const db = new ClassicLevel<string, Buffer>(directory, { valueEncoding: 'buffer' });
  await db.open();
  return {
    commit: (entries) =>
      db.batch(
        entries.map(([key, value]) => ({ type: 'put' as const, key, value })),
        { sync: true },
      ),
    get: (key) => db.get(key),
    getMany: (keys) => db.getMany(keys),
    scan: async () => {
      let n = 0;
      for await (const _ of db.iterator({ fillCache: false })) n++;
      return n;
    },
    close: () => db.close(),
  };
}

const emit = (name: string, value: number, unit: string): void => {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit }));
};
const bytesUnder = (directory: string): number =>
  readdirSync(directory).reduce((sum, file) => sum + statSync(join(directory, file)).size, 0);

/** In a child process: writes a store, overwrites its files with garbage, opens and reads it. */
async function probe(name: string, directory: string): Promise<void> {
  const engine = await openEngine(name, directory);
  await engine.commit(
    Array.from({ length: 5000 }, (_, i) => [`+1555${i}`, Buffer.alloc(STATE_BYTES, i & 0xff)]),
  );
  await engine.close();
  for (const file of readdirSync(directory)) {
    if (file.endsWith('.mdb') || file.endsWith('.ldb') || file.startsWith('MANIFEST'))
      writeFileSync(join(directory, file), Buffer.alloc(64 * 1024, 0x5a));
  }
  try {
    const damaged = await openEngine(name, directory);
    await damaged.scan();
    await damaged.get('+15551');
    console.log('served');
  } catch {
    console.log('reported');
  }
}

if (values.probe) {
  await probe(values.probe, values.directory as string);
} else {
  const callers = Number(values.callers);
  const batch = Number(values.batch);
  const reads = Number(values.reads);
  const keys = Array.from({ length: callers }, (_, i) => `09${String(100_000_000 + i * 7).slice(-9)}`);
  // States as incompressible as real ones (counters, buckets, hashes): pseudo-random bytes.
  const state = (i: number): Buffer => {
    const out = Buffer.allocUnsafe(STATE_BYTES + 4);
    let h = (i * 2654435761) >>> 0;
    for (let j = 0; j < out.length; j++) {
      h = (Math.imul(h ^ (h >>> 15), 2246822507) + j) >>> 0;
      out[j] = h & 0xff;
    }
    return out;
  };
  for (const name of ['lmdb', 'classic-level']) {
    const directory = mkdtempSync(join(tmpdir(), `bench-${name}-`));
    try {
      const engine = await openEngine(name, directory);
      let t0 = performance.now();
      for (let start = 0; start < callers; start += batch) {
        const entries: [string, Buffer][] = [];
        for (let i = start; i < Math.min(callers, start + batch); i++)
          entries.push([keys[i] as string, state(i)]);
        await engine.commit(entries);
      }
      emit(`${name}_synced_puts_per_s`, callers / ((performance.now() - t0) / 1000), 'puts/s');
      await engine.close();
      emit(`${name}_disk_bytes_per_caller`, bytesUnder(directory) / callers, 'bytes');

      const cold = await openEngine(name, directory);
      let x = 12345;
      t0 = performance.now();
      for (let i = 0; i < reads; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        if (!(await cold.get(keys[x % callers] as string))) throw new Error('missing key');
      }
      emit(`${name}_random_gets_per_s`, reads / ((performance.now() - t0) / 1000), 'gets/s');
      // As a processor reads the callers of a batch it does not hold in memory: one call for the batch.
      t0 = performance.now();
      for (let done = 0; done < reads; done += batch) {
        const wanted: string[] = [];
        for (let i = 0; i < batch; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          wanted.push(keys[x % callers] as string);
        }
        const got = await cold.getMany(wanted);
        if (got.some((value) => value === undefined)) throw new Error('missing key');
      }
      emit(`${name}_batched_gets_per_s`, reads / ((performance.now() - t0) / 1000), 'gets/s');
      t0 = performance.now();
      const scanned = await cold.scan();
      if (scanned !== callers) throw new Error(`scan saw ${scanned} of ${callers}`);
      emit(`${name}_scan_entries_per_s`, callers / ((performance.now() - t0) / 1000), 'entries/s');
      await cold.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    const probeDirectory = mkdtempSync(join(tmpdir(), `bench-${name}-probe-`));
    try {
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--probe', name, '--directory', probeDirectory],
        { encoding: 'utf8' },
      );
      // 1: the damage was reported as an error the service can act on (wipe, restore); 0: the process died
      // (a signal) or the garbage was served.
      emit(
        `${name}_damaged_file_reported`,
        child.stdout.trim() === 'reported' ? 1 : 0,
        child.signal ?? 'bool',
      );
    } finally {
      rmSync(probeDirectory, { recursive: true, force: true });
    }
  }
}
