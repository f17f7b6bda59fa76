import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 groups the records of a produce request by partition with `[...current, message]` for every
 * record (src/producer/groupMessagesPerPartition.js): quadratic in the records per request. Profiling the
 * processor's drain showed it at ~15% of CPU, plus the garbage it makes. kafkajs is in maintenance mode, so
 * instead of waiting for a fix we give its loader a linear function with the same contract before kafkajs
 * itself is loaded: this module must be imported before 'kafkajs' (kafkajs.ts imports it first). A unit test
 * checks that the replacement is the one kafkajs uses and groups exactly as the original.
 */
interface GroupArgs<M> {
  topic: string;
  partitionMetadata: unknown[];
  messages: M[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: M }) => number;
}

export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs<M>) {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, M[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current) current.push(message);
    else result[partition] = [message];
  }
  return result;
}

const require = createRequire(import.meta.url);
export const KAFKAJS_GROUPING_MODULE = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');

if (require.cache[KAFKAJS_GROUPING_MODULE] === undefined) {
  const module = new (require('node:module') as typeof import('node:module')).Module(KAFKAJS_GROUPING_MODULE);
  module.filename = KAFKAJS_GROUPING_MODULE;
  module.loaded = true;
  module.exports = groupMessagesPerPartition;
  require.cache[KAFKAJS_GROUPING_MODULE] = module;
}
