import type { CallerCall, ResultView } from '../shared/wire.js';

export interface CallerHistoryOptions {
  /** Callers remembered; the one not seen for longest is forgotten first. */
  maxCallers?: number;
  /** Calls kept per caller (the most recent). */
  callsPerCaller?: number;
  /** Calls kept in all: past it, the least recently seen callers are forgotten. */
  maxCalls?: number;
}

/**
 * The recent calls of recently seen callers, for the drill-down: bounded in callers, calls per caller and calls
 * in all (callers × calls per caller alone would allow 250,000 calls, hundreds of MiB, filled only after hours of
 * a realistic stream), so memory stops growing within seconds at any rate and stays flat. A Map keeps insertion
 * order: a caller seen again moves to the end, and the first entry is the least recently seen one.
 */
export class CallerHistory {
  readonly maxCallers: number;
  readonly callsPerCaller: number;
  readonly maxCalls: number;
  readonly #calls = new Map<string, CallerCall[]>();
  #total = 0;

  constructor(options: CallerHistoryOptions = {}) {
    this.maxCallers = options.maxCallers ?? 5000;
    this.callsPerCaller = options.callsPerCaller ?? 50;
    this.maxCalls = options.maxCalls ?? 20_000;
  }

  /** Callers remembered. */
  get size(): number {
    return this.#calls.size;
  }

  /** Calls remembered, over every caller. */
  get calls(): number {
    return this.#total;
  }

  #forgetOldest(): void {
    const [oldest, calls] = this.#calls.entries().next().value as [string, CallerCall[]];
    this.#calls.delete(oldest);
    this.#total -= calls.length;
  }

  add(view: ResultView): void {
    const caller = view.call.caller;
    let calls = this.#calls.get(caller);
    if (calls) {
      this.#calls.delete(caller);
    } else {
      calls = [];
      if (this.#calls.size >= this.maxCallers) this.#forgetOldest();
    }
    this.#calls.set(caller, calls);
    const call: CallerCall = {
      seq: view.seq,
      ts: view.call.ts,
      call_duration: view.call.call_duration,
      hour_of_day: view.call.hour_of_day,
      predicted_label: view.predicted_label,
      p_scam: view.predicted_proba[1],
      model_version: view.model_version,
    };
    if (view.call.callee !== undefined) call.callee = view.call.callee;
    if (view.truth_label !== undefined) call.truth_label = view.truth_label;
    if (view.scenario !== undefined) call.scenario = view.scenario;
    if (view.explanation?.features) call.features = view.explanation.features;
    if (view.explanation?.late) call.late = true;
    if (view.input) call.input = view.input;
    calls.push(call);
    this.#total++;
    if (calls.length > this.callsPerCaller) {
      this.#total -= calls.length - this.callsPerCaller;
      calls.splice(0, calls.length - this.callsPerCaller);
    }
    // Never the caller just added (it is the last entry): it keeps at least this call.
    while (this.#total > this.maxCalls && this.#calls.size > 1) this.#forgetOldest();
  }

  /** A caller's recent calls, oldest first (a copy), or undefined when the caller is not remembered. */
  get(caller: string): CallerCall[] | undefined {
    const calls = this.#calls.get(caller);
    return calls ? [...calls] : undefined;
  }
}
