import { describe, expect, it } from 'vitest';
import { createRandom, deriveSeed } from '../src/random.js';

describe('the seeded random generator', () => {
  it('repeats its stream for the same seed', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    expect(Array.from({ length: 100 }, () => a.next())).toEqual(Array.from({ length: 100 }, () => b.next()));
  });

  it('gives floats in [0, 1) with a mean near one half', () => {
    const random = createRandom(1);
    const values = Array.from({ length: 100_000 }, () => random.next());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(0.5, 2);
  });

  it('gives integers covering both ends of the range', () => {
    const random = createRandom(2);
    const seen = new Set(Array.from({ length: 10_000 }, () => random.int(3, 9)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => createRandom(1.5)).toThrow(/safe integer/);
  });

  it('derives different seeds for different purposes', () => {
    expect(deriveSeed(42, 'callers')).not.toBe(deriveSeed(42, 'events'));
    expect(deriveSeed(42, 'callers')).toBe(deriveSeed(42, 'callers'));
  });
});
