#!/usr/bin/env node
/**
 * Durable caller state, measured on a real broker; prints JSON lines {"name","value","unit"} (progress on stderr).
 * 1. Drain: DRAIN_EVENTS (200,000) simulated-world events preloaded once, then drained by, in turn and ROUNDS (2)
 *    times in alternating order: the bare consume → produce → commit loop of our transport (in this process, the
 *    value copied through), the processor with in-memory caller state (CALLER_STATE=memory: lost on restart),
 *    and the processor with durable state (CALLER_STATE=durable, LevelDB under a fresh STATE_DIR, changelog).
 *    Each run drains the same topic with a fresh group: events/s and CPU µs/event; the best round of each.
 * 2. Latency: the durable processor at LATENCY_RATE (1,000) events/s for LATENCY_SECONDS (30): event time → the
 *    result consumed here, p50/p95/p99.
 * 3. A million callers: CALLERS (1,000,000) callers with one call each through a durable processor, twice: with a
 *    hot set of HOT_SET_SIZE (100,000) callers per partition and with a tenth of that: the callers held in
 *    memory, the bytes per caller in memory and on disk, heap and RSS (memory follows the setting, not the
 *    callers tracked); then a processor with an empty STATE_DIR takes over the group: the time from its start
 *    until every partition is restored from the changelog (start-up and group join included), and its RSS.
 * Environment: KAFKA_BROKERS, MODEL_PATH (the behavioural model the product serves: make train-behaviour). A
 * benchmark reports, never judges.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger, simulateWorld, toWireSeconds } from '@scam-detector/core';
import {
  createKafkajsTransport,
  createTopics,
  deleteTopicsAndGroups,
  type ProducedRecord,
  type Transport,
} from '@scam-detector/transport';
import { benchOutput, benchTopics, percentile, startBenchProcessor } from './bench-harness.js';

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const modelPath = resolve(env.MODEL_PATH ?? 'models/behaviour-model.json');
const drainEvents = Number(env.DRAIN_EVENTS ?? 200_000);
const rounds = Number(env.ROUNDS ?? 2);
const latencyRate = Number(env.LATENCY_RATE ?? 1000);
const latencySeconds = Number(env.LATENCY_SECONDS ?? 30);
const warmupSeconds = Number(env.LATENCY_WARMUP_SECONDS ?? 5);
const callerCount = Number(env.CALLERS ?? 1_000_000);
const hotSetSize = Number(env.HOT_SET_SIZE ?? 100_000);
const PARTITIONS = 6;
/** PHASES=drain,latency,million (all by default) runs only those (the drain's preload always runs). */
const phases = new Set((env.PHASES ?? 'drain,latency,million').split(','));
/** LATENCY_STATE=memory measures the latency phase with in-memory caller state instead. */
const latencyState = env.LATENCY_STATE === 'memory' ? 'memory' : 'durable';
const { log, emit } = benchOutput('bench-durable');
const { id, topics } = benchTopics('bench-durable');
const verdicts = `bench-durable-verdicts-${id}`;
const groups: string[] = [];
const extraTopics: string[] = [verdicts];
const directories: string[] = [];
const logger = createLogger('bench-durable', 'silent');
const transport: Transport = createKafkajsTransport({
  brokers,
  clientId: 'bench-durable',
  logger,
  commitIntervalMs: 500,
});

const stateDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-durable-'));
  directories.push(dir);
  return dir;
};
const newGroup = (kind: string): string => {
  const group = `bench-durable-${kind}-${id}-${groups.length}`;
  groups.push(group);
  extraTopics.push(`${group}-caller-state-changelog`);
  return group;
};
const send = async (records: ProducedRecord[]): Promise<void> => {
  const producer = await transport.producer();
  for (let i = 0; i < records.length; i += 10_000) await producer.send(records.slice(i, i + 10_000));
};

