import type { ResultView } from '../../shared/wire.js';

export interface Filters {
  scamOnly: boolean;
  /** Show results with P(scam) at or above this (0..1). */
  minProbability: number;
  /** Digits (or any text) the caller must contain; spaces and dashes are ignored. */
  callerQuery: string;
  /** Show at most this many rows. */
  limit: number;
}

export const DEFAULT_FILTERS: Filters = { scamOnly: false, minProbability: 0, callerQuery: '', limit: 50 };
export const LIMIT_CHOICES = [25, 50, 100, 250, 500] as const;

/** The rows to show, newest first, from results newest first. */
export function applyFilters(events: readonly ResultView[], filters: Filters): ResultView[] {
  const query = filters.callerQuery.replace(/[\s-]/g, '');
  const out: ResultView[] = [];
  for (const view of events) {
    if (out.length >= filters.limit) break;
    if (filters.scamOnly && view.predicted_label !== 1) continue;
    if (view.predicted_proba[1] < filters.minProbability) continue;
    if (query !== '' && !view.call.caller.includes(query)) continue;
    out.push(view);
  }
  return out;
}
