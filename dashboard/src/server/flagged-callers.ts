import { type CallerVerdict, EXPLAINED_FEATURES, parseVerdict } from '@scam-detector/core';
import type {
  CallerCall,
  FlaggedCaller,
  FlaggedDelta,
  FlaggedPanel,
  FlaggedStatus,
  InputRef,
  ResultView,
  VerdictSourceState,
} from '../shared/wire.js';
import { inputRef, MAX_STRING } from './results.js';

/** A caller's current verdict as the dashboard keeps it (validated, strings clipped, unknown features dropped). */
export type VerdictRecord = Omit<CallerVerdict, 'input'> & { input: InputRef };

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const clip = (text: string): string =>
  text.length > MAX_STRING ? `${text.slice(0, MAX_STRING - 1)}…` : text;

/**
 * Reads one record of the caller-verdicts topic: the caller (the record's key) and its verdict, or undefined for
 * a tombstone (the caller was evicted for idleness). Throws, with a reason, on anything that is not a verdict:
 * bad JSON, missing or mistyped fields, a key that is not the verdict's caller, a tombstone without a key.
 */
export function readVerdictRecord(
  key: string | null,
  value: Uint8Array | null,
): { caller: string; verdict: VerdictRecord | undefined } {
  const parsed = parseVerdict(value);
  if (parsed === undefined) {
    if (!key) throw new Error('a tombstone without a key');
    return { caller: clip(key), verdict: undefined };
  }
  if (key !== null && key !== parsed.caller) throw new Error("the key is not the verdict's caller");
  const input = inputRef(parsed.input);
  if (!input) throw new Error('"input" is not a topic, partition and offset');
  for (const name of ['changed_ts', 'first_flagged_ts', 'calls_since_flagged', 'score'] as const) {
    if (!finite(parsed[name])) throw new Error(`"${name}" is not a finite number`);
  }
  const features: Record<string, number | null> = {};
  for (const name of EXPLAINED_FEATURES) {
    const v = (parsed.features as Record<string, unknown>)[name];
    if (finite(v) || v === null) features[name] = v;
  }
  return {
    caller: clip(parsed.caller),
    verdict: {
      caller: clip(parsed.caller),
      verdict: parsed.verdict,
      changed_ts: parsed.changed_ts,
      first_flagged_ts: parsed.first_flagged_ts,
      calls_since_flagged: Math.max(0, Math.round(parsed.calls_since_flagged)),
      score: parsed.score,
      model_version: typeof parsed.model_version === 'string' ? clip(parsed.model_version) : 'unknown',
      processed_ts: finite(parsed.processed_ts) ? parsed.processed_ts : parsed.changed_ts,
      features,
      input,
    },
  };
}

/** Whether a call came after the verdict's call: by input offset when both were read from the same input
 *  partition (a caller's calls are), else by event time. */
export function isAfter(call: { ts: number; input?: InputRef }, verdict: FlaggedCaller): boolean {
  const a = call.input;
  const b = verdict.input;
  if (a && a.topic === b.topic && a.partition === b.partition) return a.offset > b.offset;
  return call.ts > verdict.changed_ts;
}

interface HeapItem {
  ts: number;
  caller: string;
  gen: number;
}

export interface FlaggedCallersOptions {
  /** Most flagged callers kept: past it, the one flagged first (longest ago) is forgotten. Default 10,000. */
  limit?: number;
}

/**
 * The callers flagged now, from the compacted caller-verdicts topic (the latest record of a caller is its
 * current verdict): "flagged" adds or replaces a caller, "cleared" and a tombstone remove it. Bounded: at most
 * `limit` callers, the most recently first flagged (a min-heap on first_flagged_ts with lazy deletion finds the
 * one to forget in O(log n)). "Calls since" is the verdict's own count plus the results of that caller this
 * dashboard reads after the verdict's call; results are deduplicated before they get here. Changes are
 * collected for the stream, which sends them as a delta at its next push.
 */
export class FlaggedCallers {
  readonly limit: number;
  readonly #entries = new Map<string, { view: FlaggedCaller; gen: number }>();
  #heap: HeapItem[] = [];
  #gen = 0;
  #leftOut = 0;
  #malformed = 0;
  #state: VerdictSourceState;
  #reason: string | undefined;
  #topic: string | undefined;
  #loaded = false;
  readonly #upserts = new Set<string>();
  readonly #removals = new Set<string>();
  #overflow = false;

  constructor(options: FlaggedCallersOptions & { state?: VerdictSourceState } = {}) {
    this.limit = options.limit ?? 10_000;
    this.#state = options.state ?? 'none';
  }

  get size(): number {
    return this.#entries.size;
  }

  get malformed(): number {
    return this.#malformed;
  }

  get(caller: string): FlaggedCaller | undefined {
    return this.#entries.get(caller)?.view;
  }

  /** Where the verdicts come from and whether they are being read. */
  source(state: VerdictSourceState, reason?: string, topic?: string): void {
    this.#state = state;
    this.#reason = reason;
    if (topic !== undefined) this.#topic = topic;
  }

  /** The topic was read to the end it had when reading began. */
  markLoaded(): void {
    this.#loaded = true;
  }

  addMalformed(): void {
    this.#malformed++;
  }

