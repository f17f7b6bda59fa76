import {
  canonicalOrder,
  generateCalls,
  type Model,
  type Progress,
  Scorer,
  stratifiedSplit,
  subset,
  toTrainingSet,
  trainingSetSize,
} from '@scam-detector/core';
import {
  crossValidate,
  DEFAULT_GRID,
  fitScalerOn,
  gridSteps,
  type SearchGrid,
  type SelectionMetric,
} from './cross-validation.js';
import { evaluateOnRows } from './evaluate.js';

export interface TrainOptions {
  samples: number;
  seed: number;
  testFraction: number;
  folds: number;
  selectBy: SelectionMetric;
  grid: SearchGrid;
  /** Fixed clock for reproducible artifacts in tests; defaults to now. */
  now?: Date;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  samples: 125_000,
  seed: 42,
  testFraction: 0.2,
  folds: 5,
  selectBy: 'brier',
  grid: DEFAULT_GRID,
};

/**
 * Generates data, splits it stratified, chooses hyper-parameters by cross-validation on the training split,
 * then fits the scaler on the training split only and evaluates once on the held-out split.
 */
export function trainModel(options: TrainOptions, progress?: Progress): Model {
  const rows = generateCalls(options.samples, options.seed);
  const all = toTrainingSet(rows);
  const split = stratifiedSplit(all.label, options.testFraction, options.seed);
  const train = canonicalOrder(subset(all, split.train));
  const testRows = split.test.map((i) => rows[i] as (typeof rows)[number]);

  progress?.start(gridSteps(options.grid, options.folds) + 1, 'cross-validating');
  const grid = {
    ...options.grid,
    k: options.grid.k.filter((k) => k <= trainingSetSize(train) * (1 - 1 / options.folds)),
  };
  const cv = crossValidate(train, grid, {
    folds: options.folds,
    seed: options.seed,
    selectBy: options.selectBy,
    onStep: () => progress?.step(),
  });
  const params = cv.best.params;
  const scaler = fitScalerOn(train, params.freqCap);
  const unevaluated: Model = {
    version: 'unsealed',
    createdAt: (options.now ?? new Date()).toISOString(),
    params,
    scaler,
    points: train,
    training: {
      samples: options.samples,
      seed: options.seed,
      test_fraction: options.testFraction,
      folds: options.folds,
      train_rows: split.train.length,
      test_rows: split.test.length,
    },
    evaluation: null,
  };
  const evaluation = evaluateOnRows(new Scorer(unevaluated), testRows);
  progress?.step('evaluated on the held-out split');
  progress?.stop();
  return {
    ...unevaluated,
    evaluation: {
      test: evaluation.report,
      bayes: evaluation.bayes,
      cross_validation: {
        selected_by: options.selectBy,
        best: {
          k: params.k,
          weighting: params.weighting,
          freq_cap: params.freqCap,
          feature_weights: params.featureWeights,
        },
        candidates: cv.candidates.map((c) => ({
          k: c.params.k,
          weighting: c.params.weighting,
          freq_cap: c.params.freqCap,
          feature_weights: c.params.featureWeights,
          accuracy: round(c.accuracy),
          brier: round(c.brier),
        })),
      },
    },
  };
}

const round = (value: number): number => Number(value.toFixed(6));
