import { type BehaviourModel, decodeAnyModel, resealArtifact } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { behaviourScorer } from '../src/call-scorer.js';
import { ModelStore } from '../src/model-store.js';
import { sealedBehaviourModel, sealedModel } from './models.js';

const prototype = (seed: number) => {
  const sealed = sealedModel(seed);
  return { ...sealed, any: { kind: 'prototype' as const, model: sealed.model } };
};

describe('ModelStore', () => {
  const a = prototype(1);
  const b = prototype(2);

  it('has no scorer until a model is offered, and wakes those waiting for one', async () => {
    const store = new ModelStore();
    expect(store.current).toBeUndefined();
    const ready = store.ready();
    expect(store.offer(a.any)).toBe('loaded');
    expect((await ready).version).toBe(a.version);
  });

  it('swaps to a new version, ignores the same version again', () => {
    const store = new ModelStore();
    store.offer(a.any);
    const first = store.current;
    expect(store.offer(a.any)).toBe('unchanged');
    expect(store.current).toBe(first);
    expect(store.offer(b.any)).toBe('loaded');
    expect(store.version).toBe(b.version);
    expect(a.version).not.toBe(b.version);
  });

  it('leaves a scorer taken for a batch untouched by a later swap', () => {
    const store = new ModelStore();
    store.offer(a.any);
    const forThisBatch = store.current;
    store.offer(b.any);
    expect(forThisBatch?.version).toBe(a.version);
    expect(store.current?.version).toBe(b.version);
  });
});

describe('the behavioural model in the store', () => {
  const behaviour = sealedBehaviourModel(4);
  const a = prototype(1);

  it('serves a behavioural model from the caller features (and the stateless one from the call)', () => {
    const store = new ModelStore();
    store.offer({ kind: 'behaviour', model: behaviour.model });
    expect(store.current?.featureSet).toBe('behaviour v1');
    const features = new Float64Array([40, 300, 900, 250, 800, 1, 0.9, 2, 3, 4000, 2, 23, 11, 1]);
    const calm = new Float64Array([0, 1, 3, 1, 3, 0, 0, 180, 20000, 9e5, 200, 14, 11, 2]);
    const call = {
      caller: '09171234567',
      ts: 1.79e9,
      call_duration: 2,
      hour_of_day: 23,
      num_digits: 11,
      freq_calls: 1,
    };
    const wangiriLike = store.current?.score(call, features);
    const ordinaryLike = store.current?.score(call, calm);
    // Same call fields, different caller behaviour: a behavioural model tells them apart.
    expect(wangiriLike?.probability).toBeGreaterThan(ordinaryLike?.probability as number);
  });

  it('refuses, with both feature sets named, a model whose feature set this processor does not compute; the previous model keeps serving', () => {
    const store = new ModelStore();
    store.offer(a.any);
    const foreign = {
      ...behaviour.model,
      featureSet: { name: 'behaviour', version: 99 },
    } as unknown as BehaviourModel;
    expect(() => store.offer({ kind: 'behaviour', model: foreign })).toThrow(
      /reads feature set "behaviour" v99; this processor computes behaviour v1/,
    );
    expect(store.version).toBe(a.version);
    expect(() => behaviourScorer(foreign)).toThrow(/feature set/);
  });

  it('a behavioural model file with another feature set is refused when read, naming it', () => {
    const artifact = JSON.parse(behaviour.json) as Record<string, unknown>;
    const edited = resealArtifact({ ...artifact, feature_set: { name: 'behaviour', version: 99 } });
    expect(() => decodeAnyModel(JSON.stringify(edited))).toThrow(/feature set is behaviour v99/);
  });
});
