import { describe, expect, it } from 'vitest';
import { ModelStore } from '../src/model-store.js';
import { sealedModel } from './models.js';

describe('ModelStore', () => {
  const a = sealedModel(1);
  const b = sealedModel(2);

  it('has no scorer until a model is offered, and wakes those waiting for one', async () => {
    const store = new ModelStore();
    expect(store.current).toBeUndefined();
    const ready = store.ready();
    expect(store.offer(a.model)).toBe('loaded');
    expect((await ready).version).toBe(a.version);
  });

  it('swaps to a new version, ignores the same version again', () => {
    const store = new ModelStore();
    store.offer(a.model);
    const first = store.current;
    expect(store.offer(a.model)).toBe('unchanged');
    expect(store.current).toBe(first);
    expect(store.offer(b.model)).toBe('loaded');
    expect(store.version).toBe(b.version);
    expect(a.version).not.toBe(b.version);
  });

  it('leaves a scorer taken for a batch untouched by a later swap', () => {
    const store = new ModelStore();
    store.offer(a.model);
    const forThisBatch = store.current;
    store.offer(b.model);
    expect(forThisBatch?.version).toBe(a.version);
    expect(store.current?.version).toBe(b.version);
  });
});
