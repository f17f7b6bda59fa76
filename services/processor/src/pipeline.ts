import {
  BEHAVIOUR_FEATURES,
  type CallEvent,
  type CallerStates,
  type CallerVerdict,
  CLEAR_AFTER_CLEAN_CALLS,
  EXPLAINED_FEATURES,
  fromWireSeconds,
  type InputId,
  keyIsCaller,
  parseCallEvent,
  parseTruth,
  type RejectionReason,
  SCENARIO_HEADER,
  type Score,
  serializeScored,
  serializeVerdict,
  TRUTH_HEADER,
  toWireSeconds,
} from '@scam-detector/core';
import type { ConsumedRecord, ProducedRecord } from '@scam-detector/transport';
import type { CallScorer } from './call-scorer.js';
import { dlqRecord } from './dlq.js';

export interface PipelineTopics {
  output: string;
  dlq: string;
  /** Where caller verdict changes go (compacted, keyed by caller); none are written when absent. */
  verdicts?: string;
}

export interface BatchOutcome {
  /** Results and dead letters, in input order, then the batch's verdict changes. */
  records: ProducedRecord[];
  scored: number;
  /** Scored events flagged as scams (predicted label 1). */
  flagged: number;
  rejected: Partial<Record<RejectionReason, number>>;
  /** Valid events later than the feature module's lateness bound (counted into the caller's current bucket). */
  late: number;
  /** Valid events whose offset the caller's state had already applied (a redelivered batch): not counted twice. */
  redelivered: number;
  /** Callers flagged and cleared by this batch (one verdict record each). */
  verdicts: { flagged: number; cleared: number };
  /** The callers whose state this batch changed (every valid event's caller). */
  callers: Set<string>;
  /** The latest event time (ms) of the batch's valid events, or -Infinity. */
  latestEventMs: number;
  featuresMs: number;
  scoringMs: number;
}

/** A batch after validation: its valid events (with their callers) and its dead letters. */
export interface ParsedBatch {
  records: readonly ConsumedRecord[];
  /** Dead letters by input position (undefined for a valid event). */
  dead: (ProducedRecord | undefined)[];
  rejected: Partial<Record<RejectionReason, number>>;
  events: CallEvent[];
  texts: string[];
  /** Input position of each valid event. */
  positions: number[];
  /** The valid events' callers, each once. */
  callers: Set<string>;
}

const WIDTH = BEHAVIOUR_FEATURES.length;

/** Why a call must be keyed by its caller, said in its dead letter. */
const INPUT_KEY_RULE =
  "calls_raw is keyed by the caller, so that all of a caller's calls reach the one processor that keeps its state";

/**
 * Validates a batch (one input partition): invalid events, and valid ones not keyed by their caller (they would
 * split the caller's state between partitions), become dead letters with their reason.
 */
export function parseBatch(
  records: readonly ConsumedRecord[],
  dlqTopic: string,
  maxRecordBytes: number,
): ParsedBatch {
  const dead = new Array<ProducedRecord | undefined>(records.length);
  const rejected: Partial<Record<RejectionReason, number>> = {};
  const events: CallEvent[] = [];
  const texts: string[] = [];
  const positions: number[] = [];
  const callers = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ConsumedRecord;
    const parsed = parseCallEvent(record.value);
    if (!parsed.ok) {
      rejected[parsed.reason] = (rejected[parsed.reason] ?? 0) + 1;
      dead[i] = dlqRecord(record, parsed.reason, parsed.detail, dlqTopic, maxRecordBytes);
      continue;
    }
    if (!keyIsCaller(record.key, parsed.event.caller)) {
      rejected.key_not_caller = (rejected.key_not_caller ?? 0) + 1;
      const key =
        record.key === null ? 'no key' : `key ${JSON.stringify(record.key.toString('utf8').slice(0, 64))}`;
      dead[i] = dlqRecord(
        record,
        'key_not_caller',
        `the record has ${key}, not its caller ${parsed.event.caller}: ${INPUT_KEY_RULE}`,
        dlqTopic,
        maxRecordBytes,
      );
      continue;
    }
    events.push(parsed.event);
    texts.push(parsed.text);
    positions.push(i);
    callers.add(parsed.event.caller);
  }
  return { records, dead, rejected, events, texts, positions, callers };
}

/** The callers of a parsed batch, each once (what a store must have loaded before `scoreBatch`). */
export function batchCallers(batch: ParsedBatch): string[] {
  return [...batch.callers];
}

/**
 * A validated batch through caller features → score → serialise. Pure apart from the clock passed in and the
 * partition's caller states it updates: the scorer is chosen by the caller once per batch, so a model swap never
 * splits a batch between two models. Every valid call updates its caller's state with its input offset (so a
 * redelivered batch is recognised and not counted twice), and its features go into the result's explanation
 * whichever model scores it. Every result carries its input record's id. An applied call that changes its
 * caller's verdict (flagged, or cleared after clean calls in a row) adds one record to the verdicts topic; a
 * redelivered call changes no verdict (its state, verdict included, is already past it).
 */
