#!/usr/bin/env node
/**
 * Poison at scale, on a real broker; prints JSON lines {"name","value","unit"} on stdout (progress on stderr).
 * Two runs in the same process, one after the other, each on fresh topics with one processor process (the
 * built main.js): CLEAN (every event valid) and POISONED (POISON_SHARE of the events invalid, of seven kinds,
 * mixed in at random). Each run sends EVENTS events paced at RATE events/s while the processor consumes them,
 * then waits until the processor has read them all. Reported per run: the achieved input rate, valid events
 * scored per second over the run (from the first event sent to the last one read), and for the poisoned run
 * whether every invalid event reached the dead-letter topic with the reason it was made for (each carries the
 * expected reason in a header, which the processor copies to the dead letter byte for byte).
 * Target: poisoned valid throughput >= 80 % of the clean run's; no dead letter missing or with a wrong reason.
 * Environment: KAFKA_BROKERS, MODEL_PATH, RATE (10000), EVENTS (200000), POISON_SHARE (0.1).
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
import { benchCalls, benchOutput, benchTopics, startBenchProcessor } from './bench-harness.js';

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const modelPath = resolve(env.MODEL_PATH ?? 'models/model.json');
const rate = Number(env.RATE ?? 10_000);
const events = Number(env.EVENTS ?? 200_000);
const poisonShare = Number(env.POISON_SHARE ?? 0.1);
const EXPECTED = 'bench_expected_reason';
const REASON_HEADER = '__connect.errors.exception.class.name';
const { log, emit } = benchOutput('bench-poison');

/** Seven ways to be invalid, each with the reason code the shared validator gives it. */
const POISONS: { reason: string; make: (valid: Record<string, unknown>) => string }[] = [
  { reason: 'invalid_json', make: (v) => JSON.stringify(v).slice(0, -3) },
  { reason: 'not_an_object', make: (v) => JSON.stringify([v]) },
  { reason: 'missing_field', make: ({ caller: _, ...rest }) => JSON.stringify(rest) },
  { reason: 'wrong_type', make: (v) => JSON.stringify({ ...v, call_duration: String(v.call_duration) }) },
  { reason: 'out_of_range', make: (v) => JSON.stringify({ ...v, hour_of_day: 24 }) },
  { reason: 'invalid_caller', make: (v) => JSON.stringify({ ...v, caller: '12345' }) },
  { reason: 'empty_value', make: () => '' },
];

const transport = createKafkajsTransport({
  brokers,
  clientId: 'bench-poison',
  logger: createLogger('bench', 'silent'),
});
const cleanup: (() => Promise<unknown>)[] = [];

async function run(label: string, share: number) {
  const { id, topics, group } = benchTopics('poison');
  const dlqGroup = `poison-dlq-reader-${id}`;
  await createTopics(brokers, Object.values(topics), 6);
  cleanup.push(() => deleteTopicsAndGroups(brokers, Object.values(topics), [group, dlqGroup]));

  const random = createRandom(label === 'clean' ? 1 : 2);
  const nextCall = benchCalls(random);
  let invalid = 0;
  const make = (nowMs: number): ProducedRecord => {
    const { caller, event, label: truth } = nextCall(nowMs);
    const valid = event as unknown as Record<string, unknown>;
    if (random.next() < share) {
      const poison = POISONS[invalid++ % POISONS.length] as (typeof POISONS)[number];
      return {
        topic: topics.input,
        key: caller,
        value: poison.make(valid),
        headers: { [EXPECTED]: poison.reason },
      };
    }
    return {
      topic: topics.input,
      key: caller,
      value: JSON.stringify(valid),
      headers: { [TRUTH_HEADER]: String(truth) },
    };
  };

  // Every dead letter, checked against the reason its input was made for.
  let deadLetters = 0;
  let wrongReason = 0;
  const dlqReader = await transport.consume({ group: dlqGroup, topics: [topics.dlq] }, (batch) => {
    for (const record of batch.records) {
      deadLetters++;
      if (record.headers[EXPECTED]?.toString() !== record.headers[REASON_HEADER]?.toString()) wrongReason++;
    }
    return [];
  });

  const processor = startBenchProcessor({ topics, group, modelPath });
  for (;;) {
    if ((await processor.metric('processor_assigned_partitions').catch(() => 0)) > 0) break;
    await sleep(50);
  }
  log(`${label}: ${events} events at ${rate}/s, ${Math.round(share * 100)} % invalid`);
  const producer = await transport.producer();
  const began = performance.now();
  let sent = 0;
  while (sent < events) {
    const due = Math.min(events, Math.floor(((performance.now() - began) * rate) / 1000)) - sent;
    if (due <= 0) {
      await sleep(1);
      continue;
    }
    const now = Date.now();
    const chunk = Math.min(due, 5000);
    await producer.send(Array.from({ length: chunk }, () => make(now)));
    sent += chunk;
  }
  const sentIn = performance.now() - began;
  for (;;) {
    if ((await processor.metric('processor_events_in_total')) >= events) break;
    await sleep(20);
  }
  const elapsed = performance.now() - began;
  const scored = await processor.metric('processor_events_scored_total');
  const dlqTotal = await processor.metric('processor_dlq_total');
  const deadline = performance.now() + 60_000;
  while (deadLetters < invalid && performance.now() < deadline) await sleep(100);
  processor.child.kill('SIGTERM');
  await dlqReader.stop();
  await producer.close();

  emit(`${label}_input_rate`, (events * 1000) / sentIn, 'events/s');
  emit(`${label}_valid_scored_per_second`, (scored * 1000) / elapsed, 'events/s');
  emit(`${label}_invalid_sent`, invalid, 'events');
  emit(`${label}_dead_letters_counted`, dlqTotal, 'events');
  emit(`${label}_dead_letters_missing`, Math.max(0, invalid - deadLetters), 'events');
  emit(`${label}_dead_letters_wrong_reason`, wrongReason, 'events');
  return {
    validPerSecond: (scored * 1000) / elapsed,
    missing: invalid - deadLetters,
    wrongReason,
    scored,
    invalid,
  };
}

let failed = false;
try {
  const clean = await run('clean', 0);
  const poisoned = await run('poisoned', poisonShare);
  const ratio = poisoned.validPerSecond / clean.validPerSecond;
  emit('poisoned_valid_throughput_vs_clean', ratio, 'ratio');
  failed =
    ratio < 0.8 ||
    poisoned.missing !== 0 ||
    poisoned.wrongReason !== 0 ||
    poisoned.scored + poisoned.invalid !== events;
  log(
    failed
      ? 'target NOT met'
      : 'target met: every invalid event dead-lettered with its reason, valid throughput >= 80 % of clean',
  );
} finally {
  await transport.close();
  for (const step of cleanup) await step().catch(() => undefined);
}
process.exit(failed ? 1 : 0);
