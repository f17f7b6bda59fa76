import { type CallEvent, TRUTH_HEADER } from './contract.js';
import { MOBILE_PREFIXES } from './phone.js';
import { createRandom, deriveSeed, type Random } from './random.js';
import { toWireSeconds } from './time.js';

/**
 * A simulated telecom world: a population of callers over simulated time, seeded and deterministic, emitting
 * call events in event-time order with the truth (label and scenario) BESIDE each event, never inside it.
 *
 *   for (const { event, truth } of simulateWorld({ seed: 7, days: 2 })) ...
 *
 * Behaviours (parameters in WORLD_DEFAULTS and the constants below, justified in docs/model.md):
 * - ordinary subscribers: a few calls a day, mostly daytime, mostly to a small circle of contacts, talk
 *   averaging over 3 min; a few change to a fresh number each day (new SIMs: fresh numbers are not all scams);
 * - legitimate bulk callers (deliveries, banks' reminders, call centres): about one call a minute per line in
 *   office hours on working days, to many distinct subscribers, answered calls under a minute; new lines appear;
 * - Wangiri: bursts of one- or two-ring calls (<= 3 s) to spread-out numbers, mostly at night;
 * - robocall blasts: high-rate daytime bursts with similar durations (a recorded message);
 * - impersonation: a few long, targeted calls a day from a fresh number (the hard positives);
 * - number rotation: every campaign moves to a fresh number after a drawn number of calls.
 *
 * Time: `ts` is event time (float Unix seconds); `hour_of_day` is the local hour (UTC+8, the Philippines).
 * `num_digits` is 11 (every caller is a PH mobile) and `freq_calls` is the prototype's Poisson(2) noise, so
 * old consumers keep parsing while carrying no behaviour: behaviour is only in who calls whom, when, how long.
 */

