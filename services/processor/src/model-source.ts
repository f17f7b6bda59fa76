import type { AnyModel } from '@scam-detector/core';

/**
 * Where the processor's model comes from. Adapters: a file (`file-model-source.ts`, watches MODEL_PATH) and,
 * later, a Kubernetes ConfigMap (list + watch one name). An adapter hands over only fully read, validated
 * models; a model that cannot be read or fails validation is reported through `rejected` and otherwise
 * ignored, so whatever model is serving keeps serving.
 */
export interface ModelSourceListener {
  /** A valid model file of either kind was read (possibly the same version as before: the receiver decides
   *  what is new, and whether it can compute the model's features). */
  loaded(model: AnyModel, origin: string): void;
  /** A candidate could not be used; `error` says why. */
  rejected(error: Error, origin: string): void;
}

export interface ModelSource {
  /** Reads the current model (reporting it or its rejection) and keeps watching for replacements. */
  start(listener: ModelSourceListener): Promise<void>;
  /** Stops watching. Idempotent. */
  close(): Promise<void>;
}
