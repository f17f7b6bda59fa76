import { Scorer } from '@scam-detector/core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { prototypeScorer } from '../../processor/src/call-scorer.js';
import { MemoryCallerStateStore } from '../../processor/src/caller-state-store.js';
import { processRecords } from '../../processor/src/pipeline.js';
import { sealedModel } from '../../processor/test/models.js';
import type { BatchHandler, ConsumedRecord, PartitionAssignment, Transport } from '../src/types.js';

/**
 * One suite, two adapters: whatever the pipeline relies on must hold for the kafkajs adapter on a real broker
 * and for the in-memory bus alike.
 */
export interface ConformanceContext {
  /** A new client of the same bus or broker; closed when the test finishes. */
  transport(): Transport;
  /** A fresh topic with that many partitions. */
  topic(partitions?: number): Promise<string>;
  /** A fresh consumer group name. */
  group(): string;
  /** How long group membership changes may take (a real broker rebalances in seconds). */
  settleMs: number;
}

const partitionsOf = (assignment: PartitionAssignment[]): number[] =>
  assignment.flatMap((a) => a.partitions).sort((a, b) => a - b);

/** Reads a topic from the beginning with a fresh group; `records` grows as they arrive. */
async function reader(context: ConformanceContext, topic: string) {
  const records: ConsumedRecord[] = [];
  const subscription = await context
    .transport()
    .consume({ group: context.group(), topics: [topic] }, (batch) => {
      records.push(...batch.records);
      return [];
    });
  onTestFinished(() => subscription.stop());
  return records;
}

