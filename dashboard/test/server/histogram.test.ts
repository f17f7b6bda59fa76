import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, bucketValue, exactQuantile, Histogram } from '../../src/server/histogram.js';

describe('Histogram', () => {
  it('reports null percentiles when it has no samples', () => {
    expect(new Histogram().quantile(0.5)).toBeNull();
  });

  it('gives p50, p95 and p99 within 2% of the exact nearest-rank values', () => {
    const values: number[] = [];
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) values.push(-Math.log(1 - random()) * 40 + 1); // exponential, mean ~41 ms
    const histogram = new Histogram();
    for (const value of values) histogram.record(value);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(values, q) as number;
      expect(Math.abs((histogram.quantile(q) as number) - exact) / exact).toBeLessThan(0.02);
    }
  });

  it('counts negative values (clock skew) as zero and huge ones in the last bucket', () => {
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1e12)).toBe(BUCKETS - 1);
    expect(bucketValue(0)).toBeLessThan(0.2);
  });

  it('subtracts what it added, so a window can drop an old second', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (const v of [1, 2, 3]) a.record(v);
    for (const v of [100, 200]) b.record(v);
    a.add(b);
    expect(a.total).toBe(5);
    expect(a.quantile(1)).toBeGreaterThan(190);
    a.subtract(b);
    expect(a.total).toBe(3);
    expect(a.quantile(1)).toBeLessThan(3.1);
  });
});
