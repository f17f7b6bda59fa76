import { CallerStates, featureRecord, SCENARIO_HEADER, Scorer, TRUTH_HEADER } from '@scam-detector/core';
import type { ConsumedRecord } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { type CallScorer, prototypeScorer } from '../src/call-scorer.js';
import { processRecords as processWith } from '../src/pipeline.js';
import { sealedModel } from './models.js';

const model = sealedModel(3).model;
const scorer = new Scorer(model);
const served = prototypeScorer(model);
/** Each call of the old tests on fresh caller states (they test one batch at a time). */
const processRecords = (
  records: Parameters<typeof processWith>[0],
  _scorer: Scorer,
  topics: Parameters<typeof processWith>[3],
  nowMs: number,
  maxRecordBytes: number,
) => processWith(records, served, new CallerStates(), topics, nowMs, maxRecordBytes);
const topics = { output: 'out', dlq: 'dlq' };
let offset = 0;
/** A record keyed as the contract says, by its caller (or `key` when given). */
const record = (
  value: string | Buffer | null,
  headers: Record<string, Buffer> = {},
  key: Buffer | null = Buffer.from(callerOf(value) ?? 'key'),
): ConsumedRecord => ({
  topic: 'in',
  partition: 0,
  offset: String(offset++),
  key,
  value: typeof value === 'string' ? Buffer.from(value) : value,
  headers,
  timestampMs: 0,
});
function callerOf(value: string | Buffer | null): string | undefined {
  try {
    const caller = (JSON.parse(String(value)) as { caller?: unknown }).caller;
    return typeof caller === 'string' ? caller : undefined;
  } catch {
    return undefined;
  }
}
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
    // The same result but for the input id it answers (another offset).
    const { input: mixedInput, ...mixedResult } = JSON.parse(mixed.records[1]?.value as string);
    const { input: aloneInput, ...aloneResult } = JSON.parse(alone.records[0]?.value as string);
    expect(mixedResult).toEqual(aloneResult);
    expect(mixedInput.offset).toBe(aloneInput.offset + 2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("dead-letters a valid call not keyed by its caller (it would split the caller's state), or calling itself; the rest of the batch is scored", () => {
    const good = JSON.stringify(call);
    const self = JSON.stringify({ ...call, callee: call.caller });
    const outcome = processRecords(
      [
        record(good),
        record(good, {}, Buffer.from('09179999999')),
        record(good, {}, null),
        record(self),
        record(good),
      ],
      scorer,
      topics,
      0,
      1_000_000,
    );
    expect(outcome.records.map((r) => r.topic)).toEqual(['out', 'dlq', 'dlq', 'dlq', 'out']);
    expect(outcome.rejected).toEqual({ key_not_caller: 2, callee_is_caller: 1 });
    const reason = (i: number) =>
      String(outcome.records[i]?.headers?.['__connect.errors.exception.message'] ?? '');
    expect(outcome.records[1]?.headers?.['__connect.errors.exception.class.name']).toBe('key_not_caller');
    expect(reason(1)).toContain('the record has key "09179999999", not its caller 09171234567');
    expect(reason(2)).toContain('the record has no key, not its caller 09171234567');
    expect(outcome.records[3]?.headers?.['__connect.errors.exception.class.name']).toBe('callee_is_caller');
    // Each dead letter keeps the original key and value, byte for byte.
    expect(outcome.records[1]?.key).toEqual(Buffer.from('09179999999'));
    expect(outcome.records[1]?.value).toEqual(Buffer.from(good));
  });

  it('handles a batch with no valid record', () => {
    const outcome = processRecords([record('[]')], scorer, topics, 0, 1_000_000);
    expect(outcome.scored).toBe(0);
    expect(outcome.records).toHaveLength(1);
    expect(outcome.records[0]?.headers?.['__connect.errors.exception.class.name']).toBe('not_an_object');
  });
});

