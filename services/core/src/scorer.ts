import type { CallFeatures } from './generator.js';
import { KnnIndex } from './knn-index.js';
import type { Model } from './model.js';

/** One call's verdict, with what the verdict rests on. */
export interface Score {
  label: 0 | 1;
  /** P(scam): the (possibly distance-weighted) share of scams among the k nearest training calls. */
  probability: number;
  /** How many nearest training calls voted, and how many of them were scams. */
  neighbours: number;
  scamNeighbours: number;
  /** Scaled distance to the closest training call: large means this call is unlike anything seen in training. */
  nearestDistance: number;
}

export const SCAM_THRESHOLD = 0.5;

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
    const probability =
      this.model.params.weighting === 'uniform'
        ? scamNeighbours / found.count
        : this.index.vote(found, this.model.params.weighting);
    return {
      label: probability > SCAM_THRESHOLD ? 1 : 0,
      probability,
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
