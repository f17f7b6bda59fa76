import type { CallerCall, ResultView } from '../shared/wire.js';

export interface CallerHistoryOptions {
  /** Callers remembered; the one not seen for longest is forgotten first. */
  maxCallers?: number;
  /** Calls kept per caller (the most recent). */
  callsPerCaller?: number;
}

/**
 * The recent calls of recently seen callers, for the drill-down: bounded in both directions (callers, and
 * calls per caller), so memory stays flat whatever the stream. A Map keeps insertion order: a caller seen
 * again moves to the end, and the first entry is the least recently seen one.
 */
export class CallerHistory {
  readonly maxCallers: number;
  readonly callsPerCaller: number;
  readonly #calls = new Map<string, CallerCall[]>();

  constructor(options: CallerHistoryOptions = {}) {
    this.maxCallers = options.maxCallers ?? 5000;
    this.callsPerCaller = options.callsPerCaller ?? 50;
  }

  get size(): number {
    return this.#calls.size;
  }

  add(view: ResultView): void {
    const caller = view.call.caller;
    let calls = this.#calls.get(caller);
    if (calls) {
      this.#calls.delete(caller);
    } else {
      calls = [];
      if (this.#calls.size >= this.maxCallers) {
        const oldest = this.#calls.keys().next().value as string;
        this.#calls.delete(oldest);
      }
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
    calls.push(call);
    if (calls.length > this.callsPerCaller) calls.splice(0, calls.length - this.callsPerCaller);
  }

  /** A caller's recent calls, oldest first (a copy), or undefined when the caller is not remembered. */
  get(caller: string): CallerCall[] | undefined {
    const calls = this.#calls.get(caller);
    return calls ? [...calls] : undefined;
  }
}
