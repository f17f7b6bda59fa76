import type { CallFeatures } from './generator.js';
import { KnnIndex } from './knn-index.js';
import type { Model } from './model.js';

/** One call's verdict, with what the verdict rests on. */
export interface Score {
  label: 0 | 1;
  /**
   * P(scam) as results report it: above 0.5 exactly when `label` is 1, so a reader that flags
   * `predicted_proba[1] > 0.5` (the old contract) agrees with `predicted_label`: the vote calibrated to the
   * model's threshold (`calibrateToThreshold`; for a threshold of 0.5, the vote itself but for a flagged vote
   * within 1e-6 of one half).
   */
  probability: number;
  /** The neighbours' vote: the (possibly distance-weighted) share of scams among the k nearest training calls. */
  vote: number;
  /** How many nearest training calls voted, and how many of them were scams. */
  neighbours: number;
  scamNeighbours: number;
  /** Scaled distance to the closest training call: large means this call is unlike anything seen in training. */
  nearestDistance: number;
}

export const SCAM_THRESHOLD = 0.5;

/** Results carry P(scam) to 6 decimals: the smallest step above one half that survives that rounding. */
const REPORTED_STEP = 1e-6;

/**
 * Maps a vote to the P(scam) a result reports, for a model that flags `vote > threshold`: piecewise linear and
 * increasing, [0, threshold] onto [0, 0.5] and (threshold, 1] onto (0.5, 1], so the threshold becomes 0.5 and the
 * order of calls (and so PR AUC) is unchanged. A flagged vote is never reported below 0.5 + 1e-6, so rounding to 6
 * decimals cannot make a flagged call read as not a scam; an unflagged one is never above 0.5.
 */
export function calibrateToThreshold(vote: number, threshold: number): number {
  if (vote > threshold) {
    const above = threshold >= 1 ? 1 : 0.5 + (0.5 * (vote - threshold)) / (1 - threshold);
    return Math.min(1, Math.max(0.5 + REPORTED_STEP, above));
  }
  return threshold <= 0 ? 0 : Math.min(0.5, (0.5 * vote) / threshold);
}

/** Scores calls with one model. Pure: no I/O, no clock; safe to build once and call from a hot loop. */
export class Scorer {
  private readonly index: KnnIndex;

  constructor(readonly model: Model) {
    this.index = new KnnIndex(model.points, model.scaler, model.params);
  }

  get version(): string {
    return this.model.version;
  }

  score(call: CallFeatures): Score {
    const found = this.index.search(call);
    let scamNeighbours = 0;
    let nearest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < found.count; i++) {
      scamNeighbours += found.label[i] as number;
      if ((found.distance[i] as number) < nearest) nearest = found.distance[i] as number;
    }
    const vote =
      this.model.params.weighting === 'uniform'
        ? scamNeighbours / found.count
        : this.index.vote(found, this.model.params.weighting);
    return {
      label: vote > SCAM_THRESHOLD ? 1 : 0,
      probability: calibrateToThreshold(vote, SCAM_THRESHOLD),
      vote,
      neighbours: found.count,
      scamNeighbours,
      nearestDistance: Math.sqrt(nearest),
    };
  }

  scoreBatch(calls: readonly CallFeatures[]): Score[] {
    const scores = new Array<Score>(calls.length);
    for (let i = 0; i < calls.length; i++) scores[i] = this.score(calls[i] as CallFeatures);
    return scores;
  }
}
