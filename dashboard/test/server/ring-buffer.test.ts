import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../src/server/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the most recent items, oldest first, dropping the oldest when full', () => {
    const ring = new RingBuffer<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.last()).toBe(5);
  });

  it('takes the newest items while a condition holds, at most a limit, oldest first', () => {
    const ring = new RingBuffer<number>(5);
    for (const n of [1, 2, 3, 4, 5, 6, 7]) ring.push(n);
    expect(ring.newestWhile((n) => n > 4, 10)).toEqual([5, 6, 7]);
    expect(ring.newestWhile((n) => n > 0, 2)).toEqual([6, 7]);
    expect(ring.newestWhile((n) => n > 7, 10)).toEqual([]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
