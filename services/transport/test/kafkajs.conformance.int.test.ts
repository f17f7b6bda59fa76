import { randomBytes } from 'node:crypto';
import { createLogger } from '@scam-detector/core';
import { onTestFinished } from 'vitest';
import {
  createKafkajsTopicAdmin,
  createKafkajsTransport,
  createTopics,
  deleteTopicsAndGroups,
} from '../src/kafkajs.js';
import { transportConformance } from './conformance.js';
import { topicAdminConformance } from './topic-admin-conformance.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const logger = createLogger('conformance', process.env.TEST_LOG_LEVEL ?? 'silent');
const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

transportConformance('kafkajs (real broker)', () => ({
  transport: () => {
    const transport = createKafkajsTransport({
      brokers: BROKERS,
      clientId: unique('conformance'),
      logger,
      sessionTimeoutMs: 10_000,
    });
    onTestFinished(() => transport.close());
    return transport;
  },
  topic: async (partitions = 6) => {
    const name = unique('conformance');
    await createTopics(BROKERS, [name], partitions);
    onTestFinished(() => deleteTopicsAndGroups(BROKERS, [name]));
    return name;
  },
  group: () => {
    const name = unique('conformance-group');
    onTestFinished(() => deleteTopicsAndGroups(BROKERS, [], [name]));
    return name;
  },
  settleMs: 15_000,
}));

topicAdminConformance('kafkajs (real broker)', () => ({
  admin: () => {
    const admin = createKafkajsTopicAdmin({ brokers: BROKERS, clientId: unique('topic-admin'), logger });
    onTestFinished(() => admin.close());
    return admin;
  },
  transport: () => {
    const transport = createKafkajsTransport({ brokers: BROKERS, clientId: unique('topic-admin'), logger });
    onTestFinished(() => transport.close());
    return transport;
  },
  topicName: () => {
    const name = unique('topic-admin');
    onTestFinished(() => deleteTopicsAndGroups(BROKERS, [name]));
    return name;
  },
}));