export const SCENARIOS = ['ordinary', 'bulk', 'wangiri', 'robocall', 'impersonation'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** Scenarios that are scams (label 1). */
export const SCAM_SCENARIOS: readonly Scenario[] = ['wangiri', 'robocall', 'impersonation'];
/** Kafka header carrying the scenario name beside the truth label (never in the value). */
export const SCENARIO_HEADER = 'scenario';

export interface CallTruth {
  label: 0 | 1;
  scenario: Scenario;
  /** The campaign's id for scam calls, -1 for legitimate ones. */
  campaign: number;
  /** 1-based position of this call in its campaign (0 for legitimate calls). */
  campaignCall: number;
  /** 1-based position of this call in the life of the campaign's current number (0 for legitimate calls). */
  numberCall: number;
}

export interface WorldEvent extends CallEvent {
  callee: string;
}

export interface WorldCall {
  event: WorldEvent;
  truth: CallTruth;
}

export interface WorldOptions {
  seed: number;
  /** Simulated days. */
  days: number;
  /** Epoch ms of the first simulated day (rounded down to local midnight); default Monday 2026-01-05 (UTC+8). */
  startMs: number;
  subscribers: number;
  bulkLines: number;
  /** Fresh bulk lines that start calling each day. */
  newBulkLinesPerDay: number;
  /** Share of subscribers that move to a fresh number each day. */
  subscriberChurnPerDay: number;
  wangiriCampaignsPerDay: number;
  robocallCampaignsPerDay: number;
  impersonatorsPerDay: number;
}

export const WORLD_DEFAULTS: Omit<WorldOptions, 'seed'> = {
  days: 1,
  startMs: Date.UTC(2026, 0, 4, 16, 0, 0),
  subscribers: 20_000,
  bulkLines: 60,
  newBulkLinesPerDay: 3,
  subscriberChurnPerDay: 0.002,
  wangiriCampaignsPerDay: 16,
  robocallCampaignsPerDay: 16,
  impersonatorsPerDay: 40,
};

export const LOCAL_UTC_OFFSET_HOURS = 8;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Ordinary subscribers' calls by local hour (relative weights): quiet nights, busy daytime and evening. */
export const ORDINARY_HOUR_WEIGHTS = [
  0.4, 0.2, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 5, 6, 6.5, 6.5, 6.5, 6, 6, 6, 6.5, 7, 7.5, 7.5, 6.5, 5, 3, 1.5,
] as const;

/** Durations, in seconds. Ordinary: 15% unanswered (rings 10-30 s), 3% hang up at once (1-5 s), else talk. */
export const ORDINARY = {
  callsPerDayMedian: 3,
  callsPerDaySigma: 0.6,
  circle: [3, 12],
  toCircle: 0.85,
  unanswered: 0.15,
  quickHangup: 0.03,
  talkMedianSeconds: 110,
  talkSigma: 1,
} as const;
/** Bulk lines: ~60 calls/h in office hours (Mon-Fri 8-18, Sat 9-13 at half rate), answered calls ~30 s. */
export const BULK = {
  callsPerHourMedian: 60,
  callsPerHourSigma: 0.5,
  unanswered: 0.25,
  quickHangup: 0.05,
  talkMedianSeconds: 28,
  talkSigma: 0.45,
} as const;
export const WANGIRI = {
  nightShare: 0.6,
  calls: [150, 600],
  rotateAfter: [40, 120],
  gapMeanSeconds: 5,
  ringSeconds: [0.5, 3],
} as const;
export const ROBOCALL = {
  startHours: [8, 19],
  calls: [300, 1500],
  rotateAfter: [30, 200],
  gapMeanSeconds: 3,
  answered: 0.55,
  messageSeconds: 24,
  messageSd: 2,
} as const;
export const IMPERSONATION = {
  startHours: [9, 17],
  calls: [2, 8],
  targets: [1, 3],
  rotateAfter: [5, 12],
  gapMeanSeconds: 1200,
  unanswered: 0.2,
  talkMedianSeconds: 600,
  talkSigma: 0.6,
} as const;
const UNANSWERED_RING = [10, 30] as const;
const QUICK_HANGUP = [1, 5] as const;
const FREQ_LAMBDA = 2;

/** The local hour (0-23) of an epoch-ms instant. */
export function localHour(epochMs: number): number {
  return (((Math.floor(epochMs / HOUR_MS) + LOCAL_UTC_OFFSET_HOURS) % 24) + 24) % 24;
}

/**
 * Where the world's simulated clock starts, as a person says it: `now` (the wall clock), a local time of day
 * `HH:MM` (in the world's zone, UTC+8: the latest such instant at or before now, so events are never in the
 * future), or an ISO 8601 instant with its zone (`2026-01-05T03:00+08:00`). The hour the world starts at
 * decides how busy its first simulated hours are (ordinary subscribers sleep at night), so anything that must
 * behave the same at every hour of the day names its start.
 */
export type WorldStart =
  | { kind: 'now' }
  | { kind: 'local-time'; minutes: number }
  | { kind: 'instant'; epochMs: number };

/** Parses a world start (see WorldStart); throws an Error saying what is accepted. */
export function parseWorldStart(raw: string): WorldStart {
  const text = raw.trim();
  if (text === 'now') return { kind: 'now' };
  const time = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (time) return { kind: 'local-time', minutes: Number(time[1]) * 60 + Number(time[2]) };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const epochMs = Date.parse(text);
    if (Number.isFinite(epochMs)) return { kind: 'instant', epochMs };
  }
  throw new Error(
    'must be "now", a local time of day HH:MM (UTC+8, e.g. 03:00) or an ISO 8601 instant with its zone (e.g. 2026-01-05T03:00+08:00)',
  );
}

/** The epoch ms a world start means when the wall clock reads `nowMs`. */
export function worldStartMs(start: WorldStart, nowMs: number): number {
  if (start.kind === 'now') return nowMs;
  if (start.kind === 'instant') return start.epochMs;
  const today = localMidnight(nowMs) + start.minutes * 60_000;
  return today <= nowMs ? today : today - DAY_MS;
}

