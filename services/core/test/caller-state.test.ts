import { describe, expect, it } from 'vitest';
import {
  BEHAVIOUR_FEATURES,
  CallerStates,
  type CallInput,
  EXACT_CALLEES,
  featureRecord,
  IDLE_FORGET_MS,
  LATENESS_MS,
  NO_PREVIOUS_SECONDS,
  STATE_BYTES,
} from '../src/caller-state.js';
import { callEvent } from '../src/contract.js';
import { generateCalls } from '../src/generator.js';
import { createRandom } from '../src/random.js';
import { simulateWorld } from '../src/world.js';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0); // on a whole hour
const call = (ms: number, extra: Partial<CallInput> = {}): CallInput => ({
  ts: ms / 1000,
  call_duration: 60,
  hour_of_day: 10,
  num_digits: 11,
  freq_calls: 1,
  callee: '09170000001',
  ...extra,
});
const callee = (i: number): string => `0917${String(i).padStart(7, '0')}`;
const features = (states: CallerStates, caller: string, input: CallInput, offset?: number) =>
  featureRecord(states.update(caller, input, offset).features);

describe('per-caller behavioural features', () => {
  it('counts calls in the last minute, hour and day from event time', () => {
    const states = new CallerStates();
    features(states, 'a', call(T0));
    features(states, 'a', call(T0 + 10_000));
    const f = features(states, 'a', call(T0 + 20_000));
    expect(f).toMatchObject({
      calls_1m: 3,
      calls_1h: 3,
      calls_24h: 3,
      seconds_since_previous: 10,
      number_age_seconds: 20,
    });
    // 90 s later: the first minute's bucket is the previous one, weighted by the 50% of it still in the window.
    expect(features(states, 'a', call(T0 + 90_000)).calls_1m).toBeCloseTo(1 + 3 * 0.5, 9);
    const hourLater = features(states, 'a', call(T0 + 60 * 60_000));
    // The current minute and the 59 before it: the call 90 s in is still inside, the first three are not.
    expect(hourLater).toMatchObject({ calls_1m: 1, calls_1h: 2, calls_24h: 5 });
    const dayLater = features(states, 'a', call(T0 + 24 * 3_600_000));
    // The current hour and the 23 before it: only the call an hour in is still inside.
    expect(dayLater).toMatchObject({ calls_1h: 1, calls_24h: 2, number_age_seconds: 86_400 });
  });

  it('gives a first call NO_PREVIOUS_SECONDS since the previous, and shares and the mean over the day', () => {
    const states = new CallerStates();
    expect(features(states, 'b', call(T0, { call_duration: 2, hour_of_day: 23 }))).toMatchObject({
      seconds_since_previous: NO_PREVIOUS_SECONDS,
      number_age_seconds: 0,
      short_share_24h: 1,
      night_share_24h: 1,
      mean_duration_24h: 2,
      call_duration: 2,
      hour_of_day: 23,
    });
    const f = features(states, 'b', call(T0, { call_duration: 100, hour_of_day: 12 }));
    expect(f.short_share_24h).toBeCloseTo(0.5, 12);
    expect(f.night_share_24h).toBeCloseTo(0.5, 12);
    expect(f.mean_duration_24h).toBeCloseTo(51, 12);
    // A day later the old calls weigh e^-1 as much as a new one.
    const later = features(states, 'b', call(T0 + 86_400_000, { call_duration: 2, hour_of_day: 12 }));
    const w = Math.exp(-1);
    expect(later.short_share_24h).toBeCloseTo((1 + w) / (1 + 2 * w), 12);
  });

  it('counts distinct callees exactly while few, then with the sketch within its stated error', () => {
    const states = new CallerStates();
    for (let i = 0; i < 30; i++)
      features(states, 'c', call(T0 + i * 1000, { callee: callee(i % EXACT_CALLEES) }));
    expect(features(states, 'c', call(T0 + 31_000, { callee: callee(0) }))).toMatchObject({
      distinct_callees_1h: EXACT_CALLEES,
      distinct_callees_24h: EXACT_CALLEES,
    });
    // Callees rung more than an hour ago leave the hour's count but not the day's.
    const later = features(states, 'c', call(T0 + 2 * 3_600_000, { callee: callee(3) }));
    expect(later).toMatchObject({ distinct_callees_1h: 1, distinct_callees_24h: EXACT_CALLEES });

    // Beyond the exact set: the HyperLogLog's 13% standard error, over 40 callers of 500 distinct callees.
    const errors: number[] = [];
    const random = createRandom(5);
    for (let c = 0; c < 40; c++) {
      let last = 0;
      for (let i = 0; i < 500; i++) {
        last = states.update(`s${c}`, call(T0 + i * 1000, { callee: callee(random.int(0, 9_999_999)) }))
          .features[3] as number;
      }
      errors.push(last / 500 - 1);
    }
    const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
    expect(rms).toBeLessThan(0.2);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThan(0.5);
  });

  it('counts an event up to the lateness in its own bucket, exactly as in order', () => {
    const times = [0, 10_000, 50_000, 70_000, 65_000, 130_000, 80_000, 3_600_000, 3_590_000];
    const inOrder = new CallerStates();
    const shuffled = new CallerStates();
    const sorted = [...times].sort((a, b) => a - b);
    for (const [i, t] of sorted.entries()) inOrder.update('d', call(T0 + t, { callee: callee(i) }));
    for (const t of times) shuffled.update('d', call(T0 + t, { callee: callee(sorted.indexOf(t)) }));
    expect(shuffled.lateEvents).toBe(0);
    const probe = call(T0 + 3_600_001, { callee: callee(0) });
    const a = featureRecord(inOrder.update('d', probe).features);
    const b = featureRecord(shuffled.update('d', probe).features);
    for (const name of [
      'calls_1m',
      'calls_1h',
      'calls_24h',
      'distinct_callees_1h',
      'distinct_callees_24h',
    ] as const) {
      expect(b[name]).toBe(a[name]);
    }
    expect(b.mean_duration_24h).toBeCloseTo(a.mean_duration_24h, 9);
  });

  it('counts an event later than the lateness into the current bucket and as late', () => {
    const states = new CallerStates();
    states.update('e', call(T0 + 5 * 60_000));
    const result = states.update('e', call(T0 + 5 * 60_000 - LATENESS_MS - 1));
    expect(result.late).toBe(true);
    expect(states.lateEvents).toBe(1);
    // Counted in the current minute, not in the minute it claims.
    expect(featureRecord(result.features)).toMatchObject({
      calls_1m: 2,
      calls_1h: 2,
      seconds_since_previous: 0,
    });
    const inTime = states.update('e', call(T0 + 5 * 60_000 - LATENESS_MS));
    expect(inTime.late).toBe(false);
    expect(states.lateEvents).toBe(1);
  });

  it('recognises a redelivered offset and leaves the state as it was', () => {
    const states = new CallerStates();
    expect(states.update('f', call(T0), 0).applied).toBe(true);
    expect(states.update('f', call(T0 + 1000), 1).applied).toBe(true);
    const before = states.read('f');
    const again = states.update('f', call(T0 + 1000), 1);
    expect(again.applied).toBe(false);
    expect(featureRecord(again.features).calls_1m).toBe(2);
    expect(states.read('f')).toEqual(before);
    expect(states.lastOffset('f')).toBe(1);
    expect(states.redeliveries).toBe(1);
  });

  it('serialises a caller (with or without its sketch) and carries on identically from the copy', () => {
    const original = new CallerStates();
    for (let i = 0; i < 40; i++) original.update('g', call(T0 + i * 5000, { callee: callee(i) }), i);
    original.update('h', call(T0), 0);
    const copy = new CallerStates(1);
    for (const caller of ['g', 'h']) copy.write(caller, original.read(caller) as Uint8Array);
    expect((original.read('h') as Uint8Array).length).toBe(STATE_BYTES);
    expect(STATE_BYTES).toBeLessThanOrEqual(512);
    for (const caller of ['g', 'h']) {
      const next = call(T0 + 300_000, { callee: callee(99) });
      expect(copy.update(caller, next, 50).features).toEqual(original.update(caller, next, 50).features);
    }
    expect(copy.lastOffset('g')).toBe(50);
    expect(() => copy.write('x', new Uint8Array(3))).toThrow(/bytes/);
  });

  it('handles old-contract events (no callee, freq_calls given): every call counter, no distinct callees', () => {
    const states = new CallerStates();
    const rows = generateCalls(20, 3);
    let last: Record<string, number> = {};
    rows.forEach((row, i) => {
      const event = callEvent(row, '09171234567', T0 + i * 1000);
      expect('callee' in event).toBe(false);
      last = featureRecord(states.update(event.caller, event).features);
    });
    const final = rows[rows.length - 1] as (typeof rows)[number];
    expect(last).toMatchObject({
      calls_1m: 20,
      calls_1h: 20,
      distinct_callees_1h: 0,
      distinct_callees_24h: 0,
      freq_calls: final.freq_calls,
      num_digits: final.num_digits,
      call_duration: final.call_duration,
    });
  });

  it('gives the same features for the same stream, whatever the store held for other callers', () => {
    const run = (noise: boolean): number[][] => {
      const states = new CallerStates(4);
      if (noise) for (let i = 0; i < 100; i++) states.update(`x${i}`, call(T0 + i));
      const out: number[][] = [];
      for (const { event } of simulateWorld({
        seed: 9,
        subscribers: 300,
        bulkLines: 3,
        wangiriCampaignsPerDay: 2,
      })) {
        if (event.caller.endsWith('7')) out.push([...states.update(event.caller, event).features]);
      }
      return out;
    };
    const a = run(false);
    expect(a.length).toBeGreaterThan(100);
    expect(run(true)).toEqual(a);
    expect(a[0]?.length).toBe(BEHAVIOUR_FEATURES.length);
  });

  it('forgets a caller idle past IDLE_FORGET_MS: its next call is a first call, with or without eviction', () => {
    const kept = new CallerStates();
    const evicted = new CallerStates();
    for (const states of [kept, evicted]) {
      for (let i = 0; i < 20; i++) states.update('i', call(T0 + i * 1000, { callee: callee(i) }), i);
    }
    const later = T0 + 19_000 + IDLE_FORGET_MS + 1;
    expect(evicted.idleCallers(later)).toEqual(['i']);
    expect(evicted.idleCallers(later - 2)).toEqual([]);
    expect(evicted.delete('i')).toBe(true);
    const fresh = new CallerStates().update('i', call(later), 20).features;
    expect(featureRecord(kept.update('i', call(later), 20).features)).toMatchObject({
      calls_24h: 1,
      distinct_callees_24h: 1,
      seconds_since_previous: NO_PREVIOUS_SECONDS,
      number_age_seconds: 0,
    });
    evicted.update('i', call(later), 20);
    // Kept or evicted, the state after the call is the same bytes (but for nothing: the offset is kept too).
    expect(kept.read('i')).toEqual(evicted.read('i'));
    expect(kept.update('i', call(later + 5000), 21).features).toEqual(
      evicted.update('i', call(later + 5000), 21).features,
    );
    expect(fresh.length).toBe(BEHAVIOUR_FEATURES.length);
  });

  it('deletes callers by moving the last slot into the gap: the others keep their states', () => {
    const states = new CallerStates(2);
    const names = ['j0', 'j1', 'j2', 'j3', 'j4'];
    names.forEach((name, n) => {
      // j1 outgrows the exact callee set: it holds a sketch, freed with it and reused.
      const calls = name === 'j1' ? EXACT_CALLEES + 3 : n + 1;
      for (let i = 0; i < calls; i++) states.update(name, call(T0 + i * 1000, { callee: callee(i) }), i);
    });
    const before = new Map(names.map((name) => [name, states.read(name)]));
    const bytes = states.slabBytes;
    expect(states.delete('j1')).toBe(true);
    expect(states.delete('j1')).toBe(false);
    expect(states.size).toBe(4);
    expect(states.slabBytes).toBeLessThan(bytes);
    expect([...states.callers()].sort()).toEqual(['j0', 'j2', 'j3', 'j4']);
    for (const name of ['j0', 'j2', 'j3', 'j4']) expect(states.read(name)).toEqual(before.get(name));
    states.write('j1', before.get('j1') as Uint8Array);
    expect(states.read('j1')).toEqual(before.get('j1'));
    expect(states.slabBytes).toBe(bytes);
  });

  it('flags a caller once on its first flagged call and clears it after clean calls in a row', () => {
    const states = new CallerStates();
    const judge = (flagged: boolean, i: number) => {
      states.update('k', call(T0 + i * 1000), i);
      return states.judge('k', flagged, T0 + i * 1000, 3);
    };
    expect(judge(false, 0)).toBeUndefined();
    expect(judge(true, 1)).toEqual({ verdict: 'flagged', firstFlaggedMs: T0 + 1000, callsSinceFlagged: 1 });
    expect(judge(true, 2)).toBeUndefined();
    expect(judge(false, 3)).toBeUndefined();
    expect(judge(false, 4)).toBeUndefined();
    expect(judge(true, 5)).toBeUndefined(); // the clean run starts again
    expect(states.flaggedSince('k')).toBe(T0 + 1000);
    expect(judge(false, 6)).toBeUndefined();
    expect(judge(false, 7)).toBeUndefined();
    // The verdict travels with the state (a restored caller keeps it).
    const copy = new CallerStates();
    copy.write('k', states.read('k') as Uint8Array);
    expect(copy.judge('k', false, T0 + 8000, 3)).toEqual({
      verdict: 'cleared',
      firstFlaggedMs: T0 + 1000,
      callsSinceFlagged: 8,
    });
    expect(copy.flaggedSince('k')).toBeUndefined();
  });
});
