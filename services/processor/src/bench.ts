#!/usr/bin/env node
/**
 * Pipeline benchmark on a real broker; prints JSON lines {"name","value","unit"} and nothing else on stdout.
 * 1. Drain: preload DRAIN_EVENTS events, start one processor process, measure events/s until all are scored
 *    (from the processor's own counter) and its CPU time per event.
 * 2. Latency: the same processor, events produced at LATENCY_RATE/s for LATENCY_SECONDS; for each result, the
 *    time from the event's `ts` to the moment this script consumes the result; p50/p95/p99.
 * 3. The processor's resident memory when it became ready, after the drain, and at the end.
 * Environment: KAFKA_BROKERS, MODEL_PATH, DRAIN_EVENTS (200000), LATENCY_RATE (1000), LATENCY_SECONDS (60).
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createRandom, TRUTH_HEADER } from '@scam-detector/core';
import {
  createKafkajsTransport,
  createTopics,
  deleteTopicsAndGroups,
  type ProducedRecord,
} from '@scam-detector/transport';
import { benchCalls, benchOutput, benchTopics, percentile, startBenchProcessor } from './bench-harness.js';

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const modelPath = resolve(env.MODEL_PATH ?? 'models/model.json');
const drainEvents = Number(env.DRAIN_EVENTS ?? 200_000);
const latencyRate = Number(env.LATENCY_RATE ?? 1000);
const latencySeconds = Number(env.LATENCY_SECONDS ?? 60);
const { log, emit } = benchOutput('bench');
const { id, topics, group } = benchTopics('bench');
const readerGroup = `bench-reader-${id}`;
await createTopics(brokers, Object.values(topics), 6);

const transport = createKafkajsTransport({
  brokers,
  clientId: 'bench',
  logger: createLogger('bench', 'silent'),
  // Like the processor: commits off the reader's path, so the measured latency is the pipeline's.
  commitIntervalMs: 500,
});
const nextCall = benchCalls(createRandom(2026));
const event = (nowMs: number): ProducedRecord => {
  const { caller, event, label } = nextCall(nowMs);
  return {
    topic: topics.input,
    key: caller,
    value: JSON.stringify(event),
    headers: { [TRUTH_HEADER]: String(label) },
  };
};

let processor: ReturnType<typeof startBenchProcessor> | undefined;
try {
  // 1. Preload.
  const producer = await transport.producer();
  log(`preloading ${drainEvents} events`);
  for (let sent = 0; sent < drainEvents; sent += 10_000) {
    const now = Date.now();
    await producer.send(Array.from({ length: Math.min(10_000, drainEvents - sent) }, () => event(now)));
  }

  // Latency reader: every result consumed, stamped on arrival.
  const latencies: number[] = [];
  let measuring = false;
  let resultsSeen = 0;
  const reader = await transport.consume(
    { group: readerGroup, topics: [topics.output], concurrency: 6 },
    (batch) => {
      const arrived = Date.now();
      resultsSeen += batch.records.length;
      if (measuring) {
        for (const record of batch.records) {
          const ts = JSON.parse(record.value?.toString() ?? '{}').call?.ts as number;
          latencies.push(arrived - ts * 1000);
        }
      }
      return [];
    },
  );

  // 2. Start one processor on the preloaded topic.
  processor = startBenchProcessor({ topics, group, modelPath });
  const { poll } = processor;

  const ready = await poll((m) => (m.get('processor_assigned_partitions') ?? 0) > 0, 20);
  const began = performance.now();
  const start = await poll((m) => (m.get('processor_events_scored_total') ?? 0) > 0, 5);
  const firstAt = performance.now();
  const end = await poll((m) => (m.get('processor_events_scored_total') ?? 0) >= drainEvents, 50);
  const endedAt = performance.now();
  const scoredAtStart = start.get('processor_events_scored_total') ?? 0;
  emit('drain_events', drainEvents, 'events');
  emit('drain_events_per_second', (drainEvents * 1000) / (endedAt - began), 'events/s');
  emit(
    'drain_events_per_second_after_first_result',
    ((drainEvents - scoredAtStart) * 1000) / (endedAt - firstAt),
    'events/s',
  );
  const cpu = (m: Map<string, number>) => m.get('process_cpu_seconds_total') ?? 0;
  emit('drain_cpu_per_event', ((cpu(end) - cpu(ready)) * 1e6) / drainEvents, 'µs/event');
  const rss = (m: Map<string, number>) => (m.get('process_resident_memory_bytes') ?? 0) / 2 ** 20;
  emit('processor_rss_ready', rss(ready), 'MiB');
  emit('processor_rss_after_drain', rss(end), 'MiB');

  // 3. Latency at a steady rate.
  const drained = drainEvents;
  while (resultsSeen < drained) await sleep(50); // the reader catches up with the drain before measuring
  measuring = true;
  log(`latency: ${latencyRate} events/s for ${latencySeconds} s`);
  const total = Math.round(latencyRate * latencySeconds);
  const startedAt = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) * latencyRate) / 1000)) - sent;
    if (due <= 0) {
      await sleep(1);
      continue;
    }
    const now = Date.now();
    await producer.send(Array.from({ length: due }, () => event(now)));
    sent += due;
  }
  emit('latency_producer_rate', (sent * 1000) / (performance.now() - startedAt), 'events/s');
  const deadline = performance.now() + 30_000;
  while (latencies.length < total && performance.now() < deadline) await sleep(50);
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p: number) => percentile(sorted, p);
  emit('latency_results', sorted.length, 'results');
  emit('latency_p50', pct(50), 'ms');
  emit('latency_p95', pct(95), 'ms');
  emit('latency_p99', pct(99), 'ms');
  emit('latency_max', sorted.at(-1) ?? Number.NaN, 'ms');
  emit('processor_rss_end', rss(await processor.poll(() => true, 50)), 'MiB');

  await reader.stop();
  await producer.close();
} finally {
  processor?.child.kill('SIGTERM');
  await transport.close();
  await deleteTopicsAndGroups(brokers, Object.values(topics), [group, readerGroup]).catch(() => undefined);
}
