import {
  decodeModel,
  encodeModel,
  featureVector,
  fitScaler,
  generateCalls,
  rowOf,
  stratifiedSplit,
  subset,
  toTrainingSet,
  trainingSetSize,
} from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import type { SearchGrid } from '../src/cross-validation.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../src/train.js';

const grid: SearchGrid = {
  k: [5, 15, 31],
  weighting: ['uniform', 'distance'],
  freqCap: [4],
  featureWeights: [[1, 1, 1, 1, 1]],
};
const options = { ...DEFAULT_TRAIN_OPTIONS, samples: 6000, seed: 5, folds: 3, grid };

describe('training', () => {
  const model = trainModel(options);

  it('fits the scaler on the training split only', () => {
    const rows = generateCalls(options.samples, options.seed);
    const all = toTrainingSet(rows);
    const split = stratifiedSplit(all.label, options.testFraction, options.seed);
    const trainOnly = subset(all, split.train);
    const cap = model.params.freqCap;
    const expected = fitScaler(
      Array.from({ length: trainingSetSize(trainOnly) }, (_, i) => featureVector(rowOf(trainOnly, i), cap)),
    );
    const leaky = fitScaler(rows.map((r) => featureVector(r, cap)));
    for (const [j, m] of model.scaler.mean.entries()) expect(m).toBeCloseTo(expected.mean[j] as number, 5);
    expect(model.scaler.mean[0]).not.toBeCloseTo(leaky.mean[0] as number, 6);
    expect(trainingSetSize(model.points)).toBe(split.train.length);
  });

  it('keeps the held-out rows out of the model', () => {
    expect(model.training?.train_rows).toBe(4800);
    expect(model.training?.test_rows).toBe(1200);
    expect(model.evaluation?.test.samples).toBe(1200);
  });

  it('reports every figure next to the Bayes-optimal ceiling on the same rows', () => {
    const evaluation = model.evaluation;
    expect(evaluation).not.toBeNull();
    const test = evaluation?.test;
    for (const figure of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'brier'] as const) {
      expect(test?.[figure]).toBeGreaterThan(0);
      expect(test?.[figure]).toBeLessThan(1);
    }
    const c = test?.confusion;
    expect((c?.tp ?? 0) + (c?.tn ?? 0) + (c?.fp ?? 0) + (c?.fn ?? 0)).toBe(1200);
    expect(evaluation?.bayes.accuracy).toBeGreaterThan(0.7);
    expect(evaluation?.bayes.accuracy).toBeGreaterThanOrEqual((test?.accuracy ?? 1) - 0.03);
    expect(evaluation?.cross_validation.candidates).toHaveLength(6);
  });

  it('is deterministic for a seed: the same data gives the same model version', () => {
    const again = trainModel({ ...options, now: new Date('2031-01-01T00:00:00Z') });
    expect(encodeModel(again).version).toBe(encodeModel(model).version);
    const other = trainModel({ ...options, seed: 6 });
    expect(encodeModel(other).version).not.toBe(encodeModel(model).version);
  });

  it('writes an artifact that loads back with its evaluation', () => {
    const loaded = decodeModel(encodeModel(model).json);
    expect(loaded.evaluation).toEqual(JSON.parse(JSON.stringify(model.evaluation)));
    expect(loaded.params).toEqual(model.params);
  });
});
