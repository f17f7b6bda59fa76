import {
  callEvent,
  callerPopulation,
  createRandom,
  deriveSeed,
  generateCall,
  randomPhMobile,
  TRUTH_HEADER,
} from '@scam-detector/core';
import type { ProducedRecord } from '@scam-detector/transport';

export const PROFILES = ['world', 'default', 'prototype'] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface ProfileOptions {
  /** The rate-paced profiles (the world profile is paced by its own clock: world-stream.ts). */
  profile: Exclude<ProfileName, 'world'>;
  seed: number;
  /** Caller population of the default profile. */
  callers: number;
  topic: string;
}

/** Makes the next event, stamped with `nowMs`. The same options give the same stream (timestamps aside). */
export type EventSource = (nowMs: number) => ProducedRecord;

/**
 * - default: the trainer's generator (the same distribution the model learned), callers drawn from a finite
 *   population of realistic PH mobile numbers so the same numbers call again, and the generator's true label
 *   in the truth header (never in the features) so quality can be measured downstream.
 * - prototype: the old producer's stream: num_digits always 11, a fresh random caller for every event, no
 *   truth header.
 */
export function createEventSource(options: ProfileOptions): EventSource {
  const features = createRandom(deriveSeed(options.seed, 'features'));
  const pick = createRandom(deriveSeed(options.seed, 'caller-pick'));
  if (options.profile === 'prototype') {
    return (nowMs) => {
      const call = generateCall(features);
      const caller = randomPhMobile(pick);
      const value = JSON.stringify(callEvent({ ...call, num_digits: 11 }, caller, nowMs));
      return { topic: options.topic, key: caller, value };
    };
  }
  const population = callerPopulation(createRandom(deriveSeed(options.seed, 'callers')), options.callers);
  return (nowMs) => {
    const call = generateCall(features);
    const caller = population[pick.int(0, population.length - 1)] as string;
    const value = JSON.stringify(callEvent(call, caller, nowMs));
    return { topic: options.topic, key: caller, value, headers: { [TRUTH_HEADER]: String(call.label) } };
  };
}