/** How a world start reads in logs: the simulated local date and time it means (UTC+8). */
export function describeWorldStart(epochMs: number): string {
  return `${new Date(epochMs + LOCAL_UTC_OFFSET_HOURS * HOUR_MS).toISOString().slice(0, 16).replace('T', ' ')} UTC+8`;
}

/** The epoch ms of the local (UTC+8) midnight that begins the day holding `epochMs`. */
function localMidnight(epochMs: number): number {
  const offsetMs = LOCAL_UTC_OFFSET_HOURS * HOUR_MS;
  return Math.floor((epochMs + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
}

/** Local day of the week, 0 = Sunday. */
function localWeekday(epochMs: number): number {
  return new Date(epochMs + LOCAL_UTC_OFFSET_HOURS * HOUR_MS).getUTCDay();
}

/** The world's numbers use the first twelve of the real mobile prefixes (the world's numbering is fixed by them). */
const PREFIXES = MOBILE_PREFIXES.slice(0, 12);
const SPREAD = 7_654_321; // odd and not a multiple of 5: a bijection on 0..9,999,999

/** The n-th distinct number of a world (a bijection, so numbers never collide). */
function numberOf(index: number, offset: number): string {
  const prefix = PREFIXES[index % PREFIXES.length] as string;
  const rest = (Math.floor(index / PREFIXES.length) * SPREAD + offset) % 10_000_000;
  return prefix + String(rest).padStart(7, '0');
}

interface Pending {
  ts: number;
  caller: string;
  callee: string;
  duration: number;
  truth: CallTruth;
}

const uniform = (r: Random, range: readonly [number, number]): number =>
  range[0] + r.next() * (range[1] - range[0]);
const uniformInt = (r: Random, range: readonly [number, number]): number => r.int(range[0], range[1]);
const exponential = (r: Random, mean: number): number => -mean * Math.log(1 - r.next());
function normal(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}
const logNormal = (r: Random, median: number, sigma: number): number => median * Math.exp(sigma * normal(r));
function poisson(r: Random, lambda: number): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(r)));
  const limit = Math.exp(-lambda);
  let count = 0;
  let product = r.next();
  while (product > limit) {
    count++;
    product *= r.next();
  }
  return count;
}
const tenths = (seconds: number): number => Math.round(seconds * 10) / 10;

function drawHour(r: Random, weights: readonly number[], total: number): number {
  let u = r.next() * total;
  for (let h = 0; h < weights.length; h++) {
    u -= weights[h] as number;
    if (u < 0) return h;
  }
  return weights.length - 1;
}

const LEGIT = (scenario: Scenario): CallTruth => ({
  label: 0,
  scenario,
  campaign: -1,
  campaignCall: 0,
  numberCall: 0,
});

