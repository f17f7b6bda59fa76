import { BEHAVIOUR_FEATURES } from './caller-state.js';
import type { CallFeatures } from './generator.js';
import { PH_MOBILE_PATTERN } from './phone.js';
import type { Score } from './scorer.js';
import { toWireSeconds } from './time.js';

/** Topic names of the old system: clients depend on them. */
export const DEFAULT_TOPICS = { raw: 'calls_raw', scored: 'calls_scored', dlq: 'calls_dlq' } as const;

/** The compacted topic of caller verdicts (one record per change of a caller's verdict, keyed by caller). */
export const DEFAULT_VERDICTS_TOPIC = 'caller_verdicts';

/** Kafka header carrying the generator's true label ("0" or "1"); never part of the features. */
export const TRUTH_HEADER = 'truth_label';

/** A call event on `calls_raw`. Fields beyond these are allowed and travel on untouched. */
export interface CallEvent extends CallFeatures {
  caller: string;
  /** Who was called (the world's events carry it; old-contract events may not). A PH mobile when present. */
  callee?: string;
  /** Float Unix seconds. */
  ts: number;
  [extra: string]: unknown;
}

/** A result on `calls_scored`. The first four fields are the old contract; the rest are additions. */
export interface ScoredEvent {
  call: CallEvent;
  predicted_label: 0 | 1;
  /** [P(not scam), P(scam)] */
  predicted_proba: [number, number];
  /** Float Unix seconds. */
  processed_ts: number;
  model_version: string;
  explanation: { neighbours: number; scam_neighbours: number; nearest_distance: number };
  /** The input record this result answers: a result redelivered after a crash carries the same id, so a
   *  reader can count each input once. Absent on results of processors older than this field. */
  input?: InputId;
  /** The true label when the producer knew it (from the truth header), else absent. */
  truth_label?: 0 | 1;
}

/** Where an input record was read: its topic, partition and offset (unique per record). */
export interface InputId {
  topic: string;
  partition: number;
  offset: number;
}

/** One string per input record, for sets and maps ("topic/partition/offset"). */
export const inputIdKey = (id: InputId): string => `${id.topic}/${id.partition}/${id.offset}`;

/** The wire event for a call's features, its caller and a time in epoch ms (sent as float seconds). */
export function callEvent(features: CallFeatures, caller: string, nowMs: number): CallEvent {
  return {
    call_duration: features.call_duration,
    num_digits: features.num_digits,
    hour_of_day: features.hour_of_day,
    freq_calls: features.freq_calls,
    caller,
    ts: toWireSeconds(nowMs),
  };
}

export const LIMITS = {
  maxValueBytes: 64 * 1024,
  maxDepth: 32,
  callDuration: { min: 0, max: 86_400 },
  numDigits: { min: 1, max: 20 },
  hourOfDay: { min: 0, max: 23 },
  freqCalls: { min: 0, max: 1_000_000 },
  /** 2000-01-01 .. 2100-01-01: catches milliseconds sent where seconds belong. */
  ts: { min: 946_684_800, max: 4_102_444_800 },
} as const;

export const REJECTION_REASONS = [
  'empty_value',
  'too_large',
  'invalid_utf8',
  'invalid_json',
  'not_an_object',
  'too_deep',
  'forbidden_key',
  'missing_field',
  'wrong_type',
  'out_of_range',
  'invalid_caller',
  'invalid_callee',
  'callee_is_caller',
  'key_not_caller',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type ParsedCall =
  | { ok: true; event: CallEvent; text: string }
  | { ok: false; reason: RejectionReason; detail: string };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const reject = (reason: RejectionReason, detail: string): ParsedCall => ({ ok: false, reason, detail });

/** Finds the first nesting or key problem without recursion, so hostile input cannot overflow the stack. */
function structureProblem(root: unknown): ParsedCall | null {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > LIMITS.maxDepth) return reject('too_deep', `nesting deeper than ${LIMITS.maxDepth} levels`);
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return reject('forbidden_key', `key "${key}" is not allowed`);
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return null;
}

