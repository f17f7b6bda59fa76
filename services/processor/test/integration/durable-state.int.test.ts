import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BEHAVIOUR_FEATURES,
  CallerStates,
  EXPLAINED_FEATURES,
  simulateWorld,
  truthHeaders,
} from '@scam-detector/core';
import { deleteTopicsAndGroups } from '@scam-detector/transport';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  BROKERS,
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  paceEvents,
  processorEnv,
  readTopic,
  startService,
  testTransport,
  unique,
} from './harness.js';

type Features = Record<string, number | null>;

/** The features a result carries, as its JSON has them (non-finite values as null). */
function asResult(features: Float64Array): Features {
  const out: Features = {};
  for (const name of EXPLAINED_FEATURES) {
    const value = features[BEHAVIOUR_FEATURES.indexOf(name)] as number;
    out[name] = Number.isFinite(value) ? value : null;
  }
  return out;
}

describe('durable caller state in processor processes (real broker, CALLER_STATE=durable)', () => {
  it('SIGKILL mid-stream, then a restart on the same store, then one with the store deleted: every event has a result and the first result of each has the features of one uninterrupted pass', async () => {
    const topics = await freshTopics(3);
    const changelog = unique('it-changelog');
    onTestFinished(() => deleteTopicsAndGroups(BROKERS, [changelog]));
    const stateDir = await mkdtemp(join(tmpdir(), 'it-state-'));
    onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
    const { path } = await modelFile(2);
    const env = processorEnv(topics, path, {
      CALLER_STATE: 'durable',
      CHANGELOG_TOPIC: changelog,
      STATE_DIR: stateDir,
      BATCH_MAX_RECORDS: '200',
    });

    const calls = [...simulateWorld({ seed: 21, days: 2, subscribers: 400, bulkLines: 4 })].slice(0, 9000);
    expect(calls).toHaveLength(9000);
    const events = calls.map(({ event, truth }, seq) => ({
      topic: topics.input,
      key: event.caller,
      value: JSON.stringify({ ...event, seq }),
      headers: truthHeaders(truth),
    }));
    const transport = testTransport();
    const producer = await transport.producer();
    const input = await readTopic(transport, topics.input);
    const output = await readTopic(transport, topics.output);

    // 1. A processor is SIGKILLed mid-stream (its uncommitted batches come again).
    const first = startService(PROCESSOR_MAIN, env);
    const producing = paceEvents(producer, events.slice(0, 6000), 3000);
    await output.waitFor(2500);
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await producing;

    // 2. A restart on the same local store: its checkpoint plus the changelog's tail.
    const second = startService(PROCESSOR_MAIN, env);
    await output.waitFor(6000);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const reasons = (service: typeof second): string[] =>
      service.lines
        .filter((line) => line.includes('caller state restored'))
        .map((line) => JSON.parse(line).reason)
        .sort();
    // The SIGKILLed process's LevelDB stores reopen intact; only the changelog's tail is read.
    expect(reasons(second)).toEqual(['intact', 'intact', 'intact']);

    // 3. The local store is lost (a new pod): the changelog alone.
    await rm(stateDir, { recursive: true, force: true });
    await producer.send(events.slice(6000));
    const third = startService(PROCESSOR_MAIN, env);
    const seqs = (): Set<number> => new Set(output.results().map((r) => r.call.seq));
    await expect.poll(() => seqs().size, { timeout: 120_000, interval: 500 }).toBe(9000);
    const restores = third.lines
      .filter((line) => line.includes('caller state restored'))
      .map((l) => JSON.parse(l));
    expect(restores.map((r) => r.reason)).toEqual(['missing', 'missing', 'missing']);

    // The reference: the input as the broker holds it, each partition through the feature module in one pass.
    await input.waitFor(9000);
    const expected = new Map<number, Features>();
    const byPartition = new Map<number, typeof input.records>();
    for (const record of input.records) {
      byPartition.set(record.partition, [...(byPartition.get(record.partition) ?? []), record]);
    }
    for (const records of byPartition.values()) {
      const states = new CallerStates();
      for (const record of [...records].sort((a, b) => Number(a.offset) - Number(b.offset))) {
        const event = JSON.parse(String(record.value));
        expected.set(event.seq, asResult(states.update(event.caller, event, Number(record.offset)).features));
      }
    }
    const firstResult = new Map<number, Features>();
    for (const record of output.records) {
      const result = JSON.parse(String(record.value));
      if (!firstResult.has(result.call.seq)) firstResult.set(result.call.seq, result.explanation.features);
    }
    const wrong = [...expected].filter(([seq, features]) => {
      return JSON.stringify(firstResult.get(seq)) !== JSON.stringify(features);
    });
    expect(wrong.slice(0, 3)).toEqual([]);
    console.log(
      JSON.stringify({
        name: 'durable_state_duplicates_after_sigkill',
        value: output.records.length - 9000,
        unit: 'results',
      }),
    );
  });
});
