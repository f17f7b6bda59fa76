import { EXPLAINED_FEATURES, PH_MOBILE_PATTERN } from '@scam-detector/core';
import type { InputRef, ResultView } from '../shared/wire.js';

/** A scored result as validated from the stream or a recording: a ResultView before the dashboard stamps it. */
export type ScoredRecord = Omit<ResultView, 'seq' | 'seen_ms'>;

export type Parsed = { ok: true; record: ScoredRecord } | { ok: false; reason: string };

/** Strings from the stream are kept for display only; anything longer is cut, so memory stays bounded. */
export const MAX_STRING = 256;
export const MAX_RESULT_BYTES = 64 * 1024;
const MODEL_UNKNOWN = 'unknown';

const fail = (reason: string): Parsed => ({ ok: false, reason });
const clip = (text: string): string =>
  text.length > MAX_STRING ? `${text.slice(0, MAX_STRING - 1)}…` : text;
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const CALL_NUMBERS = ['call_duration', 'num_digits', 'hour_of_day', 'freq_calls', 'ts'] as const;
/** A scenario name from a header or a recording: a short word, or it is not kept. */
const SCENARIO_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** The caller's features of an explanation, when every one of them is there and finite. */
function explainedFeatures(value: unknown): Record<string, number> | undefined {
  if (!isObject(value)) return undefined;
  const features: Record<string, number> = {};
  for (const name of EXPLAINED_FEATURES) {
    const v = value[name];
    if (!finite(v)) return undefined;
    features[name] = v;
  }
  return features;
}

/** A result's input id, when it is one: a topic name, a partition and an offset (non-negative integers). */
export function inputRef(value: unknown): InputRef | undefined {
  if (!isObject(value)) return undefined;
  const { topic, partition, offset } = value;
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_STRING) return undefined;
  if (!Number.isSafeInteger(partition) || (partition as number) < 0) return undefined;
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) return undefined;
  return { topic, partition: partition as number, offset: offset as number };
}

/**
 * Validates a calls_scored value (already JSON-parsed). Types are checked, never coerced; only the fields the
 * dashboard shows are kept (extra fields of the call are dropped here, not displayed), strings are clipped.
 */
export function validateScored(value: unknown, truthHeader?: 0 | 1, scenarioHeader?: string): Parsed {
  if (!isObject(value)) return fail('not a JSON object');
  const call = value.call;
  if (!isObject(call)) return fail('"call" is not an object');
  if (typeof call.caller !== 'string') return fail('"call.caller" is not a string');
  for (const name of CALL_NUMBERS) {
    if (!finite(call[name])) return fail(`"call.${name}" is not a finite number`);
  }
  const label = value.predicted_label;
  if (label !== 0 && label !== 1) return fail('"predicted_label" is not 0 or 1');
  const proba = value.predicted_proba;
  if (!Array.isArray(proba) || proba.length !== 2 || !finite(proba[0]) || !finite(proba[1]))
    return fail('"predicted_proba" is not two finite numbers');
  if (!finite(value.processed_ts)) return fail('"processed_ts" is not a finite number');
  const version = value.model_version;
  if (version !== undefined && typeof version !== 'string') return fail('"model_version" is not a string');
  const truth = value.truth_label ?? truthHeader;
  if (truth !== undefined && truth !== 0 && truth !== 1) return fail('"truth_label" is not 0 or 1');
  const record: ScoredRecord = {
    call: {
      caller: clip(call.caller),
      call_duration: call.call_duration as number,
      num_digits: call.num_digits as number,
      hour_of_day: call.hour_of_day as number,
      freq_calls: call.freq_calls as number,
      ts: call.ts as number,
    },
    predicted_label: label,
    predicted_proba: [proba[0], proba[1]],
    processed_ts: value.processed_ts,
    model_version: clip(version || MODEL_UNKNOWN),
  };
  if (truth !== undefined) record.truth_label = truth;
  if (typeof call.callee === 'string' && PH_MOBILE_PATTERN.test(call.callee))
    record.call.callee = call.callee;
  const scenario = value.scenario ?? scenarioHeader;
  if (typeof scenario === 'string' && SCENARIO_PATTERN.test(scenario)) record.scenario = scenario;
  const explanation = value.explanation;
  if (
    isObject(explanation) &&
    finite(explanation.neighbours) &&
    finite(explanation.scam_neighbours) &&
    finite(explanation.nearest_distance)
  ) {
    record.explanation = {
      neighbours: explanation.neighbours,
      scam_neighbours: explanation.scam_neighbours,
      nearest_distance: explanation.nearest_distance,
    };
    const features = explainedFeatures(explanation.features);
    if (features) record.explanation.features = features;
    if (explanation.late === true) record.explanation.late = true;
  }
  // The id of the input record: what makes a redelivered result recognisable. An unusable one is ignored, like
  // an unusable explanation (the result is then counted as results without one are).
  const input = inputRef(value.input);
  if (input) record.input = input;
  return { ok: true, record };
}

