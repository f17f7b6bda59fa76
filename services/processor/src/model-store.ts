import type { AnyModel } from '@scam-detector/core';
import { type CallScorer, servingScorer } from './call-scorer.js';

export type OfferResult = 'loaded' | 'unchanged';

/**
 * Holds the scorer that serves. `current` is read once at the start of each batch, and replacing it is a
 * single reference assignment, so a swap lands between batches: a batch never mixes two models, and no batch
 * waits for a swap. The scorer (its index) is built before the swap, off the serving reference; a model this
 * processor cannot serve (a feature set it does not compute) throws from `offer` and changes nothing.
 */
export class ModelStore {
  #current: CallScorer | undefined;
  #waiters: ((scorer: CallScorer) => void)[] = [];

  get current(): CallScorer | undefined {
    return this.#current;
  }

  get version(): string | undefined {
    return this.#current?.version;
  }

  /** Makes `model` the serving one unless it is the version already serving. Throws if it cannot serve it. */
  offer(model: AnyModel): OfferResult {
    if (this.#current?.version === model.model.version) return 'unchanged';
    const scorer = servingScorer(model);
    this.#current = scorer;
    for (const wake of this.#waiters.splice(0)) wake(scorer);
    return 'loaded';
  }

  /** Resolves with the first serving scorer (at once if there is one). */
  ready(): Promise<CallScorer> {
    if (this.#current) return Promise.resolve(this.#current);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
