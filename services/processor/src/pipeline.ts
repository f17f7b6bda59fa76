import {
  BEHAVIOUR_FEATURES,
  type CallEvent,
  type CallerStates,
  parseCallEvent,
  parseTruth,
  type RejectionReason,
  SCENARIO_HEADER,
  type Score,
  serializeScored,
  TRUTH_HEADER,
  toWireSeconds,
} from '@scam-detector/core';
import type { ConsumedRecord, ProducedRecord } from '@scam-detector/transport';
import type { CallScorer } from './call-scorer.js';
import { dlqRecord } from './dlq.js';

export interface PipelineTopics {
  output: string;
  dlq: string;
}

export interface BatchOutcome {
  /** Results and dead letters, in input order. */
  records: ProducedRecord[];
  scored: number;
  /** Scored events flagged as scams (predicted label 1). */
  flagged: number;
  rejected: Partial<Record<RejectionReason, number>>;
  /** Valid events later than the feature module's lateness bound (counted into the caller's current bucket). */
  late: number;
  /** Valid events whose offset the caller's state had already applied (a redelivered batch): not counted twice. */
  redelivered: number;
  featuresMs: number;
  scoringMs: number;
}

const WIDTH = BEHAVIOUR_FEATURES.length;

/**
 * One batch (one input partition) through validate → caller features → score → serialise. Pure apart from the
 * clock passed in and the partition's caller states it updates: the scorer is chosen by the caller once per
 * batch, so a model swap never splits a batch between two models. Every valid call updates its caller's state
 * with its input offset (so a redelivered batch is recognised and not counted twice), and its features go
 * into the result's explanation whichever model scores it.
 */
export function processRecords(
  records: readonly ConsumedRecord[],
  scorer: CallScorer,
  states: CallerStates,
  topics: PipelineTopics,
  nowMs: number,
  maxRecordBytes: number,
): BatchOutcome {
  const out = new Array<ProducedRecord | undefined>(records.length);
  const rejected: Partial<Record<RejectionReason, number>> = {};
  const events: CallEvent[] = [];
  const texts: string[] = [];
  const positions: number[] = [];
  const lateFlags: boolean[] = [];
  let features = new Float64Array(WIDTH * 64);
  let late = 0;
  let redelivered = 0;
  const featuresBegan = performance.now();
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ConsumedRecord;
    const parsed = parseCallEvent(record.value);
    if (!parsed.ok) {
      rejected[parsed.reason] = (rejected[parsed.reason] ?? 0) + 1;
      out[i] = dlqRecord(record, parsed.reason, parsed.detail, topics.dlq, maxRecordBytes);
      continue;
    }
    const j = events.length;
    if ((j + 1) * WIDTH > features.length) {
      const grown = new Float64Array(features.length * 2);
      grown.set(features);
      features = grown;
    }
    const event = parsed.event;
    const result = states.update(event.caller, event, Number(record.offset), features.subarray(j * WIDTH));
    if (result.late) late++;
    if (!result.applied) redelivered++;
    events.push(event);
    texts.push(parsed.text);
    positions.push(i);
    lateFlags.push(result.late);
  }
  const featuresMs = performance.now() - featuresBegan;
  const began = performance.now();
  const scores = new Array<Score>(events.length);
  for (let j = 0; j < events.length; j++) {
    scores[j] = scorer.score(events[j] as CallEvent, features.subarray(j * WIDTH, (j + 1) * WIDTH));
  }
  const scoringMs = performance.now() - began;
  const processedTs = toWireSeconds(nowMs);
  let flagged = 0;
  for (let j = 0; j < events.length; j++) {
    const i = positions[j] as number;
    if ((scores[j] as Score).label === 1) flagged++;
    const record = records[i] as ConsumedRecord;
    const truthHeader = record.headers[TRUTH_HEADER];
    const scenarioHeader = record.headers[SCENARIO_HEADER];
    const value = serializeScored(
      texts[j] as string,
      scores[j] as Score,
      processedTs,
      scorer.version,
      parseTruth(truthHeader),
      { features: features.subarray(j * WIDTH, (j + 1) * WIDTH), late: lateFlags[j] as boolean },
    );
    const caller = (events[j] as CallEvent).caller;
    const headers: Record<string, string | Buffer> = {};
    if (truthHeader) headers[TRUTH_HEADER] = truthHeader;
    if (scenarioHeader) headers[SCENARIO_HEADER] = scenarioHeader;
    out[i] =
      truthHeader || scenarioHeader
        ? { topic: topics.output, key: caller, value, headers }
        : { topic: topics.output, key: caller, value };
  }
  return {
    records: out as ProducedRecord[],
    scored: events.length,
    flagged,
    rejected,
    late,
    redelivered,
    featuresMs,
    scoringMs,
  };
}
