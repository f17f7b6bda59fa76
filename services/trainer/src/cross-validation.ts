import {
  brierScore,
  featureVector,
  fitScaler,
  KnnIndex,
  type KnnParams,
  rowOf,
  stratifiedFolds,
  subset,
  type TrainingSet,
  trainingSetSize,
} from '@scam-detector/core';

/** The hyper-parameters cross-validation chooses among. */
export interface SearchGrid {
  k: number[];
  weighting: KnnParams['weighting'][];
  freqCap: number[];
  featureWeights: number[][];
}

export const DEFAULT_GRID: SearchGrid = {
  k: [31, 51, 75, 101, 151, 201],
  weighting: ['uniform', 'distance'],
  freqCap: [4, 7],
  featureWeights: [
    [1, 1, 1, 1, 1],
    [1, 0.7, 0.7, 1, 1],
  ],
};

export type SelectionMetric = 'brier' | 'accuracy';

export interface CandidateResult {
  params: KnnParams;
  accuracy: number;
  brier: number;
}

export interface CrossValidationResult {
  best: CandidateResult;
  candidates: CandidateResult[];
}

/** Scaler fitted on the rows given only: inside a fold, that is the fold's training part. */
export function fitScalerOn(points: TrainingSet, freqCap: number) {
  return fitScaler(
    Array.from({ length: trainingSetSize(points) }, (_, i) => featureVector(rowOf(points, i), freqCap)),
  );
}

/**
 * Stratified k-fold cross-validation over the grid. One search per fold and feature setting finds the
 * largest k's neighbours nearest first; every smaller k and both weightings are read off that one list.
 */
export function crossValidate(
  points: TrainingSet,
  grid: SearchGrid,
  options: { folds: number; seed: number; selectBy: SelectionMetric; onStep?: () => void },
): CrossValidationResult {
  const ks = [...grid.k].sort((a, b) => a - b);
  const maxK = ks[ks.length - 1] as number;
  const folds = stratifiedFolds(points.label, options.folds, options.seed);
  const totals = new Map<string, CandidateResult>();
  const keyOf = (p: KnnParams): string => JSON.stringify(p);

  for (const freqCap of grid.freqCap) {
    for (const featureWeights of grid.featureWeights) {
      for (const fold of folds) {
        const train = subset(points, fold.train);
        const validation = subset(points, fold.validation);
        const scaler = fitScalerOn(train, freqCap);
        const base = { k: maxK, weighting: 'uniform' as const, freqCap, featureWeights };
        const index = new KnnIndex(train, scaler, base, Math.min(maxK, trainingSetSize(train)));
        const n = trainingSetSize(validation);
        const probabilities = grid.weighting.map(() => ks.map(() => new Float64Array(n)));
        for (let i = 0; i < n; i++) {
          const found = index.searchSorted(rowOf(validation, i), maxK);
          grid.weighting.forEach((weighting, w) => {
            let scam = 0;
            let total = 0;
            let j = 0;
            ks.forEach((k, kIndex) => {
              for (; j < k && j < found.count; j++) {
                const weight =
                  weighting === 'uniform' ? 1 : 1 / (Math.sqrt(found.distance[j] as number) + 1e-9);
                total += weight;
                if (found.label[j] === 1) scam += weight;
              }
              (probabilities[w]?.[kIndex] as Float64Array)[i] = scam / total;
            });
          });
        }
        grid.weighting.forEach((weighting, w) => {
          ks.forEach((k, kIndex) => {
            const p = probabilities[w]?.[kIndex] as Float64Array;
            let correct = 0;
            for (let i = 0; i < n; i++)
              if (((p[i] as number) > 0.5 ? 1 : 0) === validation.label[i]) correct++;
            const params: KnnParams = { k, weighting, freqCap, featureWeights };
            const entry = totals.get(keyOf(params)) ?? { params, accuracy: 0, brier: 0 };
            entry.accuracy += correct / n / folds.length;
            entry.brier += brierScore(validation.label, p) / folds.length;
            totals.set(keyOf(params), entry);
          });
        });
        options.onStep?.();
      }
    }
  }
  const candidates = [...totals.values()];
  const better = (a: CandidateResult, b: CandidateResult): boolean =>
    options.selectBy === 'brier'
      ? a.brier < b.brier || (a.brier === b.brier && a.accuracy > b.accuracy)
      : a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.brier < b.brier);
  const best = candidates.reduce((winner, c) => (better(c, winner) ? c : winner));
  return { best, candidates };
}

export function gridSteps(grid: SearchGrid, folds: number): number {
  return grid.freqCap.length * grid.featureWeights.length * folds;
}
