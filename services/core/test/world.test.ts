import { describe, expect, it } from 'vitest';
import { parseCallEvent } from '../src/contract.js';
import {
  BULK,
  describeWorldStart,
  IMPERSONATION,
  localHour,
  parseWorldStart,
  ROBOCALL,
  SCAM_SCENARIOS,
  type Scenario,
  simulateWorld,
  truthHeaders,
  WANGIRI,
  type WorldCall,
  worldStartMs,
} from '../src/world.js';

const small = { subscribers: 4000, bulkLines: 20, wangiriCampaignsPerDay: 10, robocallCampaignsPerDay: 8 };

describe('the simulated telecom world', () => {
  const calls = [...simulateWorld({ seed: 42, days: 2, ...small })];
  const of = (scenario: Scenario): WorldCall[] => calls.filter((c) => c.truth.scenario === scenario);
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  it('gives the same calls and truths for the same seed, and other calls for another seed', () => {
    const again = [...simulateWorld({ seed: 42, days: 2, ...small })];
    expect(again).toEqual(calls);
    const other = simulateWorld({ seed: 43, days: 2, ...small }).next().value as WorldCall;
    expect(other).not.toEqual(calls[0]);
  });

  it('emits events in event-time order that the contract validator accepts, with the truth beside them', () => {
    for (let i = 1; i < calls.length; i++) {
      expect((calls[i] as WorldCall).event.ts).toBeGreaterThanOrEqual((calls[i - 1] as WorldCall).event.ts);
    }
    for (const call of calls.slice(0, 2000)) {
      const parsed = parseCallEvent(Buffer.from(JSON.stringify(call.event)));
      expect(parsed.ok).toBe(true);
      expect(Object.keys(call.event).sort()).toEqual(
        ['call_duration', 'callee', 'caller', 'freq_calls', 'hour_of_day', 'num_digits', 'ts'].sort(),
      );
      expect(call.event.hour_of_day).toBe(localHour(call.event.ts * 1000));
    }
    expect(truthHeaders(calls[0]?.truth as WorldCall['truth'])).toEqual({
      truth_label: '0',
      scenario: 'ordinary',
    });
  });

  it('labels exactly the scam scenarios as scams', () => {
    for (const call of calls) {
      expect(call.truth.label).toBe(SCAM_SCENARIOS.includes(call.truth.scenario) ? 1 : 0);
    }
    for (const scenario of ['ordinary', 'bulk', 'wangiri', 'robocall', 'impersonation'] as const) {
      expect(of(scenario).length).toBeGreaterThan(0);
    }
  });

  it('gives ordinary subscribers a few calls a day, mostly daytime, to a small circle, talk averaging over 3 min', () => {
    const ordinary = of('ordinary');
    const callers = new Map<string, Set<string>>();
    for (const c of ordinary)
      callers.set(c.event.caller, (callers.get(c.event.caller) ?? new Set()).add(c.event.callee));
    const perDay = ordinary.length / callers.size / 2;
    expect(perDay).toBeGreaterThan(1.5);
    expect(perDay).toBeLessThan(6);
    const night = ordinary.filter((c) => c.event.hour_of_day >= 22 || c.event.hour_of_day < 6).length;
    expect(night / ordinary.length).toBeLessThan(0.1);
    expect(mean([...callers.values()].map((s) => s.size))).toBeLessThan(8);
    // Conversations (beyond the longest unanswered ring) average at least 3 minutes.
    expect(mean(ordinary.map((c) => c.event.call_duration).filter((d) => d > 30))).toBeGreaterThan(180);
  });

  it('gives bulk lines dialer traffic: in office hours, many distinct callees, mean under a minute, >= 90% under 60 s', () => {
    const bulk = of('bulk');
    const durations = bulk.map((c) => c.event.call_duration);
    expect(mean(durations)).toBeLessThan(60);
    expect(durations.filter((d) => d < 60).length / durations.length).toBeGreaterThanOrEqual(0.9);
    expect(bulk.every((c) => c.event.hour_of_day >= 8 && c.event.hour_of_day < 18)).toBe(true);
    const lines = new Map<string, Set<string>>();
    for (const c of bulk)
      lines.set(c.event.caller, (lines.get(c.event.caller) ?? new Set()).add(c.event.callee));
    expect(mean([...lines.values()].map((s) => s.size))).toBeGreaterThan(BULK.callsPerHourMedian * 5);
  });

  it('makes Wangiri one- or two-ring calls (<= 3 s) to spread-out numbers, mostly at night', () => {
    const wangiri = of('wangiri');
    expect(wangiri.every((c) => c.event.call_duration <= WANGIRI.ringSeconds[1])).toBe(true);
    expect(new Set(wangiri.map((c) => c.event.callee)).size).toBeGreaterThan(wangiri.length * 0.99);
    const night = wangiri.filter((c) => c.event.hour_of_day >= 22 || c.event.hour_of_day < 6).length;
    expect(night / wangiri.length).toBeGreaterThan(0.45);
  });

  it('makes robocall blasts high-rate bursts whose answered calls last about the same', () => {
    const robocall = of('robocall');
    const answered = robocall.map((c) => c.event.call_duration).filter((d) => d >= 10 && d <= 30);
    const m = mean(answered);
    expect(Math.sqrt(mean(answered.map((d) => (d - m) ** 2)))).toBeLessThan(ROBOCALL.messageSd * 3);
    const first = robocall.filter((c) => c.truth.campaign === robocall[0]?.truth.campaign);
    const minutes = ((first.at(-1)?.event.ts ?? 0) - (first[0]?.event.ts ?? 0)) / 60;
    expect(first.length / minutes).toBeGreaterThan(10);
  });

  it('makes impersonation a few long, targeted calls', () => {
    const scams = of('impersonation');
    expect(mean(scams.map((c) => c.event.call_duration))).toBeGreaterThan(300);
    const campaigns = new Map<number, Set<string>>();
    for (const c of scams)
      campaigns.set(c.truth.campaign, (campaigns.get(c.truth.campaign) ?? new Set()).add(c.event.callee));
    expect(Math.max(...[...campaigns.values()].map((s) => s.size))).toBeLessThanOrEqual(
      IMPERSONATION.targets[1],
    );
  });

  it('rotates every campaign to a fresh number after a drawn number of calls, never reusing one', () => {
    const owner = new Map<string, number>();
    const firstSeen = new Map<string, number>();
    calls.forEach((c, i) => {
      if (!firstSeen.has(c.event.caller)) firstSeen.set(c.event.caller, i);
    });
    let rotated = 0;
    for (const c of calls.filter((x) => x.truth.label === 1)) {
      const previous = owner.get(c.event.caller);
      if (previous !== undefined) expect(previous).toBe(c.truth.campaign);
      owner.set(c.event.caller, c.truth.campaign);
      if (c.truth.numberCall === 1) {
        // A number's first scam call is its first call in the world: numbers are fresh.
        expect(calls[firstSeen.get(c.event.caller) as number]).toBe(c);
        if (c.truth.campaignCall > 1) rotated++;
      }
      if (c.truth.scenario === 'wangiri')
        expect(c.truth.numberCall).toBeLessThanOrEqual(WANGIRI.rotateAfter[1]);
    }
    expect(rotated).toBeGreaterThan(10);
  });
});

