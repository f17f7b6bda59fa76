import { createRandom, type Random } from './random.js';

/** The four features of a call, as the prototype generated them and as they travel on `calls_raw`. */
export interface CallFeatures {
  call_duration: number;
  num_digits: number;
  hour_of_day: number;
  freq_calls: number;
}

export interface LabelledCall extends CallFeatures {
  /** The true probability that the call is a scam, known because we generate the data. */
  p_scam: number;
  label: 0 | 1;
}

export const DURATION_MEAN_SECONDS = 60;
export const DIGIT_COUNTS = [7, 10, 11, 12] as const;
export const DIGIT_PROBABILITIES = [0.2, 0.5, 0.2, 0.1] as const;
export const FREQ_LAMBDA = 2;
export const P_SCAM_CAP = 0.95;

/** The prototype's ground truth: P(scam) from the four features. */
export function scamProbability(call: CallFeatures): number {
  const night = call.hour_of_day < 6 || call.hour_of_day > 22;
  const p =
    0.4 * Number(call.call_duration < 40) +
    0.3 * Number(night) +
    0.3 * Number(call.freq_calls > 3) +
    0.1 * Number(call.num_digits === 11);
  return Math.min(p, P_SCAM_CAP);
}

/** The Bayes-optimal decision: the best any classifier can do on this data. */
export function bayesLabel(pScam: number): 0 | 1 {
  return pScam > 0.5 ? 1 : 0;
}

function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random.next());
}

function poisson(random: Random, lambda: number): number {
  const limit = Math.exp(-lambda);
  let count = 0;
  let product = random.next();
  while (product > limit) {
    count++;
    product *= random.next();
  }
  return count;
}

function digitCount(random: Random): number {
  let u = random.next();
  for (let i = 0; i < DIGIT_COUNTS.length; i++) {
    u -= DIGIT_PROBABILITIES[i] as number;
    if (u < 0) return DIGIT_COUNTS[i] as number;
  }
  return DIGIT_COUNTS[DIGIT_COUNTS.length - 1] as number;
}

export function generateCall(random: Random): LabelledCall {
  const features: CallFeatures = {
    call_duration: exponential(random, DURATION_MEAN_SECONDS),
    num_digits: digitCount(random),
    hour_of_day: random.int(0, 23),
    freq_calls: poisson(random, FREQ_LAMBDA),
  };
  const p_scam = scamProbability(features);
  const label = random.next() < p_scam ? 1 : 0;
  return { ...features, p_scam, label };
}

/** Generates `count` labelled calls; the same seed always gives the same rows. */
export function generateCalls(count: number, seed: number): LabelledCall[] {
  const random = createRandom(seed);
  const rows = new Array<LabelledCall>(count);
  for (let i = 0; i < count; i++) rows[i] = generateCall(random);
  return rows;
}
