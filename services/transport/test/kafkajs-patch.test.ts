import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import '../src/kafkajs.js';
import { groupMessagesPerPartition, KAFKAJS_GROUPING_MODULE } from '../src/kafkajs-patch.js';

const require = createRequire(import.meta.url);

describe('kafkajs grouping replacement', () => {
  it('is the function kafkajs loads for grouping records by partition', () => {
    expect(require(KAFKAJS_GROUPING_MODULE)).toBe(groupMessagesPerPartition);
    expect(require.cache[KAFKAJS_GROUPING_MODULE]?.exports).toBe(groupMessagesPerPartition);
  });

  it('groups exactly as the original, keeping order within each partition', () => {
    const original = (args: Parameters<typeof groupMessagesPerPartition<number>>[0]) =>
      args.messages.reduce<Record<number, number[]>>((result, message) => {
        const partition = args.partitioner({
          topic: args.topic,
          partitionMetadata: args.partitionMetadata,
          message,
        });
        return Object.assign(result, { [partition]: [...(result[partition] ?? []), message] });
      }, {});
    const args = {
      topic: 't',
      partitionMetadata: [{}, {}, {}],
      messages: Array.from({ length: 100 }, (_, i) => i),
      partitioner: ({ message }: { message: number }) => (message * 7) % 3,
    };
    expect(groupMessagesPerPartition(args)).toEqual(original(args));
    expect(groupMessagesPerPartition({ ...args, partitionMetadata: [] })).toEqual({});
  });
});
