import { parseCallEvent, TRUTH_HEADER } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { createEventSource } from '../src/profiles.js';

const take = (n: number, options: Parameters<typeof createEventSource>[0]) => {
  const next = createEventSource(options);
  return Array.from({ length: n }, (_, i) => next(1_700_000_000_000 + i));
};

describe('event profiles', () => {
  it('default: valid events keyed by a repeating caller, with the true label in a header only', () => {
    const records = take(2000, { profile: 'default', seed: 5, callers: 50, topic: 'raw' });
    const callers = new Set<string>();
    for (const record of records) {
      const parsed = parseCallEvent(Buffer.from(record.value as string));
      if (!parsed.ok) throw new Error(parsed.detail);
      expect(record.key).toBe(parsed.event.caller);
      expect(['0', '1']).toContain(record.headers?.[TRUTH_HEADER]);
      expect(Object.keys(parsed.event).sort()).toEqual(
        ['call_duration', 'caller', 'freq_calls', 'hour_of_day', 'num_digits', 'ts'].sort(),
      );
      callers.add(parsed.event.caller);
    }
    expect(callers.size).toBeLessThanOrEqual(50);
    expect(callers.size).toBeGreaterThan(40);
    const scams = records.filter((r) => r.headers?.[TRUTH_HEADER] === '1').length;
    expect(scams / records.length).toBeGreaterThan(0.15);
    expect(scams / records.length).toBeLessThan(0.6);
  });

  it('prototype: always 11 digits, a new caller every event, no truth', () => {
    const records = take(1000, { profile: 'prototype', seed: 5, callers: 50, topic: 'raw' });
    const callers = new Set(records.map((r) => r.key));
    expect(callers.size).toBeGreaterThan(995);
    for (const record of records) {
      expect(JSON.parse(record.value as string).num_digits).toBe(11);
      expect(record.headers).toBeUndefined();
    }
  });

  it('is reproducible from its seed and differs between seeds', () => {
    const options = { profile: 'default', seed: 9, callers: 100, topic: 'raw' } as const;
    expect(take(50, options)).toEqual(take(50, options));
    expect(take(50, options)).not.toEqual(take(50, { ...options, seed: 10 }));
  });
});
