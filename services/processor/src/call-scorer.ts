import {
  type AnyModel,
  BEHAVIOUR_FEATURE_SET,
  BEHAVIOUR_FEATURES_VERSION,
  type BehaviourModel,
  BehaviourScorer,
  type CallEvent,
  ErrorCodes,
  type Model,
  ModelArtifactError,
  type Score,
  Scorer,
} from '@scam-detector/core';

/**
 * One serving model, whatever it reads: the processor computes every call's caller features (the core's
 * feature module) and hands both the call and those features over; the stateless model reads only the call,
 * the behavioural model reads the features.
 */
export interface CallScorer {
  readonly version: string;
  /** The model's feature set: "prototype" (the call's own fields), or the behavioural set and its version. */
  readonly featureSet: string;
  score(call: CallEvent, features: Float64Array): Score;
}

/** What this processor computes for a behavioural model: the core's feature module's set and version. */
export const SERVED_FEATURE_SET = `${BEHAVIOUR_FEATURE_SET} v${BEHAVIOUR_FEATURES_VERSION}`;

/** The stateless prototype-feature model. */
export function prototypeScorer(model: Model): CallScorer {
  const scorer = new Scorer(model);
  return { version: scorer.version, featureSet: 'prototype', score: (call) => scorer.score(call) };
}

/**
 * The behavioural model. Refuses, with an error that says both sides, a model whose feature set is not the one
 * this processor's feature module computes (the artifact reader checks it too; this guards any other path).
 */
export function behaviourScorer(model: BehaviourModel): CallScorer {
  const { name, version } = model.featureSet;
  if (name !== BEHAVIOUR_FEATURE_SET || version !== BEHAVIOUR_FEATURES_VERSION) {
    throw new ModelArtifactError(
      ErrorCodes.MODEL_INCONSISTENT,
      `model ${model.version} reads feature set "${name}" v${version}; this processor computes ${SERVED_FEATURE_SET}`,
    );
  }
  const scorer = new BehaviourScorer(model);
  return {
    version: scorer.version,
    featureSet: SERVED_FEATURE_SET,
    score: (_call, features) => scorer.score(features),
  };
}

/** The scorer for a model file of either kind. */
export function servingScorer(any: AnyModel): CallScorer {
  return any.kind === 'behaviour' ? behaviourScorer(any.model) : prototypeScorer(any.model);
}
