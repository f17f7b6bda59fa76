import { fromWireSeconds } from './time.js';

/**
 * Per-caller behavioural features: ONE pure module that every consumer calls (trainer, processor, embedded
 * mode, tests), so the features a model was trained on are the features it is served.
 *
 * Usage:
 *   const states = new CallerStates();
 *   const result = states.update(event.caller, event, offset); // result.features: Float64Array (BEHAVIOUR_FEATURES order)
 *   states.read(caller) / states.write(caller, bytes)         // one caller's state as bytes (durable stores)
 *
 * Time is the event's `ts` (float Unix seconds, the wire's), never the wall clock. Each caller has a
 * watermark: the latest event time it has applied. An event up to LATENESS_MS behind the watermark is counted
 * in its own minute/hour bucket, exactly as if it had arrived in order; an event later than that is counted at
 * the watermark (the current bucket) and counted in `lateEvents`. The features describe the caller at
 * max(ts, watermark), this call included.
 *
 * Windows (all counts include the call being applied):
 * - calls_1m: the current one-minute bucket plus the previous one weighted by the part of it still inside the
 *   last 60 s (the usual two-bucket sliding-window estimate; exact when calls are spread evenly);
 * - calls_1h: the last 60 one-minute buckets (the current minute and 59 before it);
 * - calls_24h: the last 24 one-hour buckets (the current hour and 23 before it);
 * - distinct_callees_1h / _24h: exact while the caller has rung at most EXACT_CALLEES distinct callees in the
 *   last 24 h (hashes with last-seen times, a true sliding window); beyond that a HyperLogLog of
 *   HLL_REGISTERS registers per window, two generations (current and previous hour, or day), the previous one
 *   weighted like calls_1m; the sketch's relative standard error is 1.04/sqrt(64) = 13%;
 * - short_share_24h, night_share_24h, mean_duration_24h: exponentially decayed with a time constant of 24 h
 *   (a call's weight is exp(-age/24h)); short is call_duration <= SHORT_CALL_SECONDS, night is the event's
 *   hour_of_day in 22..23 or 0..5;
 * - seconds_since_previous: from the watermark before this call to this call (0 for a late call);
 *   NO_PREVIOUS_SECONDS for a number's first call;
 * - number_age_seconds: since the first call this state saw from the number.
 *
 * Old-contract events (no `callee`): they count in every call counter and share but in no distinct-callee
 * count (no callee is known), so distinct_callees stays 0 for a caller that never sends one; their
 * `freq_calls` is kept as the call's own field, as before.
 *
 * The state is a fixed-size record of STATE_BYTES bytes (plus SKETCH_BYTES for a caller that outgrows the exact
 * callee set), held in one slab; `read`/`write` copy it out and in. It carries the last input offset applied,
 * so a redelivered event (offset <= the last applied) is recognised and not counted twice.
 */

/** Names of the features `update` returns, in order. The first 10 are the caller's, the last 4 the call's own. */
export const BEHAVIOUR_FEATURES = [
  'calls_1m',
  'calls_1h',
  'calls_24h',
  'distinct_callees_1h',
  'distinct_callees_24h',
  'short_share_24h',
  'night_share_24h',
  'mean_duration_24h',
  'seconds_since_previous',
  'number_age_seconds',
  'call_duration',
  'hour_of_day',
  'num_digits',
  'freq_calls',
] as const;
export type BehaviourFeature = (typeof BEHAVIOUR_FEATURES)[number];
/** Bumped whenever a feature's definition changes: a model records it and a server refuses another. */
export const BEHAVIOUR_FEATURES_VERSION = 1;