describe('where the world starts (PRODUCER_WORLD_START, --start)', () => {
  // Monday 2026-01-05 19:17 UTC = Tuesday 03:17 in Manila: the hour a CI run once found a trickle at.
  const now = Date.UTC(2026, 0, 5, 19, 17);

  it('"now" is the wall clock; an ISO instant is that instant', () => {
    expect(worldStartMs(parseWorldStart('now'), now)).toBe(now);
    expect(worldStartMs(parseWorldStart('2026-01-05T03:00+08:00'), now)).toBe(Date.UTC(2026, 0, 4, 19));
    expect(worldStartMs(parseWorldStart('2026-01-05T03:00:30.5Z'), now)).toBe(
      Date.UTC(2026, 0, 5, 3, 0, 30, 500),
    );
  });

  it('a local time of day is its latest instant in Manila at or before now, so no event is in the future', () => {
    const night = worldStartMs(parseWorldStart('03:00'), now);
    expect(night).toBe(Date.UTC(2026, 0, 5, 19, 0));
    expect(localHour(night)).toBe(3);
    // 09:00 has not come yet today in Manila: yesterday's.
    const morning = worldStartMs(parseWorldStart('09:00'), now);
    expect(morning).toBe(Date.UTC(2026, 0, 5, 1, 0));
    expect(morning).toBeLessThanOrEqual(now);
    expect(describeWorldStart(morning)).toBe('2026-01-05 09:00 UTC+8');
    expect(worldStartMs(parseWorldStart('03:17'), now)).toBe(now);
  });

  it('refuses anything else, saying what it accepts', () => {
    for (const bad of [
      '',
      'tonight',
      '3:00',
      '24:00',
      '09:60',
      '2026-01-05T03:00',
      '2026-13-05T03:00Z',
      'later',
    ])
      expect(() => parseWorldStart(bad), bad).toThrow(
        /must be "now", a local time of day HH:MM \(UTC\+8, e\.g\. 03:00\) or an ISO 8601 instant with its zone/,
      );
  });

  it('starts the simulated stream at that hour: at 03:00 the first hour is quiet, at 09:00 busy', () => {
    const firstHour = (start: string): number => {
      const startMs = worldStartMs(parseWorldStart(start), now);
      let count = 0;
      for (const { event } of simulateWorld({ seed: 5, days: 1, startMs, ...small })) {
        if (event.ts * 1000 < startMs) continue;
        if (event.ts * 1000 >= startMs + 3_600_000) break;
        count++;
      }
      return count;
    };
    const night = firstHour('03:00');
    const morning = firstHour('09:00');
    expect(night).toBeGreaterThan(0);
    expect(morning).toBeGreaterThan(10 * night);
  });
});
