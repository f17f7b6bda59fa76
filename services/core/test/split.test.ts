import { describe, expect, it } from 'vitest';
import { stratifiedFolds, stratifiedSplit } from '../src/split.js';

const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0));
const scamShare = (indices: number[]): number =>
  indices.filter((i) => labels[i] === 1).length / indices.length;

describe('stratified splitting', () => {
  it('keeps the scam share in both parts and uses every row exactly once', () => {
    const { train, test } = stratifiedSplit(labels, 0.2, 1);
    expect(test).toHaveLength(200);
    expect(scamShare(train)).toBeCloseTo(0.3, 3);
    expect(scamShare(test)).toBeCloseTo(0.3, 3);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
  });

  it('is reproducible for a seed', () => {
    expect(stratifiedSplit(labels, 0.2, 5)).toEqual(stratifiedSplit(labels, 0.2, 5));
    expect(stratifiedSplit(labels, 0.2, 6).test).not.toEqual(stratifiedSplit(labels, 0.2, 5).test);
  });

  it('puts every row in exactly one validation fold, each stratified', () => {
    const folds = stratifiedFolds(labels, 5, 3);
    const validated = folds.flatMap((f) => f.validation).sort((a, b) => a - b);
    expect(validated).toEqual(labels.map((_, i) => i));
    for (const fold of folds) {
      expect(scamShare(fold.validation)).toBeCloseTo(0.3, 2);
      expect(fold.train.length + fold.validation.length).toBe(labels.length);
      expect(fold.train.some((i) => fold.validation.includes(i))).toBe(false);
    }
  });

  it('rejects nonsense fractions and fold counts', () => {
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(RangeError);
    expect(() => stratifiedFolds(labels, 1, 1)).toThrow(RangeError);
  });
});