export const LATENESS_MS = 60_000;
export const SHORT_CALL_SECONDS = 5;
export const EXACT_CALLEES = 8;
export const HLL_REGISTERS = 64;
export const NO_PREVIOUS_SECONDS = 7 * 86_400;
/**
 * A caller silent for longer than this (event time) is forgotten: its next call starts a fresh state, exactly as
 * if it had never called. It is the longest horizon any feature looks at (seconds_since_previous is capped at
 * 7 days) plus a day of margin, so forgetting changes nothing but number_age_seconds, and a store may evict such
 * a caller at any time without changing a single feature (evictIdle).
 */
export const IDLE_FORGET_MS = NO_PREVIOUS_SECONDS * 1000 + 86_400_000;
const DECAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** What the feature module reads of an event (the wire's fields; `callee` is optional). */
export interface CallInput {
  /** Float Unix seconds. */
  ts: number;
  call_duration: number;
  hour_of_day: number;
  num_digits: number;
  freq_calls: number;
  callee?: string | undefined;
}

export interface UpdateResult {
  /** BEHAVIOUR_FEATURES in order. A fresh array unless one was passed in. */
  features: Float64Array;
  /** False when the offset had already been applied (a redelivery): the state is unchanged. */
  applied: boolean;
  /** True when the event was later than LATENESS_MS behind the caller's watermark. */
  late: boolean;
}

/** A change of a caller's verdict (see `judge`). */
export interface VerdictChange {
  verdict: 'flagged' | 'cleared';
  /** Event time (ms) of the call that flagged the caller in this episode. */
  firstFlaggedMs: number;
  /** The caller's calls from the flagging one to this one, both included. */
  callsSinceFlagged: number;
}

// Record layout, in bytes from the record's start (a multiple of 8, so Float64 fields stay aligned).
const F64_FIELDS = 8; // lastOffset, firstSeen, watermark, dCount, dShort, dNight, dDuration, flaggedAt
const F_OFFSET = 0;
const F_FIRST = 1;
const F_WATERMARK = 2;
const F_COUNT = 3;
const F_SHORT = 4;
const F_NIGHT = 5;
const F_DURATION = 6;
const F_FLAGGED = 7; // event time (ms) of the call that flagged the caller in its current episode; 0: not flagged
const U32_BASE = F64_FIELDS * 2; // in u32 units
const U_LATE = U32_BASE; // late events of this caller
const U_SKETCH = U32_BASE + 1; // sketch slot + 1 (0: none)
const U_CALLEE_HASH = U32_BASE + 2; // EXACT_CALLEES hashes
const U_CALLEE_SEEN = U_CALLEE_HASH + EXACT_CALLEES; // EXACT_CALLEES last-seen, Unix seconds (0: empty)
const U_FLAG_CALLS = U_CALLEE_SEEN + EXACT_CALLEES; // calls since (and including) the flagging call
const U_CLEAN_RUN = U_FLAG_CALLS + 1; // unflagged calls in a row while flagged
const U32_END = U_CLEAN_RUN + 1;
const U16_BASE = U32_END * 2;
const MINUTE_BUCKETS = 60;
const HOUR_BUCKETS = 24;
const U_MINUTES = U16_BASE;
const U_HOURS = U16_BASE + MINUTE_BUCKETS;
const U16_END = U_HOURS + HOUR_BUCKETS;
/** Bytes of one caller's state record. */
export const STATE_BYTES = Math.ceil((U16_END * 2) / 8) * 8;
// Sketch layout: 4 HLLs (hour now, hour before, day now, day before) then the hour and day they belong to.
const SKETCH_HLLS = 4;
/** Bytes of the sketch a caller gets once it has rung more than EXACT_CALLEES distinct callees in 24 h. */
export const SKETCH_BYTES = SKETCH_HLLS * HLL_REGISTERS + 8;
const U16_MAX = 0xffff;

/** 32-bit FNV-1a of a string, finished with murmur3's mixer so every bit is usable by the sketch. */
export function hashCallee(callee: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < callee.length; i++) h = Math.imul(h ^ callee.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

const HLL_ALPHA = 0.709; // for 64 registers
const INVERSE_POWERS = Float64Array.from({ length: 33 }, (_, r) => 2 ** -r);
function hllEstimate(registers: Uint8Array, base: number, other: number): number {
  // Estimate of the union of the register sets at `base` and `other` (other < 0: base alone).
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    let r = registers[base + i] as number;
    if (other >= 0) {
      const o = registers[other + i] as number;
      if (o > r) r = o;
    }
    if (r === 0) zeros++;
    sum += INVERSE_POWERS[r] as number;
  }
  const raw = (HLL_ALPHA * HLL_REGISTERS * HLL_REGISTERS) / sum;
  if (raw <= 2.5 * HLL_REGISTERS && zeros > 0) return HLL_REGISTERS * Math.log(HLL_REGISTERS / zeros);
  return raw;
}

function hllAdd(registers: Uint8Array, base: number, hash: number): void {
  const index = hash >>> 26; // top 6 bits
  const rest = (hash << 6) >>> 0;
  const rank = rest === 0 ? 27 : Math.clz32(rest) + 1;
  if (rank > (registers[base + index] as number)) registers[base + index] = rank;
}

/**
 * The states of many callers in one slab (a Map from caller to slot): ~300 B per caller plus the Map's own
 * cost, measured by `npm run bench:state`.
 */
export class CallerStates {
  private slots = new Map<string, number>();
  /** The caller of each slot (for moving the last slot into a freed one). */
  private owners: string[] = [];
  /** Sketch slots (1-based) freed by deleted or forgotten callers, reused first. */
  private freeSketches: number[] = [];
  private buffer: ArrayBuffer;
  private f64: Float64Array;
  private u32: Uint32Array;
  private u16: Uint16Array;
  private bytes: Uint8Array;
  private sketches: Uint8Array;
  private sketchView: Uint32Array;
  private sketchCount = 0;
  private count = 0;
  /** Events applied later than LATENESS_MS behind their caller's watermark, over all callers. */
  lateEvents = 0;
  /** Redelivered events recognised by their offset and not applied. */
  redeliveries = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new ArrayBuffer(STATE_BYTES * Math.max(1, initialCapacity));
    this.f64 = new Float64Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
    this.sketches = new Uint8Array(SKETCH_BYTES * 16);
    this.sketchView = new Uint32Array(this.sketches.buffer);
  }

  /** Callers with a state. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the slabs (states and sketches), without the Map index. */
  get slabBytes(): number {
    return this.count * STATE_BYTES + (this.sketchCount - this.freeSketches.length) * SKETCH_BYTES;
  }

  /** Every caller held, in no particular order. */
  callers(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** The latest event time (ms) a caller has applied, or undefined. */
  watermark(caller: string): number | undefined {
    const slot = this.slots.get(caller);
    return slot === undefined ? undefined : (this.f64[(slot * STATE_BYTES) / 8 + F_WATERMARK] as number);
  }

  /** Removes a caller (its slot is reused); false when it was not held. */
  delete(caller: string): boolean {
    const slot = this.slots.get(caller);
    if (slot === undefined) return false;
    this.freeSketch(slot);
    const last = this.count - 1;
    if (slot !== last) {
      const moved = this.owners[last] as string;
      this.bytes.copyWithin(slot * STATE_BYTES, last * STATE_BYTES, (last + 1) * STATE_BYTES);
      this.slots.set(moved, slot);
      this.owners[slot] = moved;
    }
    this.bytes.fill(0, last * STATE_BYTES, (last + 1) * STATE_BYTES);
    this.owners.length = last;
    this.slots.delete(caller);
    this.count = last;
    return true;
  }

  /**
   * The callers whose last call is more than IDLE_FORGET_MS (event time) before `nowMs`: their next call would
   * start afresh anyway, so removing them (and tombstoning them in a changelog) changes no feature.
   */
  idleCallers(nowMs: number): string[] {
    const idle: string[] = [];
    const f64 = this.f64;
    for (let slot = 0; slot < this.count; slot++) {
      if ((f64[(slot * STATE_BYTES) / 8 + F_WATERMARK] as number) < nowMs - IDLE_FORGET_MS)
        idle.push(this.owners[slot] as string);
    }
    return idle;
  }

  /**
   * Updates a caller's verdict with one applied call's outcome and returns the change, if any: the first flagged
   * call flags the caller; CLEAR_AFTER clean calls in a row clear it. Call it once per applied call (not for a
   * redelivery: the verdict it would change was already changed), after `update`.
   */
  judge(caller: string, flagged: boolean, atMs: number, clearAfter: number): VerdictChange | undefined {
    const slot = this.slots.get(caller);
    if (slot === undefined) return undefined;
    const base8 = (slot * STATE_BYTES) / 8;
    const base32 = (slot * STATE_BYTES) / 4;
    const f64 = this.f64;
    const u32 = this.u32;
    const since = f64[base8 + F_FLAGGED] as number;
    if (since === 0) {
      if (!flagged) return undefined;
      f64[base8 + F_FLAGGED] = atMs;
      u32[base32 + U_FLAG_CALLS] = 1;
      u32[base32 + U_CLEAN_RUN] = 0;
      return { verdict: 'flagged', firstFlaggedMs: atMs, callsSinceFlagged: 1 };
    }
    const calls = (u32[base32 + U_FLAG_CALLS] as number) + 1;
    u32[base32 + U_FLAG_CALLS] = calls;
    if (flagged) {
      u32[base32 + U_CLEAN_RUN] = 0;
      return undefined;
    }
    const clean = (u32[base32 + U_CLEAN_RUN] as number) + 1;
    if (clean < clearAfter) {
      u32[base32 + U_CLEAN_RUN] = clean;
      return undefined;
    }
    f64[base8 + F_FLAGGED] = 0;
    u32[base32 + U_FLAG_CALLS] = 0;
    u32[base32 + U_CLEAN_RUN] = 0;
    return { verdict: 'cleared', firstFlaggedMs: since, callsSinceFlagged: calls };
  }

  /** Event time (ms) a flagged caller was flagged at, or undefined when it is not flagged (or not held). */
  flaggedSince(caller: string): number | undefined {
    const slot = this.slots.get(caller);
    if (slot === undefined) return undefined;
    const at = this.f64[(slot * STATE_BYTES) / 8 + F_FLAGGED] as number;
    return at === 0 ? undefined : at;
  }

  has(caller: string): boolean {
    return this.slots.has(caller);
  }

  /** A copy of one caller's state (its record, then its sketch when it has one), or undefined. */
  read(caller: string): Uint8Array | undefined {
    const slot = this.slots.get(caller);
    if (slot === undefined) return undefined;
    const sketch = this.u32[(slot * STATE_BYTES) / 4 + U_SKETCH] as number;
    const out = new Uint8Array(STATE_BYTES + (sketch > 0 ? SKETCH_BYTES : 0));
    out.set(this.bytes.subarray(slot * STATE_BYTES, (slot + 1) * STATE_BYTES));
    if (sketch > 0) {
      out.set(this.sketches.subarray((sketch - 1) * SKETCH_BYTES, sketch * SKETCH_BYTES), STATE_BYTES);
      // The sketch slot is this store's; the copy says only "has a sketch".
      new Uint32Array(out.buffer)[U_SKETCH] = 1;
    }
    return out;
  }

  /** Replaces (or creates) one caller's state with bytes from `read`. */
  write(caller: string, state: Uint8Array): void {
    if (state.length !== STATE_BYTES && state.length !== STATE_BYTES + SKETCH_BYTES) {
      throw new RangeError(
        `a caller state is ${STATE_BYTES} or ${STATE_BYTES + SKETCH_BYTES} bytes, got ${state.length}`,
      );
    }
    const slot = this.slotOf(caller);
    const base = slot * STATE_BYTES;
    const oldSketch = this.u32[base / 4 + U_SKETCH] as number;
    this.bytes.set(state.subarray(0, STATE_BYTES), base);
    if (state.length > STATE_BYTES) {
      const sketch = oldSketch > 0 ? oldSketch : this.newSketch();
      this.sketches.set(state.subarray(STATE_BYTES), (sketch - 1) * SKETCH_BYTES);
      this.u32[base / 4 + U_SKETCH] = sketch;
    } else {
      this.u32[base / 4 + U_SKETCH] = oldSketch;
      this.freeSketch(slot);
    }
  }

  /** The last input offset applied for a caller, or -1. */
  lastOffset(caller: string): number {
    const slot = this.slots.get(caller);
    return slot === undefined ? -1 : (this.f64[(slot * STATE_BYTES) / 8 + F_OFFSET] as number) - 1;
  }

  /**
   * Applies one call of `caller` and returns the caller's features after it. `offset` (the input offset,
   * e.g. a Kafka partition offset) is optional; when given and not beyond the last one applied, the event
   * is a redelivery: features are computed as of now without changing the state.
   */
  update(caller: string, event: CallInput, offset = -1, out?: Float64Array): UpdateResult {
    const features = out ?? new Float64Array(BEHAVIOUR_FEATURES.length);
    const slot = this.slotOf(caller);
    const base8 = (slot * STATE_BYTES) / 8;
    const f64 = this.f64;
    const ts = fromWireSeconds(event.ts);
    // Stored as offset + 1, so a zeroed record means "no offset applied yet".
    if (offset >= 0 && offset + 1 <= (f64[base8 + F_OFFSET] as number)) {
      this.redeliveries++;
      this.compute(slot, Math.max(ts, f64[base8 + F_WATERMARK] as number), 0, event, features);
      return { features, applied: false, late: false };
    }
    if (offset >= 0) f64[base8 + F_OFFSET] = offset + 1;
    const last = f64[base8 + F_WATERMARK] as number;
    if (last !== 0 && ts - last > IDLE_FORGET_MS) this.forget(slot);
    const fresh = (f64[base8 + F_FIRST] as number) === 0 && (f64[base8 + F_WATERMARK] as number) === 0;
    let watermark = fresh ? ts : (f64[base8 + F_WATERMARK] as number);
    if (fresh) f64[base8 + F_FIRST] = ts;
    let late = false;
    let at = ts;
    if (ts > watermark) {
      this.advance(slot, watermark, ts);
      watermark = ts;
    } else if (ts < watermark - LATENESS_MS) {
      late = true;
      at = watermark;
      this.lateEvents++;
      this.u32[(slot * STATE_BYTES) / 4 + U_LATE] =
        (this.u32[(slot * STATE_BYTES) / 4 + U_LATE] as number) + 1;
    }
    const gapMs = fresh ? -1 : Math.max(0, at - (f64[base8 + F_WATERMARK] as number));
    f64[base8 + F_WATERMARK] = watermark;
    // Counters: the minute and hour buckets of `at`, the decayed sums weighted by its age.
    const u16 = this.u16;
    const base16 = (slot * STATE_BYTES) / 2;
    const m = base16 + U_MINUTES + (Math.floor(at / MINUTE_MS) % MINUTE_BUCKETS);
    if ((u16[m] as number) < U16_MAX) u16[m] = (u16[m] as number) + 1;
    const h = base16 + U_HOURS + (Math.floor(at / HOUR_MS) % HOUR_BUCKETS);
    if ((u16[h] as number) < U16_MAX) u16[h] = (u16[h] as number) + 1;
    const weight = at === watermark ? 1 : Math.exp(-(watermark - at) / DECAY_MS);
    f64[base8 + F_COUNT] = (f64[base8 + F_COUNT] as number) + weight;
    if (event.call_duration <= SHORT_CALL_SECONDS)
      f64[base8 + F_SHORT] = (f64[base8 + F_SHORT] as number) + weight;
    if (event.hour_of_day >= 22 || event.hour_of_day < 6)
      f64[base8 + F_NIGHT] = (f64[base8 + F_NIGHT] as number) + weight;
    f64[base8 + F_DURATION] = (f64[base8 + F_DURATION] as number) + weight * event.call_duration;
    if (typeof event.callee === 'string') this.addCallee(slot, hashCallee(event.callee), at);
    this.compute(slot, watermark, gapMs, event, features);
    return { features, applied: true, late };
  }

  private slotOf(caller: string): number {
    let slot = this.slots.get(caller);
    if (slot !== undefined) return slot;
    slot = this.count++;
    if (slot * STATE_BYTES >= this.buffer.byteLength) this.grow();
    this.slots.set(caller, slot);
    this.owners[slot] = caller;
    return slot;
  }

  /** Starts a slot afresh (a caller idle past IDLE_FORGET_MS), keeping only its last applied offset. */
  private forget(slot: number): void {
    this.freeSketch(slot);
    const base8 = (slot * STATE_BYTES) / 8;
    const offset = this.f64[base8 + F_OFFSET] as number;
    this.bytes.fill(0, slot * STATE_BYTES, (slot + 1) * STATE_BYTES);
    this.f64[base8 + F_OFFSET] = offset;
  }

  private freeSketch(slot: number): void {
    const at = (slot * STATE_BYTES) / 4 + U_SKETCH;
    const sketch = this.u32[at] as number;
    if (sketch === 0) return;
    this.sketches.fill(0, (sketch - 1) * SKETCH_BYTES, sketch * SKETCH_BYTES);
    this.freeSketches.push(sketch);
    this.u32[at] = 0;
  }

  private grow(): void {
    const next = new ArrayBuffer(this.buffer.byteLength * 2);
    new Uint8Array(next).set(this.bytes);
    this.buffer = next;
    this.f64 = new Float64Array(next);
    this.u32 = new Uint32Array(next);
    this.u16 = new Uint16Array(next);
    this.bytes = new Uint8Array(next);
  }

  private newSketch(): number {
    const reused = this.freeSketches.pop();
    if (reused !== undefined) return reused;
    if ((this.sketchCount + 1) * SKETCH_BYTES > this.sketches.length) {
      const next = new Uint8Array(this.sketches.length * 2);
      next.set(this.sketches);
      this.sketches = next;
      this.sketchView = new Uint32Array(next.buffer);
    }
    return ++this.sketchCount;
  }

  /** Moves a caller's clock from `from` to `to` (ms): empties the buckets it skips, decays the sums. */
  private advance(slot: number, from: number, to: number): void {
    const u16 = this.u16;
    const base16 = (slot * STATE_BYTES) / 2;
    const fromMinute = Math.floor(from / MINUTE_MS);
    const toMinute = Math.floor(to / MINUTE_MS);
    for (let minute = fromMinute + 1; minute <= toMinute && minute <= fromMinute + MINUTE_BUCKETS; minute++) {
      u16[base16 + U_MINUTES + (minute % MINUTE_BUCKETS)] = 0;
    }
    const fromHour = Math.floor(from / HOUR_MS);
    const toHour = Math.floor(to / HOUR_MS);
    for (let hour = fromHour + 1; hour <= toHour && hour <= fromHour + HOUR_BUCKETS; hour++) {
      u16[base16 + U_HOURS + (hour % HOUR_BUCKETS)] = 0;
    }
    const decay = Math.exp(-(to - from) / DECAY_MS);
    const base8 = (slot * STATE_BYTES) / 8;
    const f64 = this.f64;
    f64[base8 + F_COUNT] = (f64[base8 + F_COUNT] as number) * decay;
    f64[base8 + F_SHORT] = (f64[base8 + F_SHORT] as number) * decay;
    f64[base8 + F_NIGHT] = (f64[base8 + F_NIGHT] as number) * decay;
    f64[base8 + F_DURATION] = (f64[base8 + F_DURATION] as number) * decay;
  }

  private addCallee(slot: number, hash: number, atMs: number): void {
    const u32 = this.u32;
    const base32 = (slot * STATE_BYTES) / 4;
    const seconds = Math.floor(atMs / 1000);
    const sketch = u32[base32 + U_SKETCH] as number;
    if (sketch > 0) {
      this.sketchAdd(sketch, hash, atMs);
      return;
    }
    let free = -1;
    for (let i = 0; i < EXACT_CALLEES; i++) {
      const seen = u32[base32 + U_CALLEE_SEEN + i] as number;
      if (seen !== 0 && u32[base32 + U_CALLEE_HASH + i] === hash) {
        if (seconds > seen) u32[base32 + U_CALLEE_SEEN + i] = seconds;
        return;
      }
      if (free < 0 && (seen === 0 || seen * 1000 <= atMs - DAY_MS)) free = i;
    }
    if (free >= 0) {
      u32[base32 + U_CALLEE_HASH + free] = hash;
      u32[base32 + U_CALLEE_SEEN + free] = seconds;
      return;
    }
    // More than EXACT_CALLEES distinct callees in 24 h: switch to the sketch, seeded with the exact set.
    const created = this.newSketch();
    u32[base32 + U_SKETCH] = created;
    for (let i = 0; i < EXACT_CALLEES; i++) {
      this.sketchAdd(
        created,
        u32[base32 + U_CALLEE_HASH + i] as number,
        (u32[base32 + U_CALLEE_SEEN + i] as number) * 1000,
      );
      u32[base32 + U_CALLEE_HASH + i] = 0;
      u32[base32 + U_CALLEE_SEEN + i] = 0;
    }
    this.sketchAdd(created, hash, atMs);
  }

  /** Adds a callee seen at `atMs` to the hour and day generations it belongs to, rotating them forward. */
  private sketchAdd(sketch: number, hash: number, atMs: number): void {
    const base = (sketch - 1) * SKETCH_BYTES;
    const ids = (base + SKETCH_HLLS * HLL_REGISTERS) / 4; // u32 index: [hour, day] of the "now" generations
    const regs = this.sketches;
    const view = this.sketchView;
    for (let w = 0; w < 2; w++) {
      const period = w === 0 ? HOUR_MS : DAY_MS;
      const id = Math.floor(atMs / period);
      const nowBase = base + w * 2 * HLL_REGISTERS;
      const beforeBase = nowBase + HLL_REGISTERS;
      const current = view[ids + w] as number;
      if (id > current) {
        if (id === current + 1) regs.copyWithin(beforeBase, nowBase, nowBase + HLL_REGISTERS);
        else regs.fill(0, beforeBase, beforeBase + HLL_REGISTERS);
        regs.fill(0, nowBase, nowBase + HLL_REGISTERS);
        view[ids + w] = id;
        hllAdd(regs, nowBase, hash);
      } else if (id === current) {
        hllAdd(regs, nowBase, hash);
      } else if (id === current - 1) {
        hllAdd(regs, beforeBase, hash);
      }
    }
  }

  private distinct(slot: number, nowMs: number, windowMs: number): number {
    const base32 = (slot * STATE_BYTES) / 4;
    const sketch = this.u32[base32 + U_SKETCH] as number;
    if (sketch === 0) {
      let n = 0;
      const since = (nowMs - windowMs) / 1000;
      for (let i = 0; i < EXACT_CALLEES; i++) {
        const seen = this.u32[base32 + U_CALLEE_SEEN + i] as number;
        if (seen !== 0 && seen > since) n++;
      }
      return n;
    }
    const base = (sketch - 1) * SKETCH_BYTES;
    const w = windowMs === HOUR_MS ? 0 : 1;
    const id = Math.floor(nowMs / windowMs);
    const current = this.sketchView[(base + SKETCH_HLLS * HLL_REGISTERS) / 4 + w] as number;
    const nowBase = base + w * 2 * HLL_REGISTERS;
    const beforeBase = nowBase + HLL_REGISTERS;
    if (id > current + 1) return 0;
    if (id === current + 1) {
      // Nothing yet in the current period: only the "now" generation (now the previous period) counts.
      return hllEstimate(this.sketches, nowBase, -1) * (1 - (nowMs - id * windowMs) / windowMs);
    }
    const now = hllEstimate(this.sketches, nowBase, -1);
    const union = hllEstimate(this.sketches, nowBase, beforeBase);
    return now + Math.max(0, union - now) * (1 - (nowMs - id * windowMs) / windowMs);
  }

  private compute(slot: number, nowMs: number, gapMs: number, event: CallInput, out: Float64Array): void {
    const u16 = this.u16;
    const base16 = (slot * STATE_BYTES) / 2;
    const base8 = (slot * STATE_BYTES) / 8;
    const f64 = this.f64;
    const minute = Math.floor(nowMs / MINUTE_MS);
    const fraction = (nowMs - minute * MINUTE_MS) / MINUTE_MS;
    const previous = u16[base16 + U_MINUTES + ((minute + MINUTE_BUCKETS - 1) % MINUTE_BUCKETS)] as number;
    let calls1h = 0;
    for (let i = 0; i < MINUTE_BUCKETS; i++) calls1h += u16[base16 + U_MINUTES + i] as number;
    let calls24h = 0;
    for (let i = 0; i < HOUR_BUCKETS; i++) calls24h += u16[base16 + U_HOURS + i] as number;
    const count = f64[base8 + F_COUNT] as number;
    out[0] = (u16[base16 + U_MINUTES + (minute % MINUTE_BUCKETS)] as number) + previous * (1 - fraction);
    out[1] = calls1h;
    out[2] = calls24h;
    out[3] = this.distinct(slot, nowMs, HOUR_MS);
    out[4] = this.distinct(slot, nowMs, DAY_MS);
    out[5] = count > 0 ? (f64[base8 + F_SHORT] as number) / count : 0;
    out[6] = count > 0 ? (f64[base8 + F_NIGHT] as number) / count : 0;
    out[7] = count > 0 ? (f64[base8 + F_DURATION] as number) / count : 0;
    out[8] = gapMs < 0 ? NO_PREVIOUS_SECONDS : Math.min(NO_PREVIOUS_SECONDS, gapMs / 1000);
    out[9] = Math.max(0, nowMs - (f64[base8 + F_FIRST] as number)) / 1000;
    out[10] = event.call_duration;
    out[11] = event.hour_of_day;
    out[12] = event.num_digits;
    out[13] = event.freq_calls;
  }
}

/** The latest event time (ms) a serialised state (from `read`) has applied, read without loading it. */
export function stateWatermarkMs(state: Uint8Array): number {
  return new DataView(state.buffer, state.byteOffset, state.byteLength).getFloat64(F_WATERMARK * 8, true);
}

/** Whether a serialised state's caller is flagged now, read without loading it. */
export function stateFlagged(state: Uint8Array): boolean {
  return new DataView(state.buffer, state.byteOffset, state.byteLength).getFloat64(F_FLAGGED * 8, true) !== 0;
}

/** The features of a result as a plain object (for an explanation or a log line). */
export function featureRecord(features: ArrayLike<number>): Record<BehaviourFeature, number> {
  const record = {} as Record<BehaviourFeature, number>;
  BEHAVIOUR_FEATURES.forEach((name, i) => {
    record[name] = features[i] as number;
  });
  return record;
}