/** The processor as a child process on the shared topics, in `group`. */
const processor = (group: string, extra: Record<string, string>) =>
  startBenchProcessor(
    { topics, group, modelPath },
    {
      CALLER_VERDICTS_TOPIC: verdicts,
      KAFKA_COMMIT_INTERVAL_MS: '500',
      // e.g. PROCESSOR_NODE_OPTIONS=--cpu-prof to profile the drains.
      ...(env.PROCESSOR_NODE_OPTIONS ? { NODE_OPTIONS: env.PROCESSOR_NODE_OPTIONS } : {}),
      ...extra,
    },
  );

const cpuSeconds = (m: Map<string, number>): number => m.get('process_cpu_seconds_total') ?? 0;
const rssMiB = (m: Map<string, number>): number => (m.get('process_resident_memory_bytes') ?? 0) / 2 ** 20;
const scored = (m: Map<string, number>): number => m.get('processor_events_scored_total') ?? 0;

/** Drains the preloaded topic with a processor; events/s from its first assignment to the last event scored. */
async function drainWithProcessor(callerState: 'memory' | 'durable'): Promise<{ rate: number; cpu: number }> {
  const group = newGroup(callerState);
  const run = processor(group, {
    CALLER_STATE: callerState,
    ...(callerState === 'durable' ? { STATE_DIR: stateDir() } : {}),
  });
  try {
    const ready = await run.poll((m) => (m.get('processor_assigned_partitions') ?? 0) > 0, 10);
    const began = performance.now();
    const end = await run.poll((m) => scored(m) >= drainEvents, 25);
    const seconds = (performance.now() - began) / 1000;
    return { rate: drainEvents / seconds, cpu: ((cpuSeconds(end) - cpuSeconds(ready)) * 1e6) / drainEvents };
  } finally {
    run.child.kill('SIGTERM');
    await new Promise((done) => run.child.once('exit', done));
  }
}

/** The bare loop: our transport consuming the topic and producing each value to the output, then committing. */
async function drainBare(): Promise<{ rate: number; cpu: number }> {
  const group = newGroup('bare');
  let seen = 0;
  let began = 0;
  let cpuBefore = process.cpuUsage();
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const subscription = await transport.consume(
    { group, topics: [topics.input], fromBeginning: true, concurrency: PARTITIONS, maxBatchRecords: 1000 },
    (batch) => {
      if (began === 0) {
        began = performance.now();
        cpuBefore = process.cpuUsage();
      }
      seen += batch.records.length;
      if (seen >= drainEvents) queueMicrotask(finish);
      return batch.records.map((r) => ({ topic: topics.output, key: r.key, value: r.value }));
    },
  );
  await done;
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await subscription.stop();
  return { rate: drainEvents / seconds, cpu: (cpu.user + cpu.system) / drainEvents };
}

try {
  await createTopics(brokers, Object.values(topics), PARTITIONS);
  await createTopics(brokers, [verdicts], PARTITIONS);

  // 1. Drain (the world's events are also what the latency phase sends).
  log(`preloading ${drainEvents} simulated-world events`);
  const world: ProducedRecord[] = [];
  for (const { event } of simulateWorld({ seed: 2026, days: 3, subscribers: 20_000 })) {
    world.push({ topic: topics.input, key: event.caller, value: JSON.stringify(event) });
    if (world.length === drainEvents) break;
  }
  if (world.length < drainEvents)
    throw new Error(`the world gave ${world.length} events, fewer than ${drainEvents}`);
  await send(world);
  const best = new Map<string, { rate: number; cpu: number }>();
  const variants = ['bare', 'memory', 'durable'] as const;
  for (let round = 0; round < (phases.has('drain') ? rounds : 0); round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      log(`drain round ${round + 1}: ${variant}`);
      const figure = variant === 'bare' ? await drainBare() : await drainWithProcessor(variant);
      emit(`drain_${variant}_events_per_second`, figure.rate, 'events/s', { round: round + 1 });
      const known = best.get(variant);
      if (!known || figure.rate > known.rate) best.set(variant, figure);
    }
  }
  const bare = best.get('bare');
  for (const variant of variants) {
    const figure = best.get(variant);
    if (!figure || !bare) continue;
    emit(`drain_${variant}_best_events_per_second`, figure.rate, 'events/s');
    emit(`drain_${variant}_best_cpu_per_event`, figure.cpu, 'µs/event');
    if (variant !== 'bare') emit(`drain_${variant}_share_of_bare_loop`, figure.rate / bare.rate, 'ratio');
  }

  if (phases.has('latency')) await latencyPhase(world);
  if (phases.has('million')) await millionPhase();
} finally {
  await transport.close();
  await deleteTopicsAndGroups(brokers, [...Object.values(topics), ...extraTopics], groups).catch(
    () => undefined,
  );
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
}

