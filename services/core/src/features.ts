import type { CallFeatures } from './generator.js';

/**
 * What the model sees of a call. The shapes follow how calls actually differ: durations spread over orders
 * of magnitude (log), 23 h and 0 h are neighbours (the hour on a circle), and only the 11-digit numbers
 * behave differently. Call frequency is capped so one extreme caller does not dominate the distance.
 */
export const FEATURE_NAMES = ['log_duration', 'hour_sin', 'hour_cos', 'is_11_digits', 'freq_capped'] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const HOURS = 24;

export function logDuration(seconds: number): number {
  return Math.log1p(seconds);
}

export function hourAngle(hour: number): number {
  return (2 * Math.PI * hour) / HOURS;
}

export function isElevenDigits(numDigits: number): 0 | 1 {
  return numDigits === 11 ? 1 : 0;
}

export function capFrequency(freq: number, cap: number): number {
  return freq < cap ? freq : cap;
}

/** The raw (unscaled) feature vector of one call. */
export function featureVector(call: CallFeatures, freqCap: number): number[] {
  const angle = hourAngle(call.hour_of_day);
  return [
    logDuration(call.call_duration),
    Math.sin(angle),
    Math.cos(angle),
    isElevenDigits(call.num_digits),
    capFrequency(call.freq_calls, freqCap),
  ];
}
