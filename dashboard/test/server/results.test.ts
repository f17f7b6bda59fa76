import { describe, expect, it } from 'vitest';
import {
  CsvSplitter,
  csvHeader,
  MAX_STRING,
  parseCsvRow,
  parseScoredText,
  type ScoredRecord,
  toCsv,
  toJsonl,
} from '../../src/server/results.js';

const valid = {
  call: {
    caller: '09171234567',
    call_duration: 12.5,
    num_digits: 11,
    hour_of_day: 2,
    freq_calls: 7,
    ts: 1_790_000_000.25,
  },
  predicted_label: 1,
  predicted_proba: [0.2, 0.8],
  processed_ts: 1_790_000_000.5,
  model_version: 'knn-abc',
  explanation: { neighbours: 101, scam_neighbours: 81, nearest_distance: 0.12 },
};

function splitAll(text: string, chunkSize = text.length): string[][] {
  const splitter = new CsvSplitter();
  const rows: string[][] = [];
  for (let i = 0; i < text.length; i += chunkSize)
    rows.push(...splitter.push(text.slice(i, i + chunkSize)).map((r) => r.cells));
  rows.push(...splitter.end().map((r) => r.cells));
  return rows;
}

describe('parseScoredText', () => {
  it('accepts a calls_scored value and keeps only what the dashboard shows', () => {
    const parsed = parseScoredText(JSON.stringify({ ...valid, call: { ...valid.call, extra: '<b>x</b>' } }));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.record.call).toEqual(valid.call); // the extra field is dropped
    expect(parsed.record.explanation).toEqual(valid.explanation);
    expect(parsed.record.truth_label).toBeUndefined();
  });

  it('takes the true label from the body, or else from the header', () => {
    const header = parseScoredText(JSON.stringify(valid), 0);
    expect(header.ok && header.record.truth_label).toBe(0);
    const body = parseScoredText(JSON.stringify({ ...valid, truth_label: 1 }), 0);
    expect(body.ok && body.record.truth_label).toBe(1);
  });

  it.each([
    ['not JSON', '{"call":', 'not valid JSON'],
    ['an array', '[1,2]', 'not a JSON object'],
    [
      'a string caller that is a number',
      JSON.stringify({ ...valid, call: { ...valid.call, caller: 917 } }),
      'call.caller',
    ],
    [
      'a duration as a string',
      JSON.stringify({ ...valid, call: { ...valid.call, call_duration: '12' } }),
      'call.call_duration',
    ],
    ['a label of 2', JSON.stringify({ ...valid, predicted_label: 2 }), 'predicted_label'],
    ['one probability', JSON.stringify({ ...valid, predicted_proba: [0.5] }), 'predicted_proba'],
    [
      'a NaN-like probability',
      JSON.stringify({ ...valid, predicted_proba: [0.5, 'NaN'] }),
      'predicted_proba',
    ],
    ['no processed_ts', JSON.stringify({ ...valid, processed_ts: undefined }), 'processed_ts'],
    [
      'a model version that is an object',
      JSON.stringify({ ...valid, model_version: { v: 1 } }),
      'model_version',
    ],
    ['a truth label of "1"', JSON.stringify({ ...valid, truth_label: '1' }), 'truth_label'],
  ])('rejects %s with a reason', (_name, text, reason) => {
    const parsed = parseScoredText(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('clips very long strings so one record cannot hold much memory', () => {
    const parsed = parseScoredText(
      JSON.stringify({ ...valid, call: { ...valid.call, caller: 'x'.repeat(10_000) } }),
    );
    expect(parsed.ok && parsed.record.call.caller.length).toBe(MAX_STRING);
  });

  it('keeps hostile strings as they are (display makes them inert, not the parser)', () => {
    const hostile = '<img src=x onerror=alert(1)>"\'</td>';
    const parsed = parseScoredText(JSON.stringify({ ...valid, model_version: hostile }));
    expect(parsed.ok && parsed.record.model_version).toBe(hostile);
  });
});

describe('CSV', () => {
  const header = [
    'call.caller',
    'call.call_duration',
    'call.num_digits',
    'call.hour_of_day',
    'call.freq_calls',
    'call.ts',
    'predicted_label',
    'predicted_proba',
    'processed_ts',
  ];

  it('splits quoted cells with commas, doubled quotes and newlines, across chunk boundaries', () => {
    const text = 'a,"b,c","say ""hi""","two\nlines"\r\n1,2,3,4\n';
    const expected = [
      ['a', 'b,c', 'say "hi"', 'two\nlines'],
      ['1', '2', '3', '4'],
    ];
    expect(splitAll(text)).toEqual(expected);
    expect(splitAll(text, 1)).toEqual(expected);
    expect(splitAll(text, 3)).toEqual(expected);
  });

  it('reads the old dashboard columns, with the probability as a list or as numpy printed it', () => {
    const index = csvHeader(header);
    for (const proba of ['[0.2, 0.8]', '[0.2 0.8]', '0.8']) {
      const parsed = parseCsvRow(
        ['09171234567', '12.5', '11', '2', '7', '1790000000.25', '1', proba, '1790000000.5'],
        index,
      );
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect(parsed.record.predicted_proba[1]).toBeCloseTo(0.8);
        expect(parsed.record.model_version).toBe('unknown');
      }
    }
  });

  it('reports malformed rows with a reason instead of failing', () => {
    const index = csvHeader(header);
    const row = ['09171234567', '12.5', '11', '2', '7', '1790000000.25', '1', '[0.2, 0.8]', '1790000000.5'];
    const bad: [string[], string][] = [
      [row.slice(0, 5), 'cells'],
      [row.with(1, 'twelve'), 'call.call_duration'],
      [row.with(6, 'maybe'), 'predicted_label'],
      [row.with(7, '[0.2]'), 'predicted_proba'],
      [row.with(8, ''), 'processed_ts'],
    ];
    for (const [cells, reason] of bad) {
      const parsed = parseCsvRow(cells, index);
      expect(parsed.ok, reason).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toContain(reason);
    }
  });

  it('refuses a header without the required columns, naming them', () => {
    expect(() => csvHeader(['call.caller', 'predicted_label'])).toThrow(/call\.call_duration.*processed_ts/);
  });

  it('round-trips the buffer through CSV and JSONL, hostile strings included', () => {
    const records: ScoredRecord[] = [
      { ...(parseScoredText(JSON.stringify(valid)) as { record: ScoredRecord }).record, truth_label: 1 },
      {
        ...(parseScoredText(JSON.stringify(valid)) as { record: ScoredRecord }).record,
        call: { ...valid.call, caller: '=HYPERLINK("http://x","a,b")\n"q"' },
        model_version: '+cmd|calc',
        predicted_label: 0,
      },
    ];
    const csv = toCsv(records);
    expect(csv).toContain(`"'=HYPERLINK`); // a formula is not live in a spreadsheet
    const rows = splitAll(csv);
    const index = csvHeader(rows[0] as string[]);
    const back = rows.slice(1).map((cells) => parseCsvRow(cells, index));
    // CSV has the old columns (+ model_version, truth_label): everything but the explanation comes back.
    const withoutExplanation = records.map(({ explanation: _e, ...rest }) => rest);
    expect(back.map((p) => (p.ok ? p.record : p.reason))).toEqual(withoutExplanation);
    const jsonl = toJsonl(records)
      .trim()
      .split('\n')
      .map((line) => parseScoredText(line));
    expect(jsonl.map((p) => (p.ok ? p.record : p.reason))).toEqual(records);
  });
});
