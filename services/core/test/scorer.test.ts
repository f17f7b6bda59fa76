import { describe, expect, it } from 'vitest';
import { fitScaler } from '../src/scaler.js';
import { Scorer } from '../src/scorer.js';
import { smallModel } from './fixtures.js';

describe('the scorer', () => {
  const scorer = new Scorer(smallModel(3000, { k: 25 }));
  const call = { call_duration: 8, num_digits: 11, hour_of_day: 2, freq_calls: 6 };

  it('scores a batch exactly as it scores calls one by one', () => {
    const calls = [call, { ...call, hour_of_day: 14, call_duration: 300, num_digits: 10, freq_calls: 0 }];
    expect(scorer.scoreBatch(calls)).toEqual(calls.map((c) => scorer.score(c)));
  });

  it('explains a score by its neighbours: the probability is their scam share', () => {
    const score = scorer.score(call);
    expect(score.neighbours).toBe(25);
    expect(score.probability).toBe(score.scamNeighbours / 25);
    expect(score.label).toBe(score.probability > 0.5 ? 1 : 0);
    expect(score.nearestDistance).toBeGreaterThanOrEqual(0);
  });

  it('rates an obvious scam pattern above an obvious normal call', () => {
    const normal = scorer.score({ call_duration: 300, num_digits: 10, hour_of_day: 14, freq_calls: 0 });
    expect(scorer.score(call).probability).toBeGreaterThan(0.7);
    expect(normal.probability).toBeLessThan(0.3);
  });

  it('weighs nearer neighbours more when distance weighting is chosen', () => {
    const weighted = new Scorer(smallModel(3000, { k: 25, weighting: 'distance' }));
    const score = weighted.score({ call_duration: 50, num_digits: 10, hour_of_day: 12, freq_calls: 4 });
    expect(score.scamNeighbours).toBeGreaterThan(0);
    expect(score.scamNeighbours).toBeLessThan(score.neighbours);
    expect(score.probability).not.toBe(score.scamNeighbours / score.neighbours);
  });
});

describe('standard scaling', () => {
  it('centres and scales each feature, leaving constant features at zero', () => {
    const scaler = fitScaler([
      [1, 5],
      [3, 5],
    ]);
    expect(scaler.mean).toEqual([2, 5]);
    expect(scaler.std).toEqual([1, 1]);
  });
});
