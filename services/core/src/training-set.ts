import type { CallFeatures } from './generator.js';

/**
 * Labelled calls in flat columns, the form the model stores and searches. Durations are float32: that
 * halves the artifact, and because the model is built from these exact values, a decoded artifact
 * scores exactly as the trained one did.
 */
export interface TrainingSet {
  duration: Float32Array;
  hour: Uint8Array;
  digits: Uint8Array;
  freq: Uint8Array;
  label: Uint8Array;
}

export const MAX_STORED_FREQ = 255;
export const MAX_STORED_DIGITS = 255;

export function trainingSetSize(set: TrainingSet): number {
  return set.label.length;
}

export function toTrainingSet(rows: readonly (CallFeatures & { label: 0 | 1 })[]): TrainingSet {
  const n = rows.length;
  const set: TrainingSet = {
    duration: new Float32Array(n),
    hour: new Uint8Array(n),
    digits: new Uint8Array(n),
    freq: new Uint8Array(n),
    label: new Uint8Array(n),
  };
  rows.forEach((row, i) => {
    set.duration[i] = row.call_duration;
    set.hour[i] = row.hour_of_day;
    set.digits[i] = Math.min(row.num_digits, MAX_STORED_DIGITS);
    set.freq[i] = Math.min(row.freq_calls, MAX_STORED_FREQ);
    set.label[i] = row.label;
  });
  return set;
}

export function rowOf(set: TrainingSet, i: number): CallFeatures & { label: 0 | 1 } {
  return {
    call_duration: set.duration[i] as number,
    num_digits: set.digits[i] as number,
    hour_of_day: set.hour[i] as number,
    freq_calls: set.freq[i] as number,
    label: set.label[i] === 1 ? 1 : 0,
  };
}

export function subset(set: TrainingSet, indices: ArrayLike<number>): TrainingSet {
  const pick = <T extends Float32Array | Uint8Array>(column: T, make: (n: number) => T): T => {
    const out = make(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = column[indices[i] as number] as number;
    return out;
  };
  return {
    duration: pick(set.duration, (n) => new Float32Array(n)),
    hour: pick(set.hour, (n) => new Uint8Array(n)),
    digits: pick(set.digits, (n) => new Uint8Array(n)),
    freq: pick(set.freq, (n) => new Uint8Array(n)),
    label: pick(set.label, (n) => new Uint8Array(n)),
  };
}
