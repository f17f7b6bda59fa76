import {
  type CallEvent,
  parseCallEvent,
  parseTruth,
  type RejectionReason,
  type Scorer,
  serializeScored,
  TRUTH_HEADER,
  toWireSeconds,
} from '@scam-detector/core';
import type { ConsumedRecord, ProducedRecord } from '@scam-detector/transport';
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
  scoringMs: number;
}

/**
 * One batch through validate → score → serialise. Pure apart from the clock passed in: the scorer is chosen
 * by the caller once per batch, so a model swap never splits a batch between two models.
 */
export function processRecords(
  records: readonly ConsumedRecord[],
  scorer: Scorer,
  topics: PipelineTopics,
  nowMs: number,
  maxRecordBytes: number,
): BatchOutcome {
  const out = new Array<ProducedRecord | undefined>(records.length);
  const rejected: Partial<Record<RejectionReason, number>> = {};
  const events: CallEvent[] = [];
  const texts: string[] = [];
  const positions: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ConsumedRecord;
    const parsed = parseCallEvent(record.value);
    if (parsed.ok) {
      events.push(parsed.event);
      texts.push(parsed.text);
      positions.push(i);
    } else {
      rejected[parsed.reason] = (rejected[parsed.reason] ?? 0) + 1;
      out[i] = dlqRecord(record, parsed.reason, parsed.detail, topics.dlq, maxRecordBytes);
    }
  }
  const began = performance.now();
  const scores = scorer.scoreBatch(events);
  const scoringMs = performance.now() - began;
  const processedTs = toWireSeconds(nowMs);
  let flagged = 0;
  for (let j = 0; j < events.length; j++) {
    const i = positions[j] as number;
    if ((scores[j] as ReturnType<Scorer['score']>).label === 1) flagged++;
    const record = records[i] as ConsumedRecord;
    const truthHeader = record.headers[TRUTH_HEADER];
    const value = serializeScored(
      texts[j] as string,
      scores[j] as ReturnType<Scorer['score']>,
      processedTs,
      scorer.version,
      parseTruth(truthHeader),
    );
    const caller = (events[j] as CallEvent).caller;
    out[i] = truthHeader
      ? { topic: topics.output, key: caller, value, headers: { [TRUTH_HEADER]: truthHeader } }
      : { topic: topics.output, key: caller, value };
  }
  return { records: out as ProducedRecord[], scored: events.length, flagged, rejected, scoringMs };
}
