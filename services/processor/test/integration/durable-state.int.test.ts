import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BEHAVIOUR_FEATURES,
  CallerStates,
  EXPLAINED_FEATURES,
  inputIdKey,
  parseVerdict,
  simulateWorld,
  truthHeaders,
} from '@scam-detector/core';
import type { ConsumedRecord, ProducedRecord } from '@scam-detector/transport';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ChildService,
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  paceEvents,
  processorEnv,
  readTopic,
  restartBrokerUnderProducer,
  startService,
  type Topics,
  testTransport,
  waitForAssignment,
} from './harness.js';

type Features = Record<string, number | null>;

/**
 * The five proofs of issue #13 on the real broker. In each, the reference is the input as the broker holds it,
 * each partition through the feature module in one uninterrupted pass; the first result of every input record
 * (by its input id) must carry exactly the reference's features, value for value, and every input must have a
 * result. Processors run with a hot set of 100 callers per partition (fewer than a partition's callers), so
 * callers also come back from the local store, not only from memory.
 */

/** The features a result carries, as its JSON has them (non-finite values as null). */
function asResult(features: Float64Array): Features {
  const out: Features = {};
  for (const name of EXPLAINED_FEATURES) {
    const value = features[BEHAVIOUR_FEATURES.indexOf(name)] as number;
    out[name] = Number.isFinite(value) ? value : null;
  }
  return out;
}

/** Input id → the features of one uninterrupted pass over each partition. */
function reference(input: readonly ConsumedRecord[]): Map<string, Features> {
  const expected = new Map<string, Features>();
  const byPartition = new Map<number, ConsumedRecord[]>();
  for (const record of input)
    byPartition.set(record.partition, [...(byPartition.get(record.partition) ?? []), record]);
  for (const records of byPartition.values()) {
    const states = new CallerStates();
    for (const record of [...records].sort((a, b) => Number(a.offset) - Number(b.offset))) {
      const event = JSON.parse(String(record.value));
      const id = inputIdKey({
        topic: record.topic,
        partition: record.partition,
        offset: Number(record.offset),
      });
      expected.set(id, asResult(states.update(event.caller, event, Number(record.offset)).features));
    }
  }
  return expected;
}

/** Compares every input's first result with the reference; returns the figures the test reports. */
async function expectFeaturesOfOnePass(
  input: Awaited<ReturnType<typeof readTopic>>,
  output: Awaited<ReturnType<typeof readTopic>>,
  count: number,
): Promise<{ results: number; duplicates: number }> {
  await input.waitFor(count);
  const ids = (): Set<string> =>
    new Set(output.records.map((r) => inputIdKey(JSON.parse(String(r.value)).input)));
  await expect.poll(() => ids().size, { timeout: 180_000, interval: 500 }).toBe(count);
  const expected = reference(input.records);
  expect(expected.size).toBe(count);
  const first = new Map<string, Features>();
  for (const record of output.records) {
    const result = JSON.parse(String(record.value));
    const id = inputIdKey(result.input);
    if (!first.has(id)) first.set(id, result.explanation.features);
  }
  const wrong = [...expected].filter(
    ([id, features]) => JSON.stringify(first.get(id)) !== JSON.stringify(features),
  );
  expect(wrong.slice(0, 3)).toEqual([]);
  return { results: output.records.length, duplicates: output.records.length - count };
}

/** Each caller's verdict records alternate flagged, cleared, flagged…: a change is never written twice. */
async function expectVerdictsAlternate(topics: Topics): Promise<number> {
  const verdicts = await readTopic(testTransport(), topics.verdicts);
  const byCaller = new Map<string, string[]>();
  await expect.poll(() => verdicts.records.length, { timeout: 30_000 }).toBeGreaterThan(0);
  for (const record of verdicts.records) {
    const verdict = parseVerdict(record.value);
    if (!verdict) continue;
    expect(record.key?.toString()).toBe(verdict.caller);
    byCaller.set(verdict.caller, [...(byCaller.get(verdict.caller) ?? []), verdict.verdict]);
  }
  for (const sequence of byCaller.values()) {
    sequence.forEach((verdict, i) => {
      expect(verdict).toBe(i % 2 === 0 ? 'flagged' : 'cleared');
    });
  }
  return verdicts.records.length;
}

/** World events (callers with callees, as the producer's default profile sends them), keyed by caller. */
function worldEvents(topic: string, seed: number, count: number): ProducedRecord[] {
  const calls = [...simulateWorld({ seed, days: 2, subscribers: 400, bulkLines: 4 })].slice(0, count);
  expect(calls).toHaveLength(count);
  return calls.map(({ event, truth }) => ({
    topic,
    key: event.caller,
    value: JSON.stringify(event),
    headers: truthHeaders(truth),
  }));
}

const restoreReasons = (service: ChildService): string[] =>
  service.lines
    .filter((line) => line.includes('caller state restored'))
    .map((line) => JSON.parse(line).reason)
    .sort();

async function stateDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'it-state-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const report = (name: string, value: number, unit: string) =>
  console.log(JSON.stringify({ name, value, unit }));