async function latencyPhase(world: readonly ProducedRecord[]): Promise<void> {
  // 2. Latency of the durable processor at a steady rate, on topics of its own (no backlog to read).
  const lat = benchTopics('bench-durable-lat');
  extraTopics.push(...Object.values(lat.topics));
  await createTopics(brokers, Object.values(lat.topics), PARTITIONS);
  const latencyGroup = newGroup('latency');
  const durable = startBenchProcessor(
    { topics: lat.topics, group: latencyGroup, modelPath },
    {
      CALLER_VERDICTS_TOPIC: verdicts,
      CALLER_STATE: latencyState,
      ...(latencyState === 'durable' ? { STATE_DIR: stateDir() } : {}),
    },
  );
  await durable.poll((m) => (m.get('processor_assigned_partitions') ?? 0) === PARTITIONS, 50);
  const latencies: number[] = [];
  let measureFromMs = Number.POSITIVE_INFINITY;
  let readerAssigned: () => void = () => undefined;
  const readerReady = new Promise<void>((resolve) => {
    readerAssigned = resolve;
  });
  const reader = await transport.consume(
    {
      group: newGroup('reader'),
      topics: [lat.topics.output],
      concurrency: PARTITIONS,
      listener: { assigned: (assignment) => assignment.length > 0 && readerAssigned() },
    },
    (batch) => {
      const arrived = Date.now();
      for (const record of batch.records) {
        const ts = JSON.parse(record.value?.toString() ?? '{}').call?.ts as number;
        if (ts * 1000 >= measureFromMs) latencies.push(arrived - ts * 1000);
      }
      return [];
    },
  );
  await readerReady;
  log(`latency: ${latencyRate} events/s for ${latencySeconds} s`);
  const producer = await transport.producer();
  // The first LATENCY_WARMUP_SECONDS (5) warm the fresh processor up (JIT, connections): sent, not measured.
  const total = latencyRate * (latencySeconds + warmupSeconds);
  const measured = latencyRate * latencySeconds;
  measureFromMs = Date.now() + warmupSeconds * 1000;
  const startedAt = performance.now();
  let sent = 0;
  let w = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) * latencyRate) / 1000)) - sent;
    if (due <= 0) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const now = Date.now();
    const batch: ProducedRecord[] = [];
    for (let i = 0; i < due; i++) {
      // The world's calls again, stamped now: the latency is from event time to the result read here.
      const original = JSON.parse(String(world[w++ % world.length]?.value));
      batch.push({
        topic: lat.topics.input,
        key: original.caller,
        value: JSON.stringify({ ...original, ts: toWireSeconds(now) }),
      });
    }
    await producer.send(batch);
    sent += due;
  }
  const deadline = performance.now() + 30_000;
  while (latencies.length < measured && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await reader.stop();
  durable.child.kill('SIGTERM');
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p: number) => percentile(sorted, p);
  emit(`latency_${latencyState}_results`, sorted.length, 'results');
  emit(`latency_${latencyState}_p50`, pct(50), 'ms');
  emit(`latency_${latencyState}_p95`, pct(95), 'ms');
  emit(`latency_${latencyState}_p99`, pct(99), 'ms');
}

