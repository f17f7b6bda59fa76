import type { CallEvent, Model, Score } from '@scam-detector/core';
import { Scorer } from '@scam-detector/core';

/**
 * One serving model, whatever it reads: the processor computes every call's caller features (the core's
 * feature module) and hands both the call and those features over; a stateless model reads only the call,
 * a behavioural model reads the features.
 */
export interface CallScorer {
  readonly version: string;
  /** The model's feature set: "prototype" (the call's own fields) or the behavioural set and its version. */
  readonly featureSet: string;
  score(call: CallEvent, features: Float64Array): Score;
}

/** The stateless prototype-feature model. */
export function prototypeScorer(model: Model): CallScorer {
  const scorer = new Scorer(model);
  return {
    version: scorer.version,
    featureSet: 'prototype',
    score: (call) => scorer.score(call),
  };
}
