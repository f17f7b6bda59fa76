import { TRUTH_HEADER } from '@scam-detector/core';
import type { ProducedRecord } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../src/dlq.js';
import { coverage, readTopic, soleProcessor, testEvents, testTransport, wrongResults } from './harness.js';

const valid = {
  call_duration: 30.5,
  num_digits: 10,
  hour_of_day: 3,
  freq_calls: 2,
  caller: '09171234567',
  ts: 1.7e9,
};
const json = (patch: Record<string, unknown>, drop: string[] = []): string => {
  const event: Record<string, unknown> = { ...valid, ...patch };
  for (const key of drop) delete event[key];
  return JSON.stringify(event);
};
const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Every kind of bad input the issue lists, with the reason the DLQ must give. */
const BAD_INPUTS: { name: string; value: Buffer | string | null; reason: string }[] = [
  { name: 'invalid JSON', value: '{"call_duration": 12,', reason: 'invalid_json' },
  { name: 'NaN literal (not JSON)', value: json({}).replace('30.5', 'NaN'), reason: 'invalid_json' },
  {
    name: 'non-UTF-8 bytes',
    value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    reason: 'invalid_utf8',
  },
  { name: 'empty value', value: '', reason: 'empty_value' },
  { name: 'null value (tombstone)', value: null, reason: 'empty_value' },
  { name: 'JSON array', value: '[1,2,3]', reason: 'not_an_object' },
  { name: 'JSON string', value: '"call"', reason: 'not_an_object' },
  { name: 'JSON null', value: 'null', reason: 'not_an_object' },
  { name: 'number as string', value: json({ call_duration: '30.5' }), reason: 'wrong_type' },
  { name: 'fractional integer field', value: json({ num_digits: 10.5 }), reason: 'wrong_type' },
  { name: 'caller as number', value: json({ caller: 9171234567 }), reason: 'wrong_type' },
  { name: 'NaN as string', value: json({ call_duration: 'NaN' }), reason: 'wrong_type' },
  { name: 'Infinity as string', value: json({ freq_calls: 'Infinity' }), reason: 'wrong_type' },
  { name: 'boolean', value: json({ hour_of_day: true }), reason: 'wrong_type' },
  { name: 'hour 24', value: json({ hour_of_day: 24 }), reason: 'out_of_range' },
  { name: 'negative frequency', value: json({ freq_calls: -1 }), reason: 'out_of_range' },
  { name: 'huge duration', value: json({ call_duration: 1e308 }), reason: 'out_of_range' },
  { name: 'ts in milliseconds', value: json({ ts: 1.7e12 }), reason: 'out_of_range' },
  { name: 'missing caller', value: json({}, ['caller']), reason: 'missing_field' },
  { name: 'missing ts', value: json({}, ['ts']), reason: 'missing_field' },
  { name: 'invalid caller', value: json({ caller: '12345' }), reason: 'invalid_caller' },
  { name: 'a call to oneself', value: json({ callee: valid.caller }), reason: 'callee_is_caller' },
  // A valid call, but its key (bad-…, as every record here) is not its caller: it would split the caller's state.
  { name: 'a valid call not keyed by its caller', value: json({}), reason: 'key_not_caller' },
  {
    name: 'value near 1 MB',
    value: json({ padding: 'x'.repeat(999_000 - json({}).length - 14) }),
    reason: 'too_large',
  },
  {
    name: '__proto__ key',
    value: json({}).replace('{', '{"__proto__":{"polluted":true},'),
    reason: 'forbidden_key',
  },
  {
    name: 'constructor key',
    value: json({ constructor: { prototype: { polluted: true } } }),
    reason: 'forbidden_key',
  },
  { name: 'deep nesting', value: json({ nested: '@' }).replace('"@"', deep(30_000)), reason: 'too_deep' },
];

describe('dead-letter topic (real broker)', () => {
  it('sends every bad input to the DLQ with its reason, scores every valid one, and keeps running', async () => {
    const { topics, model, processor } = await soleProcessor(3);

    const transport = testTransport();
    const input = await readTopic(transport, topics.input);
    const output = await readTopic(transport, topics.output);
    const dlq = await readTopic(transport, topics.dlq);
    const good = testEvents(topics.input, 3000, 9);
    // Bad records interleaved with good ones, on keys that spread them over the partitions.
    const mixed: ProducedRecord[] = [];
    for (const [i, record] of good.entries()) {
      mixed.push(record);
      const bad = BAD_INPUTS[i % 100 === 0 ? i / 100 : -1];
      if (bad) {
        mixed.push({
          topic: topics.input,
          key: `bad-${bad.name}`,
          value: bad.value,
          headers: { [TRUTH_HEADER]: '1' },
        });
      }
    }
    expect(mixed).toHaveLength(good.length + BAD_INPUTS.length);
    const producer = await transport.producer();
    await producer.send(mixed);

    await dlq.waitFor(BAD_INPUTS.length);
    await output.waitFor(good.length);
    await input.waitFor(mixed.length);

    const results = output.results();
    expect(coverage(results).seqs.size).toBe(good.length);
    expect(results).toHaveLength(good.length);
    expect(wrongResults(results, [model])).toEqual([]);
    expect(results.some((r) => 'polluted' in r || 'polluted' in r.call)).toBe(false);

    expect(dlq.records).toHaveLength(BAD_INPUTS.length);
    const inputAt = new Map(input.records.map((r) => [`${r.partition}/${r.offset}`, r]));
    for (const bad of BAD_INPUTS) {
      const letter = dlq.records.find((r) => r.key?.toString() === `bad-${bad.name}`);
      expect(letter, bad.name).toBeDefined();
      if (!letter) continue;
      expect(letter.headers[DLQ_HEADERS.exceptionClass]?.toString(), bad.name).toBe(bad.reason);
      expect(letter.headers[DLQ_HEADERS.exceptionMessage]?.length, bad.name).toBeGreaterThan(0);
      expect(letter.headers[DLQ_HEADERS.topic]?.toString()).toBe(topics.input);
      expect(letter.headers[TRUTH_HEADER]?.toString()).toBe('1');
      const source = inputAt.get(
        `${letter.headers[DLQ_HEADERS.partition]?.toString()}/${letter.headers[DLQ_HEADERS.offset]?.toString()}`,
      );
      expect(source?.key?.toString(), bad.name).toBe(`bad-${bad.name}`);
      const original = bad.value === null ? Buffer.alloc(0) : Buffer.from(bad.value);
      expect(Buffer.compare(letter.value ?? Buffer.alloc(0), original), bad.name).toBe(0);
    }

    expect(processor.child.exitCode).toBeNull();
    expect(await processor.metric('processor_dlq_total{reason="forbidden_key"}')).toBe(2);
    expect((await processor.readyz()).ready).toBe(true);
  });
});
