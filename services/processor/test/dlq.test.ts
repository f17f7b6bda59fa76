import type { ConsumedRecord } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, dlqErrorHeaders, dlqRecord } from '../src/dlq.js';

const input: ConsumedRecord = {
  topic: 'calls_raw',
  partition: 4,
  offset: '12345678901',
  key: Buffer.from([0xff, 0x00, 0x41]),
  value: Buffer.from([0xc3, 0x28, 0x7b]),
  headers: { truth_label: Buffer.from('1') },
  timestampMs: 0,
};

describe('dead letters', () => {
  it('carry the source topic, partition, offset and the reason as Connect error headers', () => {
    expect(dlqErrorHeaders(input, 'invalid_utf8', 'value is not valid UTF-8')).toMatchObject({
      '__connect.errors.topic': 'calls_raw',
      '__connect.errors.partition': '4',
      '__connect.errors.offset': '12345678901',
      '__connect.errors.exception.class.name': 'invalid_utf8',
      '__connect.errors.exception.message': 'value is not valid UTF-8',
    });
  });

  it('keep the original key, value and headers byte for byte', () => {
    const letter = dlqRecord(input, 'invalid_utf8', 'bad', 'calls_dlq', 1_000_000);
    expect(letter.topic).toBe('calls_dlq');
    expect(Buffer.compare(letter.key as Buffer, input.key as Buffer)).toBe(0);
    expect(Buffer.compare(letter.value as Buffer, input.value as Buffer)).toBe(0);
    expect(letter.headers?.truth_label).toEqual(Buffer.from('1'));
  });

  it('drop a value that could never be written, saying how big it was', () => {
    const huge = { ...input, value: Buffer.alloc(2000, 0x61) };
    const letter = dlqRecord(huge, 'too_large', 'too big', 'calls_dlq', 1500);
    expect(letter.value).toBeNull();
    expect(letter.headers?.[DLQ_HEADERS.valueDropped]).toBe('2000 bytes');
    expect(letter.headers?.[DLQ_HEADERS.exceptionClass]).toBe('too_large');
  });
});
