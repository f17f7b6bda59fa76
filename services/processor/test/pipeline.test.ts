import { Scorer, TRUTH_HEADER } from '@scam-detector/core';
import type { ConsumedRecord } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { processRecords } from '../src/pipeline.js';
import { sealedModel } from './models.js';

const scorer = new Scorer(sealedModel(3).model);
const topics = { output: 'out', dlq: 'dlq' };
let offset = 0;
const record = (value: string | Buffer | null, headers: Record<string, Buffer> = {}): ConsumedRecord => ({
  topic: 'in',
  partition: 0,
  offset: String(offset++),
  key: Buffer.from('key'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  headers,
  timestampMs: 0,
});
const call = {
  call_duration: 12.5,
  num_digits: 11,
  hour_of_day: 2,
  freq_calls: 6,
  caller: '09171234567',
  ts: 1.7e9,
};

describe('processRecords', () => {
  it('scores valid calls with the model, keyed by caller, in input order with dead letters between', () => {
    const text = JSON.stringify({ ...call, extra: { kept: true } });
    const outcome = processRecords(
      [record(text, { [TRUTH_HEADER]: Buffer.from('1') }), record('{oops'), record(JSON.stringify(call))],
      scorer,
      topics,
      1_700_000_000_500,
      1_000_000,
    );
    expect(outcome.records.map((r) => r.topic)).toEqual(['out', 'dlq', 'out']);
    expect(outcome.scored).toBe(2);
    expect(outcome.rejected).toEqual({ invalid_json: 1 });
    const first = outcome.records[0];
    expect(first?.key).toBe('09171234567');
    expect(first?.headers?.[TRUTH_HEADER]).toEqual(Buffer.from('1'));
    const result = JSON.parse(first?.value as string);
    const expected = scorer.score(call);
    expect(result.call).toEqual({ ...call, extra: { kept: true } });
    expect(result.predicted_label).toBe(expected.label);
    expect(result.predicted_proba[1]).toBeCloseTo(expected.probability, 6);
    expect(result.processed_ts).toBe(1_700_000_000.5);
    expect(result.model_version).toBe(scorer.version);
    expect(result.truth_label).toBe(1);
    expect(outcome.records[2]?.headers).toBeUndefined();
    expect(JSON.parse(outcome.records[2]?.value as string).truth_label).toBeUndefined();
  });

  it('does not let a bad record change the result of the good records around it', () => {
    const good = JSON.stringify(call);
    const alone = processRecords([record(good)], scorer, topics, 0, 1_000_000);
    const mixed = processRecords(
      [record('{"__proto__":{"polluted":1}}'), record(good), record(null)],
      scorer,
      topics,
      0,
      1_000_000,
    );
    expect(mixed.rejected).toEqual({ forbidden_key: 1, empty_value: 1 });
    expect(mixed.records[1]?.value).toBe(alone.records[0]?.value);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('handles a batch with no valid record', () => {
    const outcome = processRecords([record('[]')], scorer, topics, 0, 1_000_000);
    expect(outcome.scored).toBe(0);
    expect(outcome.records).toHaveLength(1);
    expect(outcome.records[0]?.headers?.['__connect.errors.exception.class.name']).toBe('not_an_object');
  });
});