describe('processRecords: caller features', () => {
  const base = 1_767_600_000; // float Unix seconds
  let at = 0;
  const worldRecord = (
    event: Record<string, unknown>,
    headers: Record<string, Buffer> = {},
  ): ConsumedRecord => ({
    topic: 'in',
    partition: 0,
    offset: String(at++),
    key: Buffer.from(String(event.caller)),
    value: Buffer.from(JSON.stringify(event)),
    headers,
    timestampMs: 0,
  });
  const event = (ts: number, callee?: string, caller = '09171234567') => ({
    call_duration: 2,
    num_digits: 11,
    hour_of_day: 23,
    freq_calls: 1,
    caller,
    ts: base + ts,
    ...(callee ? { callee } : {}),
  });

  it("puts the feature module's own values in the explanation, call by call, across batches", () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      event(i * 7, `0917${String(2_000_000 + (i % 13))}`, i % 3 === 0 ? '09170000001' : '09170000002'),
    );
    const states = new CallerStates();
    const reference = new CallerStates();
    const records = events.map((e) => worldRecord(e));
    const results = [
      ...processWith(records.slice(0, 15), served, states, topics, 0, 1_000_000).records,
      ...processWith(records.slice(15), served, states, topics, 0, 1_000_000).records,
    ].map((r) => JSON.parse(r.value as string));
    events.forEach((e, i) => {
      const expected = featureRecord(reference.update(e.caller, e, Number(records[i]?.offset)).features);
      const { call_duration: _d, hour_of_day: _h, num_digits: _n, freq_calls: _f, ...caller } = expected;
      expect(results[i].explanation.features).toEqual(caller);
    });
    expect(results[39].explanation.features.distinct_callees_24h).toBeGreaterThan(8);
  });

  it('keeps old-contract events (no callee) working: scored, features without distinct callees', () => {
    const states = new CallerStates();
    const outcome = processWith(
      [worldRecord(event(0)), worldRecord(event(30))],
      served,
      states,
      topics,
      0,
      1e6,
    );
    expect(outcome.scored).toBe(2);
    const second = JSON.parse(outcome.records[1]?.value as string);
    expect(second.predicted_label).toBe(scorer.score(event(30)).label);
    expect(second.explanation.features.calls_1h).toBe(2);
    expect(second.explanation.features.distinct_callees_24h).toBe(0);
    expect(second.explanation.features.seconds_since_previous).toBe(30);
  });

  it('counts a call later than the lateness bound as late, and a redelivered batch once', () => {
    const states = new CallerStates();
    const first = [worldRecord(event(600, '09179999991')), worldRecord(event(0, '09179999992'))];
    const outcome = processWith(first, served, states, topics, 0, 1e6);
    expect(outcome.late).toBe(1);
    expect(JSON.parse(outcome.records[1]?.value as string).explanation.late).toBe(true);
    const again = processWith(first, served, states, topics, 0, 1e6);
    expect(again.redelivered).toBe(2);
    expect(again.late).toBe(0);
    expect(JSON.parse(again.records[1]?.value as string).explanation.features.calls_1h).toBe(2);
  });

  it('forwards the truth and scenario headers, never putting the scenario in the value', () => {
    const headers = { [TRUTH_HEADER]: Buffer.from('1'), [SCENARIO_HEADER]: Buffer.from('wangiri') };
    const outcome = processWith(
      [worldRecord(event(0, '09179999991'), headers)],
      served,
      new CallerStates(),
      topics,
      0,
      1e6,
    );
    const out = outcome.records[0];
    expect(out?.headers).toEqual(headers);
    expect(out?.value as string).not.toContain('wangiri');
  });

  it('gives every result the id of its input record', () => {
    const records = [worldRecord(event(0)), worldRecord(event(5))];
    const outcome = processWith(records, served, new CallerStates(), topics, 0, 1e6);
    expect(outcome.records.map((r) => JSON.parse(r.value as string).input)).toEqual(
      records.map((r) => ({ topic: 'in', partition: 0, offset: Number(r.offset) })),
    );
  });

  it('writes a verdict record when a caller is flagged and when it is cleared, never per call or twice', () => {
    // Flags calls of 3 s or less: the verdict logic is what is tested here, not the model.
    const short: CallScorer = {
      version: 'test-1',
      featureSet: 'behaviour',
      score: (c) => {
        const scam = c.call_duration <= 3;
        return {
          label: scam ? 1 : 0,
          probability: scam ? 0.9 : 0.1,
          vote: scam ? 0.9 : 0.1,
          neighbours: 1,
          scamNeighbours: scam ? 1 : 0,
          nearestDistance: 0,
        };
      },
    };
    const withVerdicts = { ...topics, verdicts: 'verdicts' };
    const states = new CallerStates();
    const calls = [2, 2, 60, 2, 60, 60, 60, 60].map((duration, i) =>
      worldRecord({ ...event(i * 10, '09179999991', '09175550000'), call_duration: duration }),
    );
    const first = processWith(calls.slice(0, 4), short, states, withVerdicts, 0, 1e6);
    const verdictsOf = (o: typeof first) =>
      o.records
        .filter((r) => r.topic === 'verdicts')
        .map((r) => ({ key: r.key, ...JSON.parse(r.value as string) }));
    const flagged = verdictsOf(first);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({
      key: '09175550000',
      caller: '09175550000',
      verdict: 'flagged',
      changed_ts: base,
      first_flagged_ts: base,
      calls_since_flagged: 1,
      score: 0.9,
      model_version: 'test-1',
      input: { topic: 'in', partition: 0, offset: Number(calls[0]?.offset) },
    });
    expect(Object.keys(flagged[0].features)).toContain('calls_1h');
    expect(first.verdicts).toEqual({ flagged: 1, cleared: 0 });
    // Redelivered: no verdict again.
    expect(verdictsOf(processWith(calls.slice(0, 4), short, states, withVerdicts, 0, 1e6))).toEqual([]);
    const second = processWith(calls.slice(4), short, states, withVerdicts, 0, 1e6);
    const cleared = verdictsOf(second);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({
      verdict: 'cleared',
      first_flagged_ts: base,
      calls_since_flagged: 7,
      changed_ts: base + 60,
    });
    // Without a verdicts topic, none.
    const none = processWith(calls.slice(0, 2), short, new CallerStates(), topics, 0, 1e6);
    expect(none.records.every((r) => r.topic === 'out')).toBe(true);
  });
});