type FieldRule = { name: keyof CallFeatures | 'ts'; integer: boolean; min: number; max: number };
const NUMERIC_FIELDS: FieldRule[] = [
  { name: 'call_duration', integer: false, ...LIMITS.callDuration },
  { name: 'num_digits', integer: true, ...LIMITS.numDigits },
  { name: 'hour_of_day', integer: true, ...LIMITS.hourOfDay },
  { name: 'freq_calls', integer: true, ...LIMITS.freqCalls },
  { name: 'ts', integer: false, ...LIMITS.ts },
];

/**
 * The one validator every reader of `calls_raw` uses. Types are checked, never coerced: "12" is not 12.
 * The returned text is the value exactly as received, so results can carry the call untouched.
 */
export function parseCallEvent(value: Uint8Array | null | undefined): ParsedCall {
  if (value == null || value.length === 0) return reject('empty_value', 'the message has no value');
  if (value.length > LIMITS.maxValueBytes) {
    return reject('too_large', `value is ${value.length} bytes, the limit is ${LIMITS.maxValueBytes}`);
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return reject('invalid_utf8', 'value is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return reject('invalid_json', `value is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return reject(
      'not_an_object',
      `value is JSON ${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed}, not an object`,
    );
  }
  const problem = structureProblem(parsed);
  if (problem) return problem;
  const event = parsed as Record<string, unknown>;
  for (const rule of NUMERIC_FIELDS) {
    const field = event[rule.name];
    if (field === undefined) return reject('missing_field', `field "${rule.name}" is missing`);
    if (typeof field !== 'number')
      return reject(
        'wrong_type',
        `field "${rule.name}" must be a number, got ${field === null ? 'null' : typeof field}`,
      );
    if (rule.integer && !Number.isInteger(field))
      return reject('wrong_type', `field "${rule.name}" must be an integer, got ${field}`);
    if (field < rule.min || field > rule.max) {
      return reject('out_of_range', `field "${rule.name}" is ${field}, allowed ${rule.min}..${rule.max}`);
    }
  }
  const caller = event.caller;
  if (caller === undefined) return reject('missing_field', 'field "caller" is missing');
  if (typeof caller !== 'string')
    return reject(
      'wrong_type',
      `field "caller" must be a string, got ${caller === null ? 'null' : typeof caller}`,
    );
  if (!PH_MOBILE_PATTERN.test(caller))
    return reject('invalid_caller', 'field "caller" must be a PH mobile number: "09" and 9 digits');
  const callee = event.callee;
  if (callee !== undefined) {
    if (typeof callee !== 'string')
      return reject(
        'wrong_type',
        `field "callee" must be a string, got ${callee === null ? 'null' : typeof callee}`,
      );
    if (!PH_MOBILE_PATTERN.test(callee))
      return reject('invalid_callee', 'field "callee" must be a PH mobile number: "09" and 9 digits');
    if (callee === caller)
      return reject('callee_is_caller', 'field "callee" equals "caller": a number does not call itself');
  }
  return { ok: true, event: event as CallEvent, text };
}

/**
 * Whether a record's key is its event's caller, byte for byte (no allocation: this runs for every event). Kafka
 * places a record by its key, so a call whose key is not its caller (or that has no key) lands in another
 * partition than the caller's other calls and would split the caller's state between two processors.
 */
export function keyIsCaller(key: Uint8Array | null | undefined, caller: string): boolean {
  if (key == null || key.length !== caller.length) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== caller.charCodeAt(i)) return false;
  return true;
}