describe('durable caller state in processor processes (real broker)', () => {
  it('1, 3, 4: SIGKILL and restart on the same store; the store deleted; the store corrupted: features of one uninterrupted pass', async () => {
    const topics = await freshTopics(3);
    const stateDir = await stateDirectory();
    const { path } = await modelFile(2);
    const env = processorEnv(topics, path, {
      STATE_DIR: stateDir,
      STATE_HOT_SET_SIZE: '100',
      BATCH_MAX_RECORDS: '200',
    });
    const events = worldEvents(topics.input, 21, 12_000);
    const transport = testTransport();
    const producer = await transport.producer();
    const input = await readTopic(transport, topics.input);
    const output = await readTopic(transport, topics.output);
    const resultIds = () =>
      new Set(output.records.map((r) => inputIdKey(JSON.parse(String(r.value)).input))).size;

    // 1. A processor is SIGKILLed mid-stream (its uncommitted batches come again).
    const first = startService(PROCESSOR_MAIN, env);
    const producing = paceEvents(producer, events.slice(0, 6000), 3000);
    await output.waitFor(2500);
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await producing;

    // A restart on the same local store: its checkpoint plus the changelog's tail.
    const second = startService(PROCESSOR_MAIN, env);
    await expect.poll(resultIds, { timeout: 120_000, interval: 500 }).toBe(6000);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // The SIGKILLed process's LevelDB stores reopen intact; only the changelog's tail is read.
    expect(restoreReasons(second)).toEqual(['intact', 'intact', 'intact']);

    // 3. The local store is lost (a new pod): the changelog alone.
    await rm(stateDir, { recursive: true, force: true });
    await producer.send(events.slice(6000, 9000));
    const third = startService(PROCESSOR_MAIN, env);
    await expect.poll(resultIds, { timeout: 120_000, interval: 500 }).toBe(9000);
    third.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(restoreReasons(third)).toEqual(['missing', 'missing', 'missing']);

    // 4. A corrupt local store: every LevelDB table and log overwritten with garbage.
    for (const partition of await readdir(stateDir)) {
      for (const file of await readdir(join(stateDir, partition))) {
        if (/\.(ldb|log)$|^MANIFEST/.test(file))
          await writeFile(join(stateDir, partition, file), 'garbage'.repeat(100));
      }
    }
    await producer.send(events.slice(9000));
    const fourth = startService(PROCESSOR_MAIN, env);
    const figures = await expectFeaturesOfOnePass(input, output, 12_000);
    expect(restoreReasons(fourth)).toEqual(['corrupt', 'corrupt', 'corrupt']);
    report('durable_state_duplicates_after_sigkill', figures.duplicates, 'results');
    report('durable_state_verdict_records', await expectVerdictsAlternate(topics), 'records');
  });

  it('2: two processors, a third added mid-stream, then one SIGKILLed: features of one uninterrupted pass', async () => {
    const topics = await freshTopics(6);
    const { path } = await modelFile(3);
    const envOf = async () =>
      processorEnv(topics, path, { STATE_DIR: await stateDirectory(), STATE_HOT_SET_SIZE: '100' });
    const transport = testTransport();
    const producer = await transport.producer();
    const input = await readTopic(transport, topics.input);
    const output = await readTopic(transport, topics.output);
    const a = startService(PROCESSOR_MAIN, await envOf());
    const b = startService(PROCESSOR_MAIN, await envOf());
    await waitForAssignment([a, b], 6);
    const producing = paceEvents(producer, worldEvents(topics.input, 22, 24_000), 2000);
    await output.waitFor(4000);
    const c = startService(PROCESSOR_MAIN, await envOf());
    await waitForAssignment([a, b, c], 6);
    await output.waitFor(output.records.length + 4000);
    b.kill('SIGKILL');
    expect(await b.exited).toBe('SIGKILL');
    await producing;
    const figures = await expectFeaturesOfOnePass(input, output, 24_000);
    // The partitions that moved were restored on their new owner (from the changelog: its store was empty).
    expect(restoreReasons(c).length).toBeGreaterThan(0);
    report('durable_state_scale_out_duplicates', figures.duplicates, 'results');
    await expectVerdictsAlternate(topics);
  });

  it('5: broker restart mid-stream: features of one uninterrupted pass', async () => {
    const topics = await freshTopics(6);
    const { path } = await modelFile(4);
    const processor = startService(
      PROCESSOR_MAIN,
      processorEnv(topics, path, { STATE_DIR: await stateDirectory(), STATE_HOT_SET_SIZE: '100' }),
    );
    await waitForAssignment([processor], 6);
    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    // The real producer service, as a process (it rides out the restart): 20,000 events at 2,000/s.
    const producer = await restartBrokerUnderProducer(topics.input, output, {
      rate: 2000,
      count: 20_000,
      seed: 12,
      after: 4000,
    });
    expect(await producer.exited).toBe(0);
    const input = await readTopic(transport, topics.input);
    const figures = await expectFeaturesOfOnePass(input, output, 20_000);
    expect(processor.child.exitCode).toBeNull();
    report('durable_state_broker_restart_duplicates', figures.duplicates, 'results');
  });
});
