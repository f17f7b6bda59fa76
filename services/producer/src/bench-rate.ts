#!/usr/bin/env node
/**
 * Producer pacing benchmark on a real broker: runs the producer loop at each target rate for a few seconds and
 * prints the achieved rate as JSON lines {"name","value","unit"}. Environment: KAFKA_BROKERS, RATE_SECONDS (10).
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '@scam-detector/core';
import { createKafkajsTransport, createTopics, deleteTopicsAndGroups } from '@scam-detector/transport';
import { runProducer } from './producer.js';
import { createEventSource } from './profiles.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const seconds = Number(process.env.RATE_SECONDS ?? 10);
const topic = `bench-rate-${randomBytes(4).toString('hex')}`;
await createTopics(brokers, [topic], 6);
const transport = createKafkajsTransport({
  brokers,
  clientId: 'bench-rate',
  logger: createLogger('bench', 'silent'),
});
try {
  const producer = await transport.producer();
  for (const rate of [1000, 10_000, 20_000]) {
    const result = await runProducer(
      producer,
      createEventSource({ profile: 'default', seed: 1, callers: 5000, topic }),
      { rate, count: rate * seconds },
      new AbortController().signal,
    );
    const line = { name: `producer_rate_target_${rate}`, value: Math.round(result.rate), unit: 'events/s' };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    process.stdout.write(
      `${JSON.stringify({ name: `producer_rate_error_${rate}`, value: Number((((result.rate - rate) / rate) * 100).toFixed(2)), unit: '%' })}\n`,
    );
  }
  await producer.close();
} finally {
  await transport.close();
  await deleteTopicsAndGroups(brokers, [topic]);
}