  /**
   * Applies one record: a verdict, or a tombstone (`undefined`). `recent` is the caller's recent calls this
   * dashboard has seen (oldest first): those after a new verdict's call were read before the verdict was, and
   * count as calls since.
   */
  apply(caller: string, verdict: VerdictRecord | undefined, recent: readonly CallerCall[] = []): void {
    if (verdict === undefined || verdict.verdict === 'cleared') {
      this.#remove(caller);
      return;
    }
    const existing = this.#entries.get(caller);
    const view: FlaggedCaller = {
      caller,
      first_flagged_ts: verdict.first_flagged_ts,
      changed_ts: verdict.changed_ts,
      calls_since: verdict.calls_since_flagged,
      score: verdict.score,
      model_version: verdict.model_version,
      processed_ts: verdict.processed_ts,
      features: verdict.features,
      input: verdict.input,
    };
    const same =
      existing &&
      existing.view.input.topic === view.input.topic &&
      existing.view.input.partition === view.input.partition &&
      existing.view.input.offset === view.input.offset;
    if (same) {
      // The same verdict again (a processor redelivering, a consumer re-reading): what was counted since stays.
      view.calls_since = Math.max(view.calls_since, existing.view.calls_since);
    } else {
      for (const call of recent) if (isAfter(call, view)) view.calls_since++;
    }
    if (!existing && this.#entries.size >= this.limit) {
      const oldest = this.#peek();
      if (oldest && oldest.ts > view.first_flagged_ts) {
        this.#leftOut++; // older than every caller kept: not kept
        return;
      }
      if (oldest) {
        this.#remove(oldest.caller);
        this.#leftOut++;
      }
    }
    const gen = ++this.#gen;
    this.#entries.set(caller, { view, gen });
    this.#push({ ts: view.first_flagged_ts, caller, gen }); // the caller's older item, if any, is now stale
    this.#compact();
    this.#changed(caller);
  }

  /** A result read from the results topic (already deduplicated): one more call since, when it is after the
   *  verdict of a flagged caller. */
  noteResult(view: ResultView): void {
    const entry = this.#entries.get(view.call.caller);
    if (!entry || !isAfter({ ts: view.call.ts, ...(view.input ? { input: view.input } : {}) }, entry.view))
      return;
    entry.view = { ...entry.view, calls_since: entry.view.calls_since + 1 };
    this.#changed(view.call.caller);
  }

  status(): FlaggedStatus {
    return {
      state: this.#state,
      ...(this.#reason ? { reason: this.#reason } : {}),
      ...(this.#topic ? { topic: this.#topic } : {}),
      loaded: this.#loaded,
      count: this.#entries.size,
      limit: this.limit,
      left_out: this.#leftOut,
      malformed: this.#malformed,
    };
  }

  /** Every flagged caller kept, the most recently first flagged first. */
  list(): FlaggedCaller[] {
    return [...this.#entries.values()]
      .map((entry) => entry.view)
      .sort((a, b) => b.first_flagged_ts - a.first_flagged_ts || (a.caller < b.caller ? -1 : 1));
  }

  panel(): FlaggedPanel {
    return { ...this.status(), callers: this.list() };
  }

  /** The changes since the last call: a delta, 'full' when too many piled up (send every row), or undefined. */
  takeDelta(): FlaggedDelta | 'full' | undefined {
    if (this.#overflow) {
      this.#overflow = false;
      this.#upserts.clear();
      this.#removals.clear();
      return 'full';
    }
    if (this.#upserts.size === 0 && this.#removals.size === 0) return undefined;
    const upsert: FlaggedCaller[] = [];
    for (const caller of this.#upserts) {
      const entry = this.#entries.get(caller);
      if (entry) upsert.push(entry.view);
    }
    const delta = { upsert, remove: [...this.#removals] };
    this.#upserts.clear();
    this.#removals.clear();
    return delta;
  }

  #changed(caller: string): void {
    this.#removals.delete(caller);
    this.#upserts.add(caller);
    this.#checkOverflow();
  }

  #remove(caller: string): void {
    if (!this.#entries.delete(caller)) return;
    this.#upserts.delete(caller);
    this.#removals.add(caller);
    this.#checkOverflow();
    this.#compact();
  }

  /** Stale heap items are skipped when they surface; rebuild when they outnumber the live ones. */
  #compact(): void {
    if (this.#heap.length > 2 * this.#entries.size + 64) this.#rebuild();
  }

  /** Changes pile up while no page is connected (nobody takes them): past a bound, "send everything" is cheaper. */
  #checkOverflow(): void {
    if (this.#upserts.size + this.#removals.size > 2 * this.limit) {
      this.#overflow = true;
      this.#upserts.clear();
      this.#removals.clear();
    }
  }

  #valid(item: HeapItem): boolean {
    return this.#entries.get(item.caller)?.gen === item.gen;
  }

  #peek(): HeapItem | undefined {
    while (this.#heap.length > 0 && !this.#valid(this.#heap[0] as HeapItem)) this.#pop();
    return this.#heap[0];
  }

  #rebuild(): void {
    this.#heap = this.#heap.filter((item) => this.#valid(item));
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #push(item: HeapItem): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as HeapItem).ts <= item.ts) break;
      heap[i] = heap[parent] as HeapItem;
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as HeapItem;
    if (heap.length === 0) return;
    heap[0] = last;
    this.#down(0);
  }

  #down(start: number): void {
    const heap = this.#heap;
    const item = heap[start] as HeapItem;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && (heap[right] as HeapItem).ts < (heap[left] as HeapItem).ts ? right : left;
      if ((heap[child] as HeapItem).ts >= item.ts) break;
      heap[i] = heap[child] as HeapItem;
      i = child;
    }
    heap[i] = item;
  }
}