/** Parses one calls_scored value (or JSONL line). */
export function parseScoredText(text: string, truthHeader?: 0 | 1, scenarioHeader?: string): Parsed {
  if (text.length > MAX_RESULT_BYTES) return fail(`longer than ${MAX_RESULT_BYTES} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  return validateScored(value, truthHeader, scenarioHeader);
}

/** The old dashboard's CSV columns, in its order; model_version and truth_label are our additions. */
export const CSV_COLUMNS = [
  'call.caller',
  'call.call_duration',
  'call.num_digits',
  'call.hour_of_day',
  'call.freq_calls',
  'call.ts',
  'predicted_label',
  'predicted_proba',
  'processed_ts',
] as const;
export const CSV_EXTRA_COLUMNS = ['model_version', 'truth_label'] as const;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function csvNumber(raw: string | undefined): number | undefined {
  const text = raw?.trim() ?? '';
  return NUMBER.test(text) ? Number(text) : undefined;
}

/** "0" / "1", also as the old pandas export wrote them ("1.0", "True"). */
function csvLabel(raw: string | undefined): 0 | 1 | undefined {
  const text = raw?.trim().toLowerCase() ?? '';
  if (text === '1' || text === '1.0' || text === 'true') return 1;
  if (text === '0' || text === '0.0' || text === 'false') return 0;
  return undefined;
}

/** "[0.2, 0.8]" (a JSON list), "[0.2 0.8]" (numpy's repr) or a lone P(scam). */
function csvProba(raw: string | undefined): [number, number] | undefined {
  const text = raw?.trim() ?? '';
  if (text.startsWith('[') && text.endsWith(']')) {
    const parts = text
      .slice(1, -1)
      .trim()
      .split(/[\s,]+/);
    if (parts.length !== 2) return undefined;
    const [a, b] = parts.map(csvNumber);
    return a === undefined || b === undefined ? undefined : [a, b];
  }
  const p = csvNumber(text);
  return p === undefined ? undefined : [1 - p, p];
}

/** A cell that spreadsheets would run as a formula was written with a leading apostrophe; take it off. */
function csvText(raw: string): string {
  return /^'[=+\-@\t\r]/.test(raw) ? raw.slice(1) : raw;
}

/** Maps a CSV header row to column positions; throws when a required column is missing. */
export function csvHeader(row: readonly string[]): Map<string, number> {
  const index = new Map(row.map((name, i) => [name.trim().replace(/^\uFEFF/, ''), i]));
  const missing = CSV_COLUMNS.filter((name) => !index.has(name));
  if (missing.length > 0) throw new Error(`CSV header lacks ${missing.join(', ')}`);
  return index;
}

/** Validates one CSV data row against a header from `csvHeader`. */
export function parseCsvRow(row: readonly string[], header: Map<string, number>): Parsed {
  const cell = (name: string): string | undefined => {
    const i = header.get(name);
    return i === undefined ? undefined : row[i];
  };
  if (row.length < header.size) return fail(`${row.length} cells, the header has ${header.size}`);
  const call: Record<string, unknown> = { caller: csvText(cell('call.caller') ?? '') };
  for (const name of CALL_NUMBERS) {
    const n = csvNumber(cell(`call.${name}`));
    if (n === undefined) return fail(`"call.${name}" is not a number`);
    call[name] = n;
  }
  const label = csvLabel(cell('predicted_label'));
  if (label === undefined) return fail('"predicted_label" is not 0 or 1');
  const proba = csvProba(cell('predicted_proba'));
  if (!proba) return fail('"predicted_proba" is not [p0, p1]');
  const processed = csvNumber(cell('processed_ts'));
  if (processed === undefined) return fail('"processed_ts" is not a number');
  const version = cell('model_version');
  const truthCell = cell('truth_label');
  const truth = truthCell === undefined || truthCell.trim() === '' ? undefined : csvLabel(truthCell);
  if (truthCell !== undefined && truthCell.trim() !== '' && truth === undefined)
    return fail('"truth_label" is not 0 or 1');
  return validateScored({
    call,
    predicted_label: label,
    predicted_proba: proba,
    processed_ts: processed,
    model_version: version ? csvText(version) : undefined,
    truth_label: truth,
  });
}

/**
 * Splits CSV text (RFC 4180: quoted cells, doubled quotes, newlines inside quotes) into rows, chunk by chunk,
 * so a large recording is never read whole. Each row carries the line it started on.
 */
export class CsvSplitter {
  #cell = '';
  #row: string[] = [];
  #quoted = false;
  #afterQuote = false;
  #line = 1;
  #rowLine = 1;
  #pendingCr = false;
  #rowHasContent = false;

  push(chunk: string): { line: number; cells: string[] }[] {
    const rows: { line: number; cells: string[] }[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i] as string;
      if (this.#pendingCr) {
        this.#pendingCr = false;
        if (ch === '\n') continue;
      }
      if (this.#quoted) {
        if (ch === '"') {
          this.#quoted = false;
          this.#afterQuote = true;
        } else {
          if (ch === '\n') this.#line++;
          this.#cell += ch;
        }
        continue;
      }
      if (ch === '"') {
        // A quote opens a quoted cell, or inside one that just closed, is an escaped quote.
        if (this.#afterQuote) this.#cell += '"';
        this.#quoted = true;
        this.#afterQuote = false;
        this.#rowHasContent = true;
        continue;
      }
      this.#afterQuote = false;
      if (ch === ',') {
        this.#row.push(this.#cell);
        this.#cell = '';
        this.#rowHasContent = true;
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') this.#pendingCr = true;
        this.#endRow(rows);
        this.#line++;
        this.#rowLine = this.#line;
      } else {
        this.#cell += ch;
        this.#rowHasContent = true;
      }
    }
    return rows;
  }

  end(): { line: number; cells: string[] }[] {
    const rows: { line: number; cells: string[] }[] = [];
    this.#endRow(rows);
    return rows;
  }

  #endRow(rows: { line: number; cells: string[] }[]): void {
    if (this.#rowHasContent || this.#cell !== '') {
      this.#row.push(this.#cell);
      rows.push({ line: this.#rowLine, cells: this.#row });
    }
    this.#row = [];
    this.#cell = '';
    this.#rowHasContent = false;
    this.#afterQuote = false;
  }
}

function csvCell(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The buffer as CSV with the old dashboard's columns (plus model_version, truth_label): it replays. */
export function toCsv(records: readonly ScoredRecord[]): string {
  const lines = [[...CSV_COLUMNS, ...CSV_EXTRA_COLUMNS].join(',')];
  for (const r of records) {
    lines.push(
      [
        csvCell(r.call.caller),
        String(r.call.call_duration),
        String(r.call.num_digits),
        String(r.call.hour_of_day),
        String(r.call.freq_calls),
        String(r.call.ts),
        String(r.predicted_label),
        csvCell(`[${r.predicted_proba[0]}, ${r.predicted_proba[1]}]`),
        String(r.processed_ts),
        csvCell(r.model_version),
        r.truth_label === undefined ? '' : String(r.truth_label),
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Strips what the dashboard added (seq, seen_ms): what goes out is a calls_scored value again. */
export function toScoredRecord(view: ResultView | ScoredRecord): ScoredRecord {
  const { seq: _seq, seen_ms: _seen, ...record } = view as ResultView;
  return record;
}

/** The buffer as JSONL of calls_scored values: it replays. */
export function toJsonl(records: readonly ScoredRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
