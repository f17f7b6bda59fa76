import { createLogger, TRUTH_HEADER } from '@scam-detector/core';
import type {
  BatchHandler,
  ConsumedRecord,
  ConsumeOptions,
  Subscription,
  Transport,
} from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { ResultStore } from '../../src/server/store.js';
import { createTransportFeed } from '../../src/server/transport-feed.js';
import { scored } from './fixtures.js';

/** A transport that records how it was asked to consume and lets the test hand batches to the handler. */
function fakeTransport(failures = 0) {
  const calls: ConsumeOptions[] = [];
  let handler: BatchHandler | undefined;
  let remainingFailures = failures;
  const transport: Transport = {
    checkTopics: async () => undefined,
    producer: () => Promise.reject(new Error('not used')),
    async consume(options, batchHandler) {
      calls.push(options);
      if (remainingFailures-- > 0) throw new Error('broker down');
      handler = batchHandler;
      options.listener?.assigned?.([{ topic: options.topics[0] as string, partitions: [0] }]);
      const stopped = Promise.withResolvers<void>();
      const subscription: Subscription = {
        assignment: () => [],
        stop: async () => stopped.resolve(),
        stopped: stopped.promise,
      };
      return subscription;
    },
    close: async () => undefined,
  };
  const record = (
    topic: string,
    value: string | null,
    headers: Record<string, Buffer> = {},
  ): ConsumedRecord => ({
    topic,
    partition: 0,
    offset: '0',
    key: null,
    value: value === null ? null : Buffer.from(value),
    headers,
    timestampMs: 0,
  });
  const deliver = async (records: ConsumedRecord[]) =>
    handler?.({ topic: records[0]?.topic as string, partition: 0, records, lag: 0 });
  return { transport, calls, record, deliver };
}

const logger = createLogger('test', 'silent');

describe('transport feed', () => {
  it('reads both topics in a group of its own, from the latest offset unless told otherwise', async () => {
    const a = fakeTransport();
    const b = fakeTransport();
    const options = { outputTopic: 'scored', dlqTopic: 'dlq', fromBeginning: false, logger };
    const subA = await createTransportFeed(a.transport, options).subscribe(
      new ResultStore({ bufferSize: 10, mode: 'kafka' }),
    );
    const subB = await createTransportFeed(b.transport, options).subscribe(
      new ResultStore({ bufferSize: 10, mode: 'kafka' }),
    );
    await expect.poll(() => a.calls.length + b.calls.length).toBe(2);
    expect(a.calls[0]).toMatchObject({ topics: ['scored', 'dlq'], fromBeginning: false });
    expect(a.calls[0]?.group).toMatch(/^dashboard-/);
    expect(a.calls[0]?.group).not.toBe(b.calls[0]?.group); // every instance sees every result
    await subA.stop();
    await subB.stop();
  });

  it('reads the verdicts topic from its earliest record in a second group of its own, whatever the results do', async () => {
    const fake = fakeTransport();
    const feed = createTransportFeed(fake.transport, {
      outputTopic: 'scored',
      dlqTopic: 'dlq',
      verdictsTopic: 'verdicts',
      fromBeginning: false,
      logger,
    });
    const sub = await feed.subscribe(
      new ResultStore({ bufferSize: 10, mode: 'kafka', verdicts: { topic: 'verdicts' } }),
    );
    await expect.poll(() => fake.calls.length).toBe(2);
    const results = fake.calls.find((c) => c.topics.includes('scored'));
    const verdicts = fake.calls.find((c) => c.topics.includes('verdicts'));
    expect(results).toMatchObject({ topics: ['scored', 'dlq'], fromBeginning: false });
    expect(verdicts).toMatchObject({ topics: ['verdicts'], fromBeginning: true });
    expect(verdicts?.group).toBe(feed.verdicts?.group);
    expect(verdicts?.group).not.toBe(results?.group);
    await sub.stop();
  });

  it('turns records into results, dead letters and malformed counts, and produces nothing', async () => {
    const fake = fakeTransport();
    const store = new ResultStore({ bufferSize: 10, mode: 'kafka' });
    const sub = await createTransportFeed(fake.transport, {
      outputTopic: 'scored',
      dlqTopic: 'dlq',
      fromBeginning: false,
      logger,
    }).subscribe(store);
    await expect.poll(() => store.sourceState).toBe('live');
    const produced = await fake.deliver([
      fake.record('scored', JSON.stringify(scored(1)), { [TRUTH_HEADER]: Buffer.from('1') }),
      fake.record('scored', '{not json'),
      fake.record('scored', null),
      fake.record('dlq', 'anything at all'),
    ]);
    expect(produced).toEqual([]);
    const stats = store.stats();
    expect(stats).toMatchObject({ total_scored: 1, dlq: 1, malformed: 2 });
    expect(store.buffer.last()?.truth_label).toBe(1);
    await sub.stop();
  });

  it('says no_broker while the broker cannot be reached, and connects when it can', async () => {
    const fake = fakeTransport(2);
    const store = new ResultStore({ bufferSize: 10, mode: 'kafka' });
    const states: string[] = [];
    const state = store.state.bind(store);
    store.state = (s) => {
      states.push(s);
      state(s);
    };
    const sub = await createTransportFeed(fake.transport, {
      outputTopic: 'scored',
      dlqTopic: 'dlq',
      fromBeginning: false,
      retryMs: 10,
      logger,
    }).subscribe(store);
    await expect.poll(() => store.sourceState).toBe('live');
    expect(states.filter((s) => s === 'no_broker').length).toBe(2);
    expect(fake.calls.length).toBe(3);
    await sub.stop();
  });
});
