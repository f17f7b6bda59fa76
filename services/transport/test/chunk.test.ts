import { describe, expect, it } from 'vitest';
import { chunkRecords, estimateRecordBytes } from '../src/chunk.js';
import type { ProducedRecord } from '../src/types.js';

const record = (bytes: number, key = 'k'): ProducedRecord => ({
  topic: 't',
  key,
  value: Buffer.alloc(bytes),
});

describe('chunkRecords', () => {
  it('keeps every record, in order, and each chunk within the byte budget', () => {
    const records = Array.from({ length: 500 }, (_, i) => record(100 + (i % 7) * 50, String(i)));
    const chunks = chunkRecords(records, 10_000);
    expect(chunks.flat()).toEqual(records);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.reduce((sum, r) => sum + estimateRecordBytes(r), 0)).toBeLessThanOrEqual(10_000);
    }
  });

  it('sends a record bigger than the budget alone instead of merging it', () => {
    const chunks = chunkRecords([record(10), record(50_000), record(10)], 1000);
    expect(chunks.map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('caps records per chunk', () => {
    expect(
      chunkRecords(
        Array.from({ length: 25 }, () => record(1)),
        1e9,
        10,
      ).map((c) => c.length),
    ).toEqual([10, 10, 5]);
  });

  it('counts headers and multi-byte strings in the estimate', () => {
    const plain = estimateRecordBytes({ topic: 't', key: null, value: 'é' });
    expect(plain).toBe(estimateRecordBytes({ topic: 't', key: null, value: 'ab' }));
    const withHeader = estimateRecordBytes({ topic: 't', key: null, value: 'é', headers: { h: 'xyz' } });
    expect(withHeader).toBeGreaterThan(plain + 3);
  });

  it('returns no chunks for no records', () => {
    expect(chunkRecords([])).toEqual([]);
  });
});