export function scoreBatch(
  batch: ParsedBatch,
  scorer: CallScorer,
  states: CallerStates,
  topics: PipelineTopics,
  nowMs: number,
): BatchOutcome {
  const { records, events, texts, positions } = batch;
  const out = batch.dead.slice();
  const verdictRecords: ProducedRecord[] = [];
  const verdicts = { flagged: 0, cleared: 0 };
  const features = new Float64Array(WIDTH * Math.max(1, events.length));
  // One view per event, made once (the views are what every step below reads and writes).
  const views = new Array<Float64Array>(events.length);
  const lateFlags = new Array<boolean>(events.length);
  const appliedFlags = new Array<boolean>(events.length);
  let late = 0;
  let redelivered = 0;
  let latestEventMs = Number.NEGATIVE_INFINITY;
  const featuresBegan = performance.now();
  for (let j = 0; j < events.length; j++) {
    const event = events[j] as CallEvent;
    const record = records[positions[j] as number] as ConsumedRecord;
    const view = features.subarray(j * WIDTH, (j + 1) * WIDTH);
    views[j] = view;
    const result = states.update(event.caller, event, Number(record.offset), view);
    if (result.late) late++;
    if (!result.applied) redelivered++;
    lateFlags[j] = result.late;
    appliedFlags[j] = result.applied;
    const eventMs = fromWireSeconds(event.ts);
    if (eventMs > latestEventMs) latestEventMs = eventMs;
  }
  const featuresMs = performance.now() - featuresBegan;
  const began = performance.now();
  const scores = new Array<Score>(events.length);
  for (let j = 0; j < events.length; j++) {
    scores[j] = scorer.score(events[j] as CallEvent, views[j] as Float64Array);
  }
  const scoringMs = performance.now() - began;
  const processedTs = toWireSeconds(nowMs);
  let flagged = 0;
  for (let j = 0; j < events.length; j++) {
    const i = positions[j] as number;
    const score = scores[j] as Score;
    if (score.label === 1) flagged++;
    const record = records[i] as ConsumedRecord;
    const event = events[j] as CallEvent;
    const input: InputId = {
      topic: record.topic,
      partition: record.partition,
      offset: Number(record.offset),
    };
    const callFeatures = views[j] as Float64Array;
    const truthHeader = record.headers[TRUTH_HEADER];
    const scenarioHeader = record.headers[SCENARIO_HEADER];
    const value = serializeScored(
      texts[j] as string,
      score,
      processedTs,
      scorer.version,
      parseTruth(truthHeader),
      { features: callFeatures, late: lateFlags[j] as boolean },
      input,
    );
    const caller = event.caller;
    const headers: Record<string, string | Buffer> = {};
    if (truthHeader) headers[TRUTH_HEADER] = truthHeader;
    if (scenarioHeader) headers[SCENARIO_HEADER] = scenarioHeader;
    out[i] =
      truthHeader || scenarioHeader
        ? { topic: topics.output, key: caller, value, headers }
        : { topic: topics.output, key: caller, value };
    if (!topics.verdicts || !appliedFlags[j]) continue;
    const change = states.judge(
      caller,
      score.label === 1,
      fromWireSeconds(event.ts),
      CLEAR_AFTER_CLEAN_CALLS,
    );
    if (!change) continue;
    verdicts[change.verdict]++;
    verdictRecords.push({
      topic: topics.verdicts,
      key: caller,
      value: serializeVerdict(
        verdictOf(caller, change, event, score, callFeatures, scorer.version, processedTs, input),
      ),
    });
  }
  return {
    records: [...(out as ProducedRecord[]), ...verdictRecords],
    scored: events.length,
    flagged,
    rejected: batch.rejected,
    late,
    redelivered,
    verdicts,
    callers: batch.callers,
    latestEventMs,
    featuresMs,
    scoringMs,
  };
}

function verdictOf(
  caller: string,
  change: NonNullable<ReturnType<CallerStates['judge']>>,
  event: CallEvent,
  score: Score,
  features: Float64Array,
  modelVersion: string,
  processedTs: number,
  input: InputId,
): CallerVerdict {
  const evidence: Record<string, number | null> = {};
  EXPLAINED_FEATURES.forEach((name, i) => {
    const value = features[i] as number;
    evidence[name] = Number.isFinite(value) ? value : null;
  });
  return {
    caller,
    verdict: change.verdict,
    changed_ts: event.ts,
    first_flagged_ts: toWireSeconds(change.firstFlaggedMs),
    calls_since_flagged: change.callsSinceFlagged,
    score: Number(score.probability.toFixed(6)),
    model_version: modelVersion,
    processed_ts: processedTs,
    features: evidence,
    input,
  };
}

/** One batch through validation and scoring in one call (states already at hand: memory, tests). */
export function processRecords(
  records: readonly ConsumedRecord[],
  scorer: CallScorer,
  states: CallerStates,
  topics: PipelineTopics,
  nowMs: number,
  maxRecordBytes: number,
): BatchOutcome {
  return scoreBatch(parseBatch(records, topics.dlq, maxRecordBytes), scorer, states, topics, nowMs);
}
