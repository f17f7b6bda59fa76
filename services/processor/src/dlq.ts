import type { RejectionReason } from '@scam-detector/core';
import { type ConsumedRecord, estimateRecordBytes, type ProducedRecord } from '@scam-detector/transport';

/**
 * Dead letters follow Kafka Connect's convention (errors.deadletterqueue.context.headers.enable=true): the
 * original key, value and headers unchanged, plus `__connect.errors.*` headers saying where the record came
 * from and why it failed. Tools built for Connect DLQs (replay, inspection) read ours as they are.
 */
export const DLQ_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  connector: '__connect.errors.connector.name',
  stage: '__connect.errors.stage',
  className: '__connect.errors.class.name',
  exceptionClass: '__connect.errors.exception.class.name',
  exceptionMessage: '__connect.errors.exception.message',
  /** Ours, not Connect's: set only when the original value had to be dropped (see below). */
  valueDropped: 'scam_detector.errors.value.dropped',
} as const;

export const DLQ_CONNECTOR_NAME = 'scam-detector-processor';
/** Validation is where Connect's value converter would fail. */
export const DLQ_STAGE = 'VALUE_CONVERTER';
export const DLQ_VALIDATOR = '@scam-detector/core.parseCallEvent';

/** The headers describing one rejection; the reason code is the exception class, the detail its message. */
export function dlqErrorHeaders(
  record: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>,
  reason: RejectionReason,
  detail: string,
): Record<string, string> {
  return {
    [DLQ_HEADERS.topic]: record.topic,
    [DLQ_HEADERS.partition]: String(record.partition),
    [DLQ_HEADERS.offset]: record.offset,
    [DLQ_HEADERS.connector]: DLQ_CONNECTOR_NAME,
    [DLQ_HEADERS.stage]: DLQ_STAGE,
    [DLQ_HEADERS.className]: DLQ_VALIDATOR,
    [DLQ_HEADERS.exceptionClass]: reason,
    [DLQ_HEADERS.exceptionMessage]: detail,
  };
}

/**
 * The dead letter for one rejected record. If the original plus our headers would not fit in one produce
 * request (an input just under the broker's limit), the value is dropped and its size recorded instead:
 * a dead letter that can never be written would block its partition forever.
 */
export function dlqRecord(
  record: ConsumedRecord,
  reason: RejectionReason,
  detail: string,
  dlqTopic: string,
  maxRecordBytes: number,
): ProducedRecord {
  const headers: Record<string, string | Buffer> = {
    ...record.headers,
    ...dlqErrorHeaders(record, reason, detail),
  };
  const letter: ProducedRecord = { topic: dlqTopic, key: record.key, value: record.value, headers };
  if (estimateRecordBytes(letter) <= maxRecordBytes) return letter;
  headers[DLQ_HEADERS.valueDropped] = `${record.value?.length ?? 0} bytes`;
  return { topic: dlqTopic, key: record.key, value: null, headers };
}
