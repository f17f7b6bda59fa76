import type { KubeConfig } from '@kubernetes/client-node';
import { type AnyModel, decodeAnyModel } from '@scam-detector/core';
import { ConfigMapWatch } from './configmap-watch.js';
import { describeApiError } from './kube.js';
import { MODEL_KEY } from './model-configmap.js';

/** The processor's model-source listener, structurally (the port is declared by the processor). */
export interface ModelListener {
  loaded(model: AnyModel, origin: string): void;
  rejected(error: Error, origin: string): void;
}

export interface ConfigMapModelSourceEvents {
  /** The ConfigMap does not exist yet (or was deleted): the current model, if any, keeps serving. */
  waiting?(origin: string): void;
  /** The watch failed and will re-list after retryInMs. */
  watchFailed?(message: string, retryInMs: number): void;
}

/**
 * The model from a ConfigMap, read through the API and followed by a watch. Only a fully decoded, validated
 * model is handed over; a broken one is reported through `rejected`, and the model serving keeps serving.
 * A resourceVersion seen before is not decoded again.
 */
export class ConfigMapModelSource {
  readonly #watch: ConfigMapWatch;
  readonly #origin: string;
  #lastResourceVersion: string | undefined;

  constructor(
    kc: KubeConfig,
    readonly options: { namespace: string; name: string },
    readonly events: ConfigMapModelSourceEvents = {},
  ) {
    this.#watch = new ConfigMapWatch(kc, options);
    this.#origin = `configmap/${options.namespace}/${options.name}`;
  }

  async start(listener: ModelListener): Promise<void> {
    await this.#watch.start({
      changed: (configMap) => {
        if (configMap === null) {
          this.#lastResourceVersion = undefined;
          this.events.waiting?.(this.#origin);
          return;
        }
        const resourceVersion = configMap.metadata?.resourceVersion;
        if (resourceVersion !== undefined && resourceVersion === this.#lastResourceVersion) return;
        this.#lastResourceVersion = resourceVersion;
        const text = configMap.data?.[MODEL_KEY];
        if (text === undefined) {
          listener.rejected(new Error(`${this.#origin} has no "${MODEL_KEY}" key`), this.#origin);
          return;
        }
        try {
          listener.loaded(decodeAnyModel(text), this.#origin);
        } catch (error) {
          listener.rejected(error as Error, this.#origin);
        }
      },
      failed: (error, retryInMs) => this.events.watchFailed?.(describeApiError(error), retryInMs),
    });
  }

  async close(): Promise<void> {
    this.#watch.close();
  }
}