/** Reads the truth header's value: 0, 1, or undefined when absent or unreadable. */
export function parseTruth(header: string | Uint8Array | undefined): 0 | 1 | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === 'string' ? header : Buffer.from(header).toString('utf8');
  return text === '1' ? 1 : text === '0' ? 0 : undefined;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** The caller's features a result's explanation carries (BEHAVIOUR_FEATURES up to the call's own fields). */
export const EXPLAINED_FEATURES = BEHAVIOUR_FEATURES.slice(0, BEHAVIOUR_FEATURES.indexOf('call_duration'));

/** What the processor adds to a result's explanation beyond the neighbours: the caller's features. */
export interface ExplanationExtras {
  /** The features of the call, BEHAVIOUR_FEATURES order (only the caller's are written). */
  features: ArrayLike<number>;
  /** The event was later than the feature module's lateness bound (counted into the current bucket). */
  late: boolean;
}

const jsonNumber = (value: number): string => (Number.isFinite(value) ? String(value) : 'null');

/**
 * Serialises one result. The call goes out as the exact text received (it was validated as a JSON object),
 * which keeps extra fields and number formatting untouched and skips a second stringify. Feature values are
 * written in full (shortest round-trip form), so a reader gets exactly the float the feature module computed.
 */
export function serializeScored(
  callText: string,
  score: Score,
  processedTs: number,
  modelVersion: string,
  truth: 0 | 1 | undefined,
  extras?: ExplanationExtras,
  input?: InputId,
): string {
  const pScam = round(score.probability, 6);
  const proba = `[${round(1 - pScam, 6)},${pScam}]`;
  let explanation = `{"neighbours":${score.neighbours},"scam_neighbours":${score.scamNeighbours},"nearest_distance":${jsonNumber(round(score.nearestDistance, 6))}`;
  if (extras) {
    let features = '';
    for (let i = 0; i < EXPLAINED_FEATURES.length; i++) {
      features += `${i === 0 ? '' : ','}"${EXPLAINED_FEATURES[i]}":${jsonNumber(extras.features[i] as number)}`;
    }
    explanation += `,"features":{${features}}${extras.late ? ',"late":true' : ''}`;
  }
  explanation += '}';
  const inputPart =
    input === undefined
      ? ''
      : `,"input":{"topic":${JSON.stringify(input.topic)},"partition":${input.partition},"offset":${input.offset}}`;
  const truthPart = truth === undefined ? '' : `,"truth_label":${truth}`;
  return `{"call":${callText},"predicted_label":${score.label},"predicted_proba":${proba},"processed_ts":${processedTs},"model_version":${JSON.stringify(modelVersion)},"explanation":${explanation}${inputPart}${truthPart}}`;
}

/**
 * A record of `caller_verdicts` (compacted, key = caller): written each time a caller's verdict changes, never
 * once per call. A caller is flagged by its first call the model flags, and cleared after CLEAR_AFTER_CLEAN_CALLS
 * calls in a row that it does not flag (hysteresis: one clean call does not clear a scammer). A caller evicted
 * for idleness gets a tombstone (null value), which removes it from the compacted topic.
 */
export interface CallerVerdict {
  caller: string;
  verdict: 'flagged' | 'cleared';
  /** Event time of the call that changed the verdict, float Unix seconds. */
  changed_ts: number;
  /** Event time of the call that flagged the caller in this episode (on a clearing record too). */
  first_flagged_ts: number;
  /** The caller's calls from the one that flagged it to the one that changed the verdict, both counted. */
  calls_since_flagged: number;
  /** P(scam) of the call that changed the verdict. */
  score: number;
  model_version: string;
  /** Float Unix seconds. */
  processed_ts: number;
  /** The caller's features at that call (EXPLAINED_FEATURES): the evidence. */
  features: Record<string, number | null>;
  /** The input record of the call that changed the verdict. */
  input: InputId;
}

/** Calls in a row the model does not flag before a flagged caller is cleared. */
export const CLEAR_AFTER_CLEAN_CALLS = 3;

export function serializeVerdict(verdict: CallerVerdict): string {
  return JSON.stringify(verdict);
}

/** Reads a `caller_verdicts` value; undefined for a tombstone; throws on anything that is not a verdict. */
export function parseVerdict(value: Uint8Array | string | null | undefined): CallerVerdict | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  if (text.length === 0) return undefined;
  const parsed = JSON.parse(text) as Partial<CallerVerdict> | null;
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    typeof parsed.caller !== 'string' ||
    (parsed.verdict !== 'flagged' && parsed.verdict !== 'cleared') ||
    typeof parsed.changed_ts !== 'number' ||
    typeof parsed.first_flagged_ts !== 'number' ||
    typeof parsed.calls_since_flagged !== 'number' ||
    typeof parsed.score !== 'number' ||
    typeof parsed.features !== 'object' ||
    parsed.features === null ||
    typeof parsed.input !== 'object' ||
    parsed.input === null
  ) {
    throw new Error(
      'not a caller verdict: caller, verdict, changed_ts, first_flagged_ts, calls_since_flagged, score, features and input are required',
    );
  }
  return parsed as CallerVerdict;
}