export function transportConformance(name: string, makeContext: () => ConformanceContext): void {
  describe(`the ${name} transport`, () => {
    it('keeps every key on one partition and in the order it was sent', async () => {
      const context = makeContext();
      const topic = await context.topic(6);
      const producer = await context.transport().producer();
      const sent = Array.from({ length: 1200 }, (_, i) => ({
        topic,
        key: `caller-${i % 40}`,
        value: String(Math.floor(i / 40)),
      }));
      await producer.send(sent);
      const records = await reader(context, topic);
      await vi.waitFor(() => expect(records.length).toBeGreaterThanOrEqual(1200), {
        timeout: context.settleMs * 4,
      });
      const byKey = new Map<string, ConsumedRecord[]>();
      for (const record of records)
        byKey.set(String(record.key), [...(byKey.get(String(record.key)) ?? []), record]);
      expect(byKey.size).toBe(40);
      for (const [key, list] of byKey) {
        expect(new Set(list.map((r) => r.partition)).size, key).toBe(1);
        expect(
          list.map((r) => Number(r.value)),
          key,
        ).toEqual(Array.from({ length: 30 }, (_, i) => i));
      }
    });

    it('splits the partitions between the members of a group, and gives them all to the one that stays', async () => {
      const context = makeContext();
      const topic = await context.topic(6);
      const group = context.group();
      const idle: BatchHandler = () => [];
      const first = await context.transport().consume({ group, topics: [topic] }, idle);
      const second = await context.transport().consume({ group, topics: [topic] }, idle);
      onTestFinished(() => Promise.all([first.stop(), second.stop()]).then(() => undefined));
      await vi.waitFor(
        () => {
          const a = partitionsOf(first.assignment());
          const b = partitionsOf(second.assignment());
          expect(a.length).toBeGreaterThan(0);
          expect(b.length).toBeGreaterThan(0);
          expect([...a, ...b].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
        },
        { timeout: context.settleMs * 4, interval: 100 },
      );
      await second.stop();
      await vi.waitFor(() => expect(partitionsOf(first.assignment())).toEqual([0, 1, 2, 3, 4, 5]), {
        timeout: context.settleMs * 4,
        interval: 100,
      });
    });

    it('delivers again, to another member, whatever a failed member did not commit', async () => {
      const context = makeContext();
      const input = await context.topic(3);
      const output = await context.topic(3);
      const group = context.group();
      const producer = await context.transport().producer();
      await producer.send(
        Array.from({ length: 600 }, (_, i) => ({ topic: input, key: `k${i % 30}`, value: String(i) })),
      );
      const forward: BatchHandler = (batch) =>
        batch.records.map((r) => ({ topic: output, key: r.key, value: r.value }));
      let batches = 0;
      let failures = 0;
      const failing = await context
        .transport()
        .consume({ group, topics: [input], maxBatchRecords: 50 }, (batch) => {
          batches++;
          if (batches > 2) {
            failures++;
            throw new Error('this member has failed');
          }
          return forward(batch);
        });
      await vi.waitFor(() => expect(failures).toBeGreaterThan(0), { timeout: context.settleMs * 4 });
      await failing.stop();
      const survivor = await context.transport().consume({ group, topics: [input] }, forward);
      onTestFinished(() => survivor.stop());
      const results = await reader(context, output);
      await vi.waitFor(() => expect(new Set(results.map((r) => String(r.value))).size).toBe(600), {
        timeout: context.settleMs * 6,
        interval: 100,
      });
    });

    it('starts a new group at the end of the topic when asked not to read from the beginning', async () => {
      const context = makeContext();
      const topic = await context.topic(2);
      const producer = await context.transport().producer();
      await producer.send(Array.from({ length: 20 }, (_, i) => ({ topic, key: null, value: `old-${i}` })));
      const seen: string[] = [];
      let assigned = false;
      const subscription = await context.transport().consume(
        {
          group: context.group(),
          topics: [topic],
          fromBeginning: false,
          listener: { assigned: (a) => (assigned = partitionsOf(a).length === 2) },
        },
        (batch) => {
          seen.push(...batch.records.map((r) => String(r.value)));
          return [];
        },
      );
      onTestFinished(() => subscription.stop());
      await vi.waitFor(() => expect(assigned).toBe(true), { timeout: context.settleMs * 4 });
      // Kafka fixes a new group's position at its first fetch, which may come a moment after the assignment:
      // keep sending until new records arrive. What matters is that none of the old ones ever do.
      let sent = 0;
      await vi.waitFor(
        async () => {
          await producer.send([{ topic, key: null, value: `new-${sent++}` }]);
          expect(seen.length).toBeGreaterThan(0);
        },
        { timeout: context.settleMs * 4, interval: 200 },
      );
      expect(seen.every((v) => v.startsWith('new-'))).toBe(true);
    });

    it('routes through the processor pipeline: valid calls scored, bad ones to the DLQ with their reason', async () => {
      const context = makeContext();
      const [input, output, dlq] = [await context.topic(2), await context.topic(2), await context.topic(2)];
      const { model } = sealedModel(3);
      const scorer = new Scorer(model);
      const served = prototypeScorer(model);
      const states = new MemoryCallerStateStore();
      const valid = {
        call_duration: 20,
        num_digits: 11,
        hour_of_day: 2,
        freq_calls: 5,
        caller: '09171234567',
        ts: 1764000000,
      };
      // Thirty callers, each call keyed by its caller as the contract says (so they spread over the partitions),
      // then four bad records.
      const callerOf = (i: number) => `0917123${String(i).padStart(4, '0')}`;
      const values = [
        ...Array.from({ length: 30 }, (_, i) => JSON.stringify({ ...valid, caller: callerOf(i), seq: i })),
        '{"call_duration": 1',
        JSON.stringify({ ...valid, hour_of_day: 99 }),
        JSON.stringify([valid]),
        '',
      ];
      const producer = await context.transport().producer();
      await producer.send(
        values.map((value, i) => ({ topic: input, key: i < 30 ? callerOf(i) : `k${i}`, value })),
      );
      const subscription = await context
        .transport()
        .consume(
          { group: context.group(), topics: [input] },
          (batch) =>
            processRecords(
              batch.records,
              served,
              states.partition(batch.topic, batch.partition),
              { output, dlq },
              Date.now(),
              1_000_000,
            ).records,
        );
      onTestFinished(() => subscription.stop());
      const scored = await reader(context, output);
      const dead = await reader(context, dlq);
      await vi.waitFor(
        () => {
          expect(scored.length).toBe(30);
          expect(dead.length).toBe(4);
        },
        { timeout: context.settleMs * 6, interval: 100 },
      );
      const reasons = dead.map((r) => r.headers['__connect.errors.exception.class.name']?.toString()).sort();
      expect(reasons).toEqual(['empty_value', 'invalid_json', 'not_an_object', 'out_of_range']);
      const result = JSON.parse(String(scored[0]?.value));
      expect(result.predicted_label).toBe(scorer.score(valid).label);
    });
  });
}