/** Simulates the world and yields its calls in event-time order (ties in a fixed order), with their truth. */
export function* simulateWorld(options: Partial<WorldOptions> & { seed: number }): Generator<WorldCall> {
  const o: WorldOptions = { ...WORLD_DEFAULTS, ...options };
  // Days run from local midnight to local midnight.
  o.startMs = localMidnight(o.startMs);
  if (!Number.isInteger(o.days) || o.days < 1)
    throw new RangeError(`days must be a positive integer, got ${o.days}`);
  const r = createRandom(deriveSeed(o.seed, 'world'));
  const numberOffset = r.int(0, 9_999_999);
  let nextNumber = 0;
  const freshNumber = (): string => numberOf(nextNumber++, numberOffset);
  const hourTotal = ORDINARY_HOUR_WEIGHTS.reduce((a, b) => a + b, 0);

  const subscribers = Array.from({ length: o.subscribers }, () => freshNumber());
  const rates = subscribers.map(() => logNormal(r, ORDINARY.callsPerDayMedian, ORDINARY.callsPerDaySigma));
  const circles = subscribers.map(() => {
    const size = uniformInt(r, ORDINARY.circle);
    return Array.from({ length: size }, () => r.int(0, o.subscribers - 1));
  });
  const bulk: { number: string; rate: number }[] = [];
  const addBulk = (): void => {
    bulk.push({ number: freshNumber(), rate: logNormal(r, BULK.callsPerHourMedian, BULK.callsPerHourSigma) });
  };
  for (let i = 0; i < o.bulkLines; i++) addBulk();
  let campaign = 0;
  let carry: Pending[] = [];
  const endMs = o.startMs + o.days * DAY_MS;

  const randomSubscriber = (): string => subscribers[r.int(0, subscribers.length - 1)] as string;
  const spreadNumber = (): string => numberOf(r.int(0, 99_999_999), numberOffset);

  /** One campaign's calls: `calls` in total, a fresh number every `rotate` draw, gaps and durations given. */
  const campaignCalls = (
    out: Pending[],
    scenario: Scenario,
    startMs: number,
    calls: number,
    rotateAfter: readonly [number, number],
    gap: () => number,
    duration: () => number,
    callee: (i: number) => string,
  ): void => {
    const id = campaign++;
    let ts = startMs;
    let number = freshNumber();
    let rotateAt = uniformInt(r, rotateAfter);
    let onNumber = 0;
    for (let i = 0; i < calls; i++) {
      if (onNumber === rotateAt) {
        number = freshNumber();
        rotateAt = uniformInt(r, rotateAfter);
        onNumber = 0;
      }
      onNumber++;
      out.push({
        ts,
        caller: number,
        callee: callee(i),
        duration: duration(),
        truth: { label: 1, scenario, campaign: id, campaignCall: i + 1, numberCall: onNumber },
      });
      ts += gap() * 1000;
    }
  };

  for (let day = 0; day < o.days; day++) {
    const dayStart = o.startMs + day * DAY_MS;
    const dayEnd = dayStart + DAY_MS;
    const weekday = localWeekday(dayStart + 12 * HOUR_MS);
    const out: Pending[] = [];

    // Churn: some subscribers get a fresh number (their circle still knows the old one, as in life).
    for (let i = 0; i < subscribers.length; i++) {
      if (r.next() < o.subscriberChurnPerDay) subscribers[i] = freshNumber();
    }
    for (let i = 0; i < o.newBulkLinesPerDay; i++) addBulk();

    for (let s = 0; s < subscribers.length; s++) {
      const n = poisson(r, rates[s] as number);
      const caller = subscribers[s] as string;
      const circle = circles[s] as number[];
      for (let c = 0; c < n; c++) {
        const hour = drawHour(r, ORDINARY_HOUR_WEIGHTS, hourTotal);
        const ts = dayStart + hour * HOUR_MS + r.next() * HOUR_MS;
        let callee =
          r.next() < ORDINARY.toCircle
            ? (subscribers[circle[r.int(0, circle.length - 1)] as number] as string)
            : randomSubscriber();
        // Nobody calls their own number (the processor dead-letters such a call): draw again.
        for (let retry = 0; callee === caller && retry < 100; retry++) callee = randomSubscriber();
        const u = r.next();
        const duration =
          u < ORDINARY.unanswered
            ? uniform(r, UNANSWERED_RING)
            : u < ORDINARY.unanswered + ORDINARY.quickHangup
              ? uniform(r, QUICK_HANGUP)
              : logNormal(r, ORDINARY.talkMedianSeconds, ORDINARY.talkSigma);
        out.push({ ts, caller, callee, duration, truth: LEGIT('ordinary') });
      }
    }

    // Bulk lines: office hours on working days, Saturday mornings at half rate.
    const office: [number, number, number] | null =
      weekday >= 1 && weekday <= 5 ? [8, 18, 1] : weekday === 6 ? [9, 13, 0.5] : null;
    if (office) {
      const open = dayStart + office[0] * HOUR_MS;
      const close = open + (office[1] - office[0]) * HOUR_MS;
      for (const line of bulk) {
        const meanGapMs = HOUR_MS / (line.rate * office[2]);
        for (let ts = open + exponential(r, meanGapMs); ts < close; ts += exponential(r, meanGapMs)) {
          const u = r.next();
          const duration =
            u < BULK.unanswered
              ? uniform(r, UNANSWERED_RING)
              : u < BULK.unanswered + BULK.quickHangup
                ? uniform(r, QUICK_HANGUP)
                : logNormal(r, BULK.talkMedianSeconds, BULK.talkSigma);
          out.push({ ts, caller: line.number, callee: randomSubscriber(), duration, truth: LEGIT('bulk') });
        }
      }
    }

    for (let i = 0; i < o.wangiriCampaignsPerDay; i++) {
      const night = r.next() < WANGIRI.nightShare;
      const hour = night ? (22 + r.int(0, 7)) % 24 : r.int(0, 23);
      const start = dayStart + hour * HOUR_MS + r.next() * HOUR_MS;
      campaignCalls(
        out,
        'wangiri',
        start,
        uniformInt(r, WANGIRI.calls),
        WANGIRI.rotateAfter,
        () => exponential(r, WANGIRI.gapMeanSeconds),
        () => uniform(r, WANGIRI.ringSeconds),
        spreadNumber,
      );
    }
    for (let i = 0; i < o.robocallCampaignsPerDay; i++) {
      const hour = uniformInt(r, ROBOCALL.startHours);
      const start = dayStart + hour * HOUR_MS + r.next() * HOUR_MS;
      campaignCalls(
        out,
        'robocall',
        start,
        uniformInt(r, ROBOCALL.calls),
        ROBOCALL.rotateAfter,
        () => exponential(r, ROBOCALL.gapMeanSeconds),
        () =>
          r.next() < ROBOCALL.answered
            ? Math.max(1, ROBOCALL.messageSeconds + ROBOCALL.messageSd * normal(r))
            : uniform(r, UNANSWERED_RING),
        randomSubscriber,
      );
    }
    for (let i = 0; i < o.impersonatorsPerDay; i++) {
      const hour = uniformInt(r, IMPERSONATION.startHours);
      const start = dayStart + hour * HOUR_MS + r.next() * HOUR_MS;
      const targets = Array.from({ length: uniformInt(r, IMPERSONATION.targets) }, randomSubscriber);
      campaignCalls(
        out,
        'impersonation',
        start,
        uniformInt(r, IMPERSONATION.calls),
        IMPERSONATION.rotateAfter,
        () => exponential(r, IMPERSONATION.gapMeanSeconds),
        () =>
          r.next() < IMPERSONATION.unanswered
            ? uniform(r, UNANSWERED_RING)
            : logNormal(r, IMPERSONATION.talkMedianSeconds, IMPERSONATION.talkSigma),
        (c) => targets[c % targets.length] as string,
      );
    }

    // Emit this day's calls in event-time order; campaigns running past midnight carry over.
    const all = carry.length > 0 ? carry.concat(out) : out;
    const now: Pending[] = [];
    carry = [];
    for (const call of all) (call.ts < dayEnd ? now : call.ts < endMs ? carry : null)?.push(call);
    now.sort((a, b) => a.ts - b.ts);
    for (const call of now) {
      const ts = Math.round(call.ts);
      yield {
        event: {
          call_duration: tenths(call.duration),
          num_digits: 11,
          hour_of_day: localHour(ts),
          freq_calls: poisson(r, FREQ_LAMBDA),
          caller: call.caller,
          ts: toWireSeconds(ts),
          callee: call.callee,
        },
        truth: call.truth,
      };
    }
  }
}

/** The Kafka headers that carry a call's truth beside it: the label and the scenario name. */
export function truthHeaders(truth: CallTruth): Record<string, string> {
  return { [TRUTH_HEADER]: String(truth.label), [SCENARIO_HEADER]: truth.scenario };
}
