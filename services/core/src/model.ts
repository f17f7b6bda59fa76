import type { ClassificationReport } from './evaluation.js';
import type { KnnParams } from './knn-index.js';
import type { Scaler } from './scaler.js';
import type { TrainingSet } from './training-set.js';

/** How the model was trained: enough to train it again. */
export interface TrainingInfo {
  samples: number;
  seed: number;
  test_fraction: number;
  folds: number;
  train_rows: number;
  test_rows: number;
}

/** What the trainer measured, stored with the model so every consumer can show it. */
export interface EvaluationReport {
  /** The model on the held-out split. */
  test: ClassificationReport;
  /** The Bayes-optimal classifier (P(scam) > 0.5, using the generator's true P) on the same rows. */
  bayes: { accuracy: number; brier: number };
  cross_validation: {
    selected_by: 'brier' | 'accuracy';
    best: { k: number; weighting: KnnParams['weighting']; freq_cap: number; feature_weights: number[] };
    /** Mean over folds for every candidate tried. */
    candidates: {
      k: number;
      weighting: string;
      freq_cap: number;
      feature_weights: number[];
      accuracy: number;
      brier: number;
    }[];
  };
}

export interface Model {
  version: string;
  createdAt: string;
  params: KnnParams;
  scaler: Scaler;
  points: TrainingSet;
  training: TrainingInfo | null;
  evaluation: EvaluationReport | null;
}
