import KNN from 'ml-knn';
import { describe, expect, it } from 'vitest';
import { generateCalls } from '../src/generator.js';
import { KnnIndex } from '../src/knn-index.js';
import { rowOf, trainingSetSize } from '../src/training-set.js';
import { smallModel } from './fixtures.js';

function bruteForce(index: KnnIndex, model: ReturnType<typeof smallModel>, query: number[], k: number) {
  const all = Array.from({ length: trainingSetSize(model.points) }, (_, i) => {
    const v = index.embed(rowOf(model.points, i));
    return {
      d: v.reduce((s, x, j) => s + (x - (query[j] as number)) ** 2, 0),
      label: model.points.label[i] as number,
    };
  }).sort((a, b) => a.d - b.d);
  return { nearest: all.slice(0, k), next: all[k] };
}

describe('the exact KNN index', () => {
  it.each([
    ['uniform weights, k 25', { k: 25 }],
    ['heavier hours, frequency cap 7, k 1', { k: 1, freqCap: 7, featureWeights: [1, 2, 2, 1, 0.5] }],
    ['k 201', { k: 201 }],
  ])('finds exactly the neighbours a brute-force search finds (%s)', (_name, params) => {
    const model = smallModel(3000, params);
    const index = new KnnIndex(model.points, model.scaler, model.params);
    for (const query of generateCalls(150, 99)) {
      const expected = bruteForce(index, model, index.embed(query), model.params.k);
      const found = index.searchSorted(query);
      expect(found.count).toBe(model.params.k);
      const distances = Array.from(found.distance.subarray(0, found.count));
      for (const [i, e] of expected.nearest.entries()) expect(distances[i]).toBeCloseTo(e.d, 9);
    }
  });

  it('returns neighbours nearest first from searchSorted', () => {
    const model = smallModel(2000, { k: 50 });
    const index = new KnnIndex(model.points, model.scaler, model.params);
    const found = index.searchSorted(generateCalls(1, 5)[0] as never);
    const distances = Array.from(found.distance.subarray(0, found.count));
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });

  it('agrees with ml-knn on every query whose k-th and (k+1)-th neighbours are not tied', () => {
    const model = smallModel(4000, { k: 25 });
    const index = new KnnIndex(model.points, model.scaler, model.params);
    const dataset = Array.from({ length: trainingSetSize(model.points) }, (_, i) =>
      index.embed(rowOf(model.points, i)),
    );
    const reference = new KNN(dataset, Array.from(model.points.label), { k: model.params.k });
    let compared = 0;
    for (const query of generateCalls(300, 77)) {
      const embedded = index.embed(query);
      const { nearest, next } = bruteForce(index, model, embedded, model.params.k);
      if (next && Math.abs((nearest[nearest.length - 1]?.d as number) - next.d) < 1e-12) continue;
      const ours = index.scamProbability(query) > 0.5 ? 1 : 0;
      expect(ours).toBe(reference.predict(embedded));
      compared++;
    }
    expect(compared).toBeGreaterThan(290);
  });

  it('rejects k larger than the training set or below 1', () => {
    const model = smallModel(100);
    expect(() => new KnnIndex(model.points, model.scaler, { ...model.params, k: 101 })).toThrow(/k must be/);
    expect(() => new KnnIndex(model.points, model.scaler, { ...model.params, k: 0 })).toThrow(/k must be/);
  });

  it('treats 23 h and 0 h as neighbours', () => {
    const model = smallModel(1000);
    const index = new KnnIndex(model.points, model.scaler, model.params);
    const at = (hour: number) =>
      index.embed({ call_duration: 30, num_digits: 10, hour_of_day: hour, freq_calls: 1 });
    const distance = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - (b[i] as number)));
    expect(distance(at(23), at(0))).toBeCloseTo(distance(at(11), at(12)), 6);
    expect(distance(at(23), at(0))).toBeLessThan(distance(at(23), at(20)));
  });
});
