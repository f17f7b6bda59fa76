import { randomBytes } from 'node:crypto';
import { createLogger } from '@scam-detector/core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  consumerGroupLag,
  createKafkajsTransport,
  createTopics,
  deleteTopicsAndGroups,
} from '../src/kafkajs.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const logger = createLogger('lag-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;
const total = (lag: Map<number, { lag: number }>) => [...lag.values()].reduce((sum, p) => sum + p.lag, 0);

describe('consumerGroupLag (real broker)', () => {
  it('counts what a group has not committed, before it ever ran, after it caught up, and while it is gone', async () => {
    const topic = unique('lag');
    const group = unique('lag-group');
    await createTopics(BROKERS, [topic], 3);
    onTestFinished(() => deleteTopicsAndGroups(BROKERS, [topic], [group]));
    const transport = createKafkajsTransport({ brokers: BROKERS, clientId: unique('lag'), logger });
    onTestFinished(() => transport.close());
    const producer = await transport.producer();
    const send = (n: number) =>
      producer.send(Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, value: String(i) })));

    await send(30);
    // A group that never committed is behind by everything in the log. (Retried: on a broker that has just
    // started, the group coordinator can answer "not the correct coordinator" for a moment.)
    const before = await vi.waitFor(() => consumerGroupLag(BROKERS, group, topic), {
      timeout: 30_000,
      interval: 500,
    });
    expect([...before.keys()].sort()).toEqual([0, 1, 2]);
    expect(total(before)).toBe(30);
    expect([...before.values()].reduce((sum, p) => sum + p.endOffset, 0)).toBe(30);

    // The group reads and commits everything: no lag.
    let seen = 0;
    const subscription = await transport.consume({ group, topics: [topic] }, (batch) => {
      seen += batch.records.length;
      return [];
    });
    await expect
      .poll(async () => total(await consumerGroupLag(BROKERS, group, topic)), { timeout: 60_000 })
      .toBe(0);
    expect(seen).toBe(30);
    await subscription.stop();

    // With no member left, new records are lag, and the end offsets grow with them.
    await send(12);
    const after = await consumerGroupLag(BROKERS, group, topic);
    expect(total(after)).toBe(12);
    expect([...after.values()].reduce((sum, p) => sum + p.endOffset, 0)).toBe(42);
  });
});
