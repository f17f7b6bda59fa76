import { onTestFinished } from 'vitest';
import { createMemoryTopicAdmin, createMemoryTransport, MemoryBus } from '../src/memory.js';
import { transportConformance } from './conformance.js';
import { topicAdminConformance } from './topic-admin-conformance.js';

let counter = 0;

transportConformance('in-memory', () => {
  const bus = new MemoryBus();
  return {
    transport: () => {
      const transport = createMemoryTransport(bus);
      onTestFinished(() => transport.close());
      return transport;
    },
    topic: async (partitions = 6) => {
      const name = `topic-${++counter}`;
      bus.createTopic(name, partitions);
      return name;
    },
    group: () => `group-${++counter}`,
    settleMs: 2_000,
  };
});

topicAdminConformance('in-memory', () => {
  const bus = new MemoryBus();
  return {
    admin: () => createMemoryTopicAdmin(bus),
    transport: () => {
      const transport = createMemoryTransport(bus);
      onTestFinished(() => transport.close());
      return transport;
    },
    topicName: () => `topic-${++counter}`,
  };
});
