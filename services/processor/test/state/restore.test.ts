import { createMemoryTopicAdmin, createMemoryTransport, MemoryBus } from '@scam-detector/transport';
import { onTestFinished } from 'vitest';
import { MemoryStateStoreProvider } from '../../src/state/memory-store.js';
import { restoreSuite } from './restore-suite.js';

let counter = 0;

restoreSuite(
  'in-memory bus and store',
  () => {
    const bus = new MemoryBus();
    let provider = new MemoryStateStoreProvider();
    return {
      admin: () => createMemoryTopicAdmin(bus),
      producer: async () => {
        const transport = createMemoryTransport(bus);
        onTestFinished(() => transport.close());
        return transport.producer();
      },
      inputTopic: async (partitions) => {
        const name = `input-${++counter}`;
        bus.createTopic(name, partitions);
        return name;
      },
      changelogName: () => `changelog-${++counter}`,
      provider: () => provider,
      lose: async () => {
        provider = new MemoryStateStoreProvider();
      },
      corrupt: async (partition) => provider.corrupt(partition),
    };
  },
  30_000,
);
