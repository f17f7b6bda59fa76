import { canonicalOrder } from '../src/artifact.js';
import { featureVector } from '../src/features.js';
import { generateCalls } from '../src/generator.js';
import type { KnnParams } from '../src/knn-index.js';
import type { Model } from '../src/model.js';
import { fitScaler } from '../src/scaler.js';
import { toTrainingSet } from '../src/training-set.js';

/** A small, fully formed model for tests: real generator rows, scaler fitted on them. */
export function smallModel(rows = 4000, params: Partial<KnnParams> = {}, seed = 11): Model {
  const full: KnnParams = {
    k: 25,
    weighting: 'uniform',
    freqCap: 4,
    featureWeights: [1, 1, 1, 1, 1],
    ...params,
  };
  const data = generateCalls(rows, seed);
  return {
    version: 'unsealed',
    createdAt: '2026-11-25T00:00:00.000Z',
    params: full,
    scaler: fitScaler(data.map((r) => featureVector(r, full.freqCap))),
    points: canonicalOrder(toTrainingSet(data)),
    training: { samples: rows, seed, test_fraction: 0.2, folds: 5, train_rows: rows, test_rows: 0 },
    evaluation: null,
  };
}
