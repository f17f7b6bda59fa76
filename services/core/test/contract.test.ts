import { describe, expect, it } from 'vitest';
import { keyIsCaller, LIMITS, parseCallEvent, parseTruth, serializeScored } from '../src/contract.js';

const valid = {
  call_duration: 12.5,
  num_digits: 11,
  hour_of_day: 3,
  freq_calls: 4,
  caller: '09171234567',
  ts: 1764000000.25,
};
const bytes = (value: unknown): Uint8Array =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const reasonFor = (value: Uint8Array | null): string | undefined => {
  const result = parseCallEvent(value);
  return result.ok ? undefined : result.reason;
};

describe('the call event contract', () => {
  it('accepts the old system event and keeps extra fields untouched', () => {
    const text = JSON.stringify({ ...valid, network: 'globe', meta: { region: 'NCR' } });
    const result = parseCallEvent(bytes(text));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.text).toBe(text);
    expect(result.event.meta).toEqual({ region: 'NCR' });
  });

  it('accepts an event with a callee (the world) and one without (the old contract)', () => {
    const withCallee = parseCallEvent(bytes({ ...valid, callee: '09181234567' }));
    expect(withCallee.ok && withCallee.event.callee).toBe('09181234567');
    const without = parseCallEvent(bytes(valid));
    expect(without.ok && without.event.callee).toBeUndefined();
  });

  it.each([
    ['an empty value', null, 'empty_value'],
    ['zero bytes', new Uint8Array(0), 'empty_value'],
    ['invalid JSON', bytes('{"call_duration": 1'), 'invalid_json'],
    ['non-UTF-8 bytes', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_utf8'],
    ['a JSON array', bytes([valid]), 'not_an_object'],
    ['a JSON string', bytes('"hello"'), 'not_an_object'],
    ['JSON null', bytes('null'), 'not_an_object'],
    ['a number as a string', bytes({ ...valid, call_duration: '12.5' }), 'wrong_type'],
    ['NaN as a string', bytes({ ...valid, call_duration: 'NaN' }), 'wrong_type'],
    ['Infinity as a string', bytes({ ...valid, freq_calls: 'Infinity' }), 'wrong_type'],
    ['a boolean', bytes({ ...valid, num_digits: true }), 'wrong_type'],
    ['a fractional hour', bytes({ ...valid, hour_of_day: 3.5 }), 'wrong_type'],
    ['a null field', bytes({ ...valid, ts: null }), 'wrong_type'],
    ['a numeric caller', bytes({ ...valid, caller: 9171234567 }), 'wrong_type'],
    ['hour 24', bytes({ ...valid, hour_of_day: 24 }), 'out_of_range'],
    ['a negative duration', bytes({ ...valid, call_duration: -1 }), 'out_of_range'],
    [
      'a huge number',
      bytes(
        '{"call_duration": 1e400}'.replace(
          '}',
          `,"num_digits":11,"hour_of_day":1,"freq_calls":1,"caller":"09171234567","ts":1764000000}`,
        ),
      ),
      'out_of_range',
    ],
    ['milliseconds for ts', bytes({ ...valid, ts: 1764000000250 }), 'out_of_range'],
    ['a negative frequency', bytes({ ...valid, freq_calls: -2 }), 'out_of_range'],
    ['a missing field', bytes({ ...valid, caller: undefined }), 'missing_field'],
    ['a foreign caller', bytes({ ...valid, caller: '+639171234567' }), 'invalid_caller'],
    ['a numeric callee', bytes({ ...valid, callee: 9171234567 }), 'wrong_type'],
    ['a foreign callee', bytes({ ...valid, callee: '+639171234567' }), 'invalid_callee'],
    ['a call to oneself', bytes({ ...valid, callee: valid.caller }), 'callee_is_caller'],
    [
      'a __proto__ key',
      bytes(`{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1)}`),
      'forbidden_key',
    ],
    [
      'a nested constructor key',
      bytes({ ...valid, extra: { constructor: { prototype: 1 } } }),
      'forbidden_key',
    ],
    [
      'pathologically deep nesting',
      bytes(`{"deep": ${'['.repeat(5000)}${']'.repeat(5000)}, ${JSON.stringify(valid).slice(1)}`),
      'too_deep',
    ],
    ['a value near 1 MB', bytes({ ...valid, pad: 'x'.repeat(1_000_000) }), 'too_large'],
  ])('rejects %s', (_name, value, reason) => {
    expect(reasonFor(value)).toBe(reason);
  });

  it('accepts nesting up to the limit', () => {
    const nested = `${'['.repeat(LIMITS.maxDepth - 1)}${']'.repeat(LIMITS.maxDepth - 1)}`;
    expect(parseCallEvent(bytes(`{"deep": ${nested}, ${JSON.stringify(valid).slice(1)}`)).ok).toBe(true);
  });

  it('does not pollute Object.prototype, whatever the input', () => {
    parseCallEvent(bytes('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('tells whether a record is keyed by its caller, byte for byte', () => {
    expect(keyIsCaller(Buffer.from('09171234567'), '09171234567')).toBe(true);
    expect(keyIsCaller(new TextEncoder().encode('09171234567'), '09171234567')).toBe(true);
    expect(keyIsCaller(Buffer.from('09171234568'), '09171234567')).toBe(false);
    expect(keyIsCaller(Buffer.from('0917123456'), '09171234567')).toBe(false);
    expect(keyIsCaller(Buffer.from(' 09171234567'), '09171234567')).toBe(false);
    expect(keyIsCaller(null, '09171234567')).toBe(false);
    expect(keyIsCaller(undefined, '09171234567')).toBe(false);
  });

  it('reads the truth header as 0, 1 or unknown', () => {
    expect(parseTruth('1')).toBe(1);
    expect(parseTruth(Buffer.from('0'))).toBe(0);
    expect(parseTruth('yes')).toBeUndefined();
    expect(parseTruth(undefined)).toBeUndefined();
  });

  it('writes results whose old fields keep their names and types, and whose call is the input as received', () => {
    const text = JSON.stringify({ ...valid, extra: [1, 'two'] });
    const out = JSON.parse(
      serializeScored(
        text,
        {
          label: 1,
          probability: 0.73,
          vote: 0.73,
          neighbours: 101,
          scamNeighbours: 74,
          nearestDistance: 0.01,
        },
        1764000001.5,
        'knn-0123456789abcdef',
        1,
      ),
    );
    expect(out.call).toEqual(JSON.parse(text));
    expect(out.predicted_label).toBe(1);
    expect(out.predicted_proba).toEqual([0.27, 0.73]);
    expect(out.processed_ts).toBe(1764000001.5);
    expect(out.model_version).toBe('knn-0123456789abcdef');
    expect(out.explanation).toEqual({ neighbours: 101, scam_neighbours: 74, nearest_distance: 0.01 });
    expect(out.truth_label).toBe(1);
  });
});
