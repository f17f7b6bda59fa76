import { describe, expect, it } from 'vitest';
import type { ConsumedRecord, TopicAdmin, Transport } from '../src/types.js';

/** The topic side of the port: one suite for the kafkajs adapter on a real broker and for the in-memory bus. */
export interface TopicAdminContext {
  /** A topic admin and a transport of the same bus or broker; closed when the test finishes. */
  admin(): TopicAdmin;
  transport(): Transport;
  /** A fresh topic name (not created); the context deletes it when the test finishes. */
  topicName(): string;
}

const text = (buffer: Buffer | null): string | null => (buffer === null ? null : buffer.toString());

export function topicAdminConformance(name: string, makeContext: () => TopicAdminContext): void {
  describe(`the ${name} topic admin`, () => {
    it('creates a compacted topic once and reports the partitions of an existing one', async () => {
      const context = makeContext();
      const admin = context.admin();
      const topic = context.topicName();
      expect(await admin.ensureTopic({ topic, partitions: 3, compacted: true })).toEqual({
        created: true,
        partitions: 3,
      });
      // Never changes an existing topic: the partition count it has is reported for the caller to check.
      expect(await admin.ensureTopic({ topic, partitions: 5, compacted: true })).toEqual({
        created: false,
        partitions: 3,
      });
      expect(await admin.partitionOffsets(topic)).toEqual(
        [0, 1, 2].map((partition) => ({ partition, start: '0', end: '0' })),
      );
    });

    it('fails to report the offsets of a topic that does not exist', async () => {
      const context = makeContext();
      await expect(context.admin().partitionOffsets(context.topicName())).rejects.toThrow();
    });

    it('writes a record to the partition it names, whatever its key, tombstones included', async () => {
      const context = makeContext();
      const admin = context.admin();
      const topic = context.topicName();
      await admin.ensureTopic({ topic, partitions: 4, compacted: true });
      const producer = await context.transport().producer();
      await producer.send([
        ...Array.from({ length: 20 }, (_, i) => ({
          topic,
          key: `caller-${i}`,
          value: `v${i}`,
          partition: 2,
        })),
        { topic, key: 'caller-3', value: null, partition: 2 },
        { topic, key: 'caller-9', value: 'elsewhere', partition: 1 },
      ]);
      const offsets = await admin.partitionOffsets(topic);
      expect(offsets.map((o) => o.end)).toEqual(['0', '1', '21', '0']);
      const read: ConsumedRecord[] = [];
      const result = await admin.readPartitions(topic, [{ partition: 2, from: '0' }], (records) => {
        read.push(...records);
      });
      expect(result).toEqual([{ partition: 2, next: '21', records: 21 }]);
      expect(read.every((r) => r.partition === 2)).toBe(true);
      expect(read.map((r) => r.offset)).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
      expect(text(read[20]?.key ?? null)).toBe('caller-3');
      expect(read[20]?.value).toBeNull();
      expect(text(read[19]?.value ?? null)).toBe('v19');
    });

    it('reads several partitions, each from its own offset to the end it had when the read began', async () => {
      const context = makeContext();
      const admin = context.admin();
      const topic = context.topicName();
      await admin.ensureTopic({ topic, partitions: 3 });
      const producer = await context.transport().producer();
      await producer.send(
        [0, 1, 2].flatMap((partition) =>
          Array.from({ length: 50 }, (_, i) => ({
            topic,
            key: `k${i}`,
            value: `${partition}:${i}`,
            partition,
          })),
        ),
      );
      const read = new Map<number, string[]>();
      let late = false;
      const result = await admin.readPartitions(
        topic,
        [
          { partition: 0, from: '10' },
          { partition: 2, from: '45' },
          { partition: 1, from: '50' },
        ],
        async (records) => {
          for (const record of records) {
            read.set(record.partition, [...(read.get(record.partition) ?? []), text(record.value) ?? '']);
          }
          if (!late) {
            late = true;
            // Written after the read began: not part of it.
            await producer.send([{ topic, key: 'late', value: 'late', partition: 0 }]);
          }
        },
      );
      expect(result.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, next: '50', records: 40 },
        { partition: 1, next: '50', records: 0 },
        { partition: 2, next: '50', records: 5 },
      ]);
      expect(read.get(0)).toEqual(Array.from({ length: 40 }, (_, i) => `0:${i + 10}`));
      expect(read.get(2)).toEqual(Array.from({ length: 5 }, (_, i) => `2:${i + 45}`));
      expect(read.has(1)).toBe(false);
    });

    it('fails a read whose handler throws, with the handler’s error', async () => {
      const context = makeContext();
      const admin = context.admin();
      const topic = context.topicName();
      await admin.ensureTopic({ topic, partitions: 1 });
      const producer = await context.transport().producer();
      await producer.send([{ topic, key: 'a', value: 'x', partition: 0 }]);
      await expect(
        admin.readPartitions(topic, [{ partition: 0, from: '0' }], () => {
          throw new Error('bad record');
        }),
      ).rejects.toThrow('bad record');
    });
  });
}
