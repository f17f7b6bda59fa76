import { describe, expect, it } from 'vitest';
import {
  bayesLabel,
  DIGIT_COUNTS,
  DIGIT_PROBABILITIES,
  generateCalls,
  scamProbability,
} from '../src/generator.js';

describe('the synthetic call generator', () => {
  const rows = generateCalls(200_000, 123);
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  it('draws durations from an exponential with mean 60 s', () => {
    const durations = rows.map((r) => r.call_duration);
    expect(mean(durations)).toBeCloseTo(60, 0);
    // Exponential: the median is mean * ln 2.
    const sorted = [...durations].sort((a, b) => a - b);
    expect(sorted[sorted.length / 2]).toBeGreaterThan(60 * Math.LN2 - 1);
    expect(sorted[sorted.length / 2]).toBeLessThan(60 * Math.LN2 + 1);
    expect(sorted[0]).toBeGreaterThanOrEqual(0);
  });

  it('draws digit counts 7, 10, 11, 12 with probabilities 0.2, 0.5, 0.2, 0.1', () => {
    DIGIT_COUNTS.forEach((digits, i) => {
      const share = rows.filter((r) => r.num_digits === digits).length / rows.length;
      expect(share).toBeCloseTo(DIGIT_PROBABILITIES[i] as number, 2);
    });
    expect(rows.every((r) => (DIGIT_COUNTS as readonly number[]).includes(r.num_digits))).toBe(true);
  });

  it('draws every hour 0..23 uniformly', () => {
    for (let hour = 0; hour < 24; hour++) {
      const share = rows.filter((r) => r.hour_of_day === hour).length / rows.length;
      expect(share).toBeGreaterThan(1 / 24 - 0.003);
      expect(share).toBeLessThan(1 / 24 + 0.003);
    }
    expect(
      rows.every((r) => Number.isInteger(r.hour_of_day) && r.hour_of_day >= 0 && r.hour_of_day <= 23),
    ).toBe(true);
  });

  it('draws call frequency from Poisson(2): mean and variance 2, P(0) = e^-2', () => {
    const freq = rows.map((r) => r.freq_calls);
    const m = mean(freq);
    expect(m).toBeCloseTo(2, 1);
    expect(mean(freq.map((f) => (f - m) ** 2))).toBeCloseTo(2, 1);
    expect(freq.filter((f) => f === 0).length / freq.length).toBeCloseTo(Math.exp(-2), 2);
  });

  it('labels each row scam with its true probability', () => {
    const scamShare = rows.filter((r) => r.label === 1).length / rows.length;
    expect(scamShare).toBeCloseTo(mean(rows.map((r) => r.p_scam)), 2);
    const sure = rows.filter((r) => r.p_scam === 0);
    expect(sure.every((r) => r.label === 0)).toBe(true);
  });

  it('computes P(scam) exactly as the prototype did, capped at 0.95', () => {
    const base = { call_duration: 100, num_digits: 10, hour_of_day: 12, freq_calls: 1 };
    expect(scamProbability(base)).toBe(0);
    expect(scamProbability({ ...base, call_duration: 39.9 })).toBeCloseTo(0.4);
    expect(scamProbability({ ...base, call_duration: 40 })).toBe(0);
    expect(scamProbability({ ...base, hour_of_day: 5 })).toBeCloseTo(0.3);
    expect(scamProbability({ ...base, hour_of_day: 6 })).toBe(0);
    expect(scamProbability({ ...base, hour_of_day: 22 })).toBe(0);
    expect(scamProbability({ ...base, hour_of_day: 23 })).toBeCloseTo(0.3);
    expect(scamProbability({ ...base, freq_calls: 4 })).toBeCloseTo(0.3);
    expect(scamProbability({ ...base, freq_calls: 3 })).toBe(0);
    expect(scamProbability({ ...base, num_digits: 11 })).toBeCloseTo(0.1);
    expect(scamProbability({ call_duration: 1, num_digits: 11, hour_of_day: 2, freq_calls: 9 })).toBe(0.95);
  });

  it('takes the Bayes-optimal decision strictly above one half', () => {
    expect(bayesLabel(0.5)).toBe(0);
    expect(bayesLabel(0.5000001)).toBe(1);
  });

  it('gives the same rows for the same seed and different rows for another', () => {
    expect(generateCalls(1000, 42)).toEqual(generateCalls(1000, 42));
    expect(generateCalls(1000, 43)).not.toEqual(generateCalls(1000, 42));
  });
});
