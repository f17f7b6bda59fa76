import { MemoryStateStoreProvider } from '../../src/state/memory-store.js';
import { stateStoreConformance } from './conformance.js';

stateStoreConformance('in-memory', () => {
  const provider = new MemoryStateStoreProvider();
  return {
    provider: () => provider,
    // The memory store's data outlives a store's close within the process: "again" is the same provider.
    again: () => provider,
    corrupt: async (partition) => provider.corrupt(partition),
  };
});
