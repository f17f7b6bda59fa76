import type { ProducedRecord } from './types.js';

/**
 * kafkajs sends everything given to one `send` as one request and never splits it, while the broker rejects a
 * request holding more than `message.max.bytes` (1 MiB by default) for one partition: one oversized send
 * fails every record in it. So every send is cut into chunks whose estimated size stays under a budget.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

/** Per-record framing in a v2 record batch (varints, attributes, deltas), rounded up. */
const RECORD_OVERHEAD_BYTES = 32;

const byteLength = (data: string | Buffer | null | undefined): number =>
  data == null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

/** An upper estimate of a record's size on the wire. */
export function estimateRecordBytes(record: ProducedRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(record.key) + byteLength(record.value);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    bytes += 8 + Buffer.byteLength(name) + byteLength(value);
  }
  return bytes;
}

/**
 * Records per request. Encoding a request is synchronous, so a cap keeps each stretch of event-loop time
 * short (heartbeats, HTTP probes and other partitions' batches get their turn); with results of ~300 bytes the
 * byte budget allows ~3,000 anyway. (kafkajs's own grouping was quadratic in this number: see kafkajs-patch.ts.)
 */
export const DEFAULT_MAX_REQUEST_RECORDS = 2000;

/**
 * Splits records, in order, into chunks of at most `maxBytes` estimated bytes and `maxRecords` records. A
 * record larger than the budget travels alone (the broker then decides; it is never merged with others).
 */
export function chunkRecords<R extends ProducedRecord>(
  records: readonly R[],
  maxBytes = DEFAULT_MAX_REQUEST_BYTES,
  maxRecords = DEFAULT_MAX_REQUEST_RECORDS,
): R[][] {
  const chunks: R[][] = [];
  let current: R[] = [];
  let currentBytes = 0;
  for (const record of records) {
    const bytes = estimateRecordBytes(record);
    if (current.length > 0 && (currentBytes + bytes > maxBytes || current.length >= maxRecords)) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(record);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