async function millionPhase(): Promise<void> {
  // 3. A million callers, one call each, on fresh topics.
  const many = benchTopics('bench-durable-many');
  extraTopics.push(...Object.values(many.topics));
  await createTopics(brokers, Object.values(many.topics), PARTITIONS);
  log(`sending ${callerCount} callers' calls`);
  const start = Date.UTC(2026, 0, 5);
  for (let first = 0; first < callerCount; first += 50_000) {
    const records: ProducedRecord[] = [];
    for (let i = first; i < Math.min(callerCount, first + 50_000); i++) {
      const caller = `09${String(i).padStart(9, '0')}`;
      const event = {
        ts: toWireSeconds(start + i * 10),
        call_duration: 1 + (i % 300),
        hour_of_day: i % 24,
        num_digits: 11,
        freq_calls: 0,
        caller,
        callee: `09${String((i * 7919) % 1_000_000_000).padStart(9, '0')}`,
      };
      records.push({ topic: many.topics.input, key: caller, value: JSON.stringify(event) });
    }
    await send(records);
  }
  const manyRun = (group: string, dir: string, hot: number) =>
    startBenchProcessor(
      { topics: many.topics, group, modelPath },
      {
        CALLER_VERDICTS_TOPIC: verdicts,
        CALLER_STATE: 'durable',
        STATE_DIR: dir,
        STATE_HOT_SET_SIZE: String(hot),
        NODE_OPTIONS: '--max-old-space-size=4096',
      },
    );
  // The same million callers with two hot-set settings: memory follows the setting, not the callers tracked.
  let manyGroup = '';
  for (const hot of [hotSetSize, Math.max(100, Math.round(hotSetSize / 10))]) {
    manyGroup = newGroup('many');
    const dir = stateDir();
    const tracker = manyRun(manyGroup, dir, hot);
    const began = performance.now();
    const tracked = await tracker.poll((m) => scored(m) >= callerCount, 250);
    const tag = { hot_set_per_partition: hot };
    emit('million_drain_seconds', (performance.now() - began) / 1000, 's', tag);
    // Once the last batches are committed locally the hot set is trimmed: wait for the gauge to settle.
    const settled = await tracker.poll(
      (m) => (m.get('processor_caller_states') ?? 0) <= hot * PARTITIONS,
      250,
    );
    const inMemory = settled.get('processor_caller_states') ?? 0;
    emit('million_callers_tracked', callerCount, 'callers', tag);
    emit('million_callers_in_memory', inMemory, 'callers', tag);
    emit(
      'million_state_bytes_per_caller_in_memory',
      (settled.get('processor_caller_state_bytes') ?? 0) / Math.max(1, inMemory),
      'bytes',
      tag,
    );
    emit('million_heap_used', (settled.get('nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20, 'MiB', tag);
    emit('million_rss', rssMiB(settled), 'MiB', tag);
    emit('million_rss_at_drain_end', rssMiB(tracked), 'MiB', tag);
    tracker.child.kill('SIGTERM');
    await new Promise((done) => tracker.child.once('exit', done));
    const diskBytes = Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
    emit('million_disk_bytes_per_caller', diskBytes / callerCount, 'bytes', tag);
  }

  log('restoring the million callers into an empty store (a new pod)');
  const restorer = manyRun(manyGroup, stateDir(), hotSetSize);
  const restoreBegan = performance.now();
  await restorer.poll((m) => (m.get('processor_assigned_partitions') ?? 0) > 0, 100);
  const restored = await restorer.poll(
    (m) =>
      (m.get('processor_assigned_partitions') ?? 0) === PARTITIONS &&
      (m.get('processor_state_restoring_partitions') ?? 1) === 0,
    100,
  );
  emit('million_restore_seconds', (performance.now() - restoreBegan) / 1000, 's');
  let records = 0;
  for (const [key, value] of restored)
    if (key.startsWith('processor_state_restored_records_total')) records += value;
  emit('million_restore_records', records, 'records');
  emit('million_restore_rss', rssMiB(restored), 'MiB');
  restorer.child.kill('SIGTERM');
  await new Promise((done) => restorer.child.once('exit', done));
}
