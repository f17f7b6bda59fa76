import { CallerStates } from './caller-state.js';
import { fromWireSeconds } from './time.js';
import {
  type CallTruth,
  LOCAL_UTC_OFFSET_HOURS,
  simulateWorld,
  type WorldEvent,
  type WorldOptions,
} from './world.js';

/** One simulated call with the caller's features after it (BEHAVIOUR_FEATURES order). */
export interface FeaturedCall {
  event: WorldEvent;
  truth: CallTruth;
  features: Float64Array;
  /** False during the warm-up: the features are still filling, the call is not trained on nor scored. */
  scored: boolean;
}

export const DAY_MS = 86_400_000;

/**
 * The trainer's and the evaluation's path: a simulated period streamed, in event-time order, through the same
 * feature module the processor uses (CallerStates.update), one store for all callers. The first
 * `warmupDays` fill the callers' state and are marked not scored.
 */
export function* featuredWorld(
  options: Partial<WorldOptions> & { seed: number; days: number },
  warmupDays: number,
): Generator<FeaturedCall> {
  const states = new CallerStates(1 << 15);
  let scoredFrom = Number.POSITIVE_INFINITY;
  for (const { event, truth } of simulateWorld({ ...options, days: options.days + warmupDays })) {
    if (scoredFrom === Number.POSITIVE_INFINITY) {
      // The world's days start at local midnight; the first event is in the first day.
      const offset = LOCAL_UTC_OFFSET_HOURS * 3_600_000;
      const first = fromWireSeconds(event.ts);
      scoredFrom = Math.floor((first + offset) / DAY_MS) * DAY_MS - offset + warmupDays * DAY_MS;
    }
    const { features } = states.update(event.caller, event);
    yield { event, truth, features, scored: fromWireSeconds(event.ts) >= scoredFrom };
  }
}
