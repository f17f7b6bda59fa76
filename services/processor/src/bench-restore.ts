#!/usr/bin/env node
/**
 * Restore speed of durable caller state on the local broker: writes N callers' states (real feature-module
 * states) to a fresh one-partition changelog, then restores that partition into an empty in-memory store, an
 * empty on-disk store (the whole changelog: a new pod), and the now full on-disk store again (an intact store
 * with nothing to read: what a restart costs, mostly the verification scan). Prints JSON lines
 * {"name", "value", "unit"}; a benchmark, it reports, never judges.
 *   KAFKA_BROKERS=127.0.0.1:9092 node services/processor/dist/bench-restore.js [--callers 200000]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CallerStates, createLogger } from '@scam-detector/core';
import {
  createKafkajsTopicAdmin,
  createKafkajsTransport,
  deleteTopicsAndGroups,
  type ProducedRecord,
} from '@scam-detector/transport';
import { restorePartition } from './state/changelog.js';
import { DiskStateStoreProvider } from './state/disk-store.js';
import { MemoryStateStoreProvider } from './state/memory-store.js';
import type { StateStoreProvider } from './state/types.js';

const { values } = parseArgs({ options: { callers: { type: 'string', default: '200000' } } });
const callers = Number(values.callers);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const logger = createLogger('bench-restore', 'warn');
const emit = (name: string, value: number, unit: string): void => {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit }));
};

const topic = `bench-changelog-${randomBytes(4).toString('hex')}`;
const admin = createKafkajsTopicAdmin({ brokers, clientId: 'bench-restore', logger });
const transport = createKafkajsTransport({ brokers, clientId: 'bench-restore', logger });
const directory = mkdtempSync(join(tmpdir(), 'bench-restore-'));
try {
  await admin.ensureTopic({ topic, partitions: 1, compacted: true });
  const producer = await transport.producer();
  const states = new CallerStates();
  const start = Date.UTC(2026, 0, 5);
  let bytes = 0;
  let t0 = performance.now();
  for (let first = 0; first < callers; first += 10_000) {
    const records: ProducedRecord[] = [];
    for (let i = first; i < Math.min(callers, first + 10_000); i++) {
      const caller = `+6391${String(i).padStart(8, '0')}`;
      states.update(
        caller,
        {
          ts: (start + i * 50) / 1000,
          call_duration: 1 + (i % 300),
          hour_of_day: i % 24,
          num_digits: 12,
          freq_calls: 0,
          callee: `+6392${String((i * 7919) % 1_000_000).padStart(8, '0')}`,
        },
        i,
      );
      const state = states.read(caller) as Uint8Array;
      bytes += state.length;
      records.push({ topic, partition: 0, key: caller, value: Buffer.from(state) });
    }
    await producer.send(records);
  }
  emit('changelog_write_states_per_s', callers / ((performance.now() - t0) / 1000), 'states/s');
  emit('changelog_state_bytes_per_caller', bytes / callers, 'bytes');

  const restore = async (name: string, provider: StateStoreProvider): Promise<void> => {
    t0 = performance.now();
    const { store, result } = await restorePartition({
      admin,
      provider,
      changelogTopic: topic,
      partition: 0,
      logger,
    });
    const seconds = (performance.now() - t0) / 1000;
    await store.close();
    emit(`restore_${name}_seconds`, seconds, 's');
    emit(`restore_${name}_records`, result.records, 'records');
    if (result.records > 0) emit(`restore_${name}_records_per_s`, result.records / seconds, 'records/s');
  };
  await restore('memory_store_whole_changelog', new MemoryStateStoreProvider());
  const disk = new DiskStateStoreProvider({ directory });
  await restore('disk_store_whole_changelog', disk);
  await restore('disk_store_intact', new DiskStateStoreProvider({ directory }));
} finally {
  await transport.close();
  await admin.close();
  await deleteTopicsAndGroups(brokers, [topic]);
  rmSync(directory, { recursive: true, force: true });
}
