import { createRandom, toTrainingSet } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { crossValidate, type SearchGrid } from '../src/cross-validation.js';

const grid: SearchGrid = {
  k: [1, 5, 25, 101],
  weighting: ['uniform'],
  freqCap: [4],
  featureWeights: [[1, 1, 1, 1, 1]],
};

function rows(count: number, seed: number, label: (duration: number, random: () => number) => 0 | 1) {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => {
    const call_duration = random.next() * 200;
    return {
      call_duration,
      num_digits: 10,
      hour_of_day: 12,
      freq_calls: 1,
      label: label(call_duration, () => random.next()),
    };
  });
}

describe('cross-validation', () => {
  it('picks the smallest k when the label is an exact function of the features', () => {
    // Narrow alternating stripes: only the very nearest neighbour reliably shares the label.
    const data = toTrainingSet(rows(3000, 1, (d) => (Math.floor(d) % 2 === 0 ? 1 : 0)));
    const result = crossValidate(data, grid, { folds: 5, seed: 1, selectBy: 'accuracy' });
    expect(result.best.params.k).toBe(1);
    expect(result.best.accuracy).toBeGreaterThan(0.9);
  });

  it('picks the largest k when the label is pure noise (nothing local to learn)', () => {
    const data = toTrainingSet(rows(3000, 2, (_d, random) => (random() < 0.3 ? 1 : 0)));
    const result = crossValidate(data, grid, { folds: 5, seed: 2, selectBy: 'brier' });
    expect(result.best.params.k).toBe(101);
  });

  it('picks an intermediate k when the signal is local but noisy', () => {
    const data = toTrainingSet(rows(4000, 3, (d, random) => (random() < (d < 100 ? 0.8 : 0.2) ? 1 : 0)));
    const result = crossValidate(
      data,
      { ...grid, k: [1, 3, 51, 401, 2500] },
      { folds: 4, seed: 3, selectBy: 'brier' },
    );
    expect(result.best.params.k).toBe(51);
    expect(result.candidates).toHaveLength(5);
  });
});
