import {
  BEHAVIOUR_FEATURES,
  CallerStates,
  createLogger,
  EXPLAINED_FEATURES,
  simulateWorld,
  truthHeaders,
} from '@scam-detector/core';
import {
  type ConsumedRecord,
  createMemoryTopicAdmin,
  createMemoryTransport,
  MemoryBus,
} from '@scam-detector/transport';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createProcessorMetrics } from '../../src/metrics.js';
import type { ModelSource } from '../../src/model-source.js';
import { createProcessor } from '../../src/processor.js';
import { ensureChangelog } from '../../src/state/changelog.js';
import { DurableCallerStates } from '../../src/state/durable-caller-states.js';
import { MemoryStateStoreProvider } from '../../src/state/memory-store.js';
import { sealedModel } from '../models.js';

const logger = createLogger('durable-processor-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const model = sealedModel(3).model;
const staticModel: ModelSource = {
  async start(listener) {
    listener.loaded({ kind: 'prototype', model }, 'test');
  },
  async close() {},
};
const TOPICS = {
  input: 'calls_raw',
  output: 'calls_scored',
  dlq: 'calls_dlq',
  changelog: 'g-caller-state-changelog',
};
const PARTITIONS = 3;

/** The features a result carries, as the result's JSON has them (non-finite values as null). */
function expectedFeatures(features: Float64Array): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const name of EXPLAINED_FEATURES) {
    const value = features[BEHAVIOUR_FEATURES.indexOf(name)] as number;
    out[name] = Number.isFinite(value) ? value : null;
  }
  return out;
}

/** The reference: every input record through the feature module in one uninterrupted pass, per partition. */
function reference(bus: MemoryBus): Map<string, Record<string, number | null>> {
  const result = new Map<string, Record<string, number | null>>();
  bus.partitionsOf(TOPICS.input).forEach((log, partition) => {
    const states = new CallerStates();
    for (const record of log) {
      const event = JSON.parse(String(record.value));
      const { features } = states.update(event.caller, event, Number(record.offset));
      result.set(`${partition}/${record.offset}`, expectedFeatures(features));
    }
  });
  return result;
}

describe('the processor with durable caller state (in-memory bus and stores)', () => {
  it('restores every partition before processing it, and computes the same features as one uninterrupted pass across a restart that lost all memory', async () => {
    const bus = new MemoryBus({ partitions: PARTITIONS });
    bus.createTopic(TOPICS.input, PARTITIONS);
    const admin = createMemoryTopicAdmin(bus);
    await ensureChangelog(admin, { changelogTopic: TOPICS.changelog, inputTopic: TOPICS.input });
    const calls = [...simulateWorld({ seed: 11, days: 1, subscribers: 300, bulkLines: 4 })].slice(0, 4000);
    const send = async (from: number, to: number) => {
      const producer = await createMemoryTransport(bus).producer();
      await producer.send(
        calls.slice(from, to).map(({ event, truth }) => ({
          topic: TOPICS.input,
          key: event.caller,
          value: JSON.stringify(event),
          headers: truthHeaders(truth),
        })),
      );
    };
    const scored = (): ConsumedRecord[] => bus.partitionsOf(TOPICS.output).flat();

    /** A processor as after a fresh start: nothing in memory, the local store as `provider` has it. */
    const start = async (provider: MemoryStateStoreProvider) => {
      const metrics = createProcessorMetrics();
      const durableStates = new DurableCallerStates({
        admin,
        provider,
        changelogTopic: TOPICS.changelog,
        logger,
        metrics,
      });
      const processor = createProcessor(
        {
          group: 'g',
          inputTopic: TOPICS.input,
          outputTopic: TOPICS.output,
          dlqTopic: TOPICS.dlq,
          maxBatchRecords: 250,
          concurrency: 1,
          maxRecordBytes: 1_000_000,
        },
        { transport: createMemoryTransport(bus), modelSource: staticModel, metrics, logger, durableStates },
      );
      onTestFinished(() => processor.stop());
      await processor.start();
      return { processor, metrics };
    };

    await send(0, 2000);
    const first = await start(new MemoryStateStoreProvider());
    await expect.poll(() => scored().length).toBe(2000);
    await first.processor.stop();
    // Every partition's changelog holds one record per caller touched per batch; the input is committed.
    expect(bus.partitionsOf(TOPICS.changelog).every((log) => log.length > 0)).toBe(true);

    // A new pod: no local store at all. The changelog alone must bring every caller back.
    await send(2000, 4000);
    const second = await start(new MemoryStateStoreProvider());
    await expect.poll(() => scored().length).toBe(4000);
    expect(second.processor.status().restoringPartitions).toBe(0);
    const restored = await second.metrics.registry.getSingleMetricAsString(
      'processor_state_restored_records_total',
    );
    expect(restored).toMatch(/reason="missing"} [1-9]/);

    const expected = reference(bus);
    const seen = new Set<string>();
    // Results are keyed by caller, as the input: with as many partitions, result partition N answers input
    // partition N, in its offset order (no duplicates here: both stops were graceful).
    bus.partitionsOf(TOPICS.output).forEach((results, partition) => {
      const inputs = bus.partitionsOf(TOPICS.input)[partition] as ConsumedRecord[];
      expect(results.map((r) => String(r.key))).toEqual(inputs.map((r) => String(r.key)));
      results.forEach((record, offset) => {
        const key = `${partition}/${offset}`;
        seen.add(key);
        expect(JSON.parse(String(record.value)).explanation.features, key).toEqual(expected.get(key));
      });
    });
    expect(seen.size).toBe(4000);
  });
});
