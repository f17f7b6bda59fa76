import { describe, expect, it } from 'vitest';
import { Aggregates } from '../../src/server/aggregates.js';
import type { ScoredRecord } from '../../src/server/results.js';

const T0 = 1_790_000_000_000; // epoch ms, on a second boundary

function result(
  overrides: Partial<ScoredRecord> & { tsMs?: number; processedMs?: number } = {},
): ScoredRecord {
  const { tsMs = T0, processedMs = T0 + 5, ...rest } = overrides;
  return {
    call: {
      caller: '09171234567',
      call_duration: 30,
      num_digits: 11,
      hour_of_day: 3,
      freq_calls: 1,
      ts: tsMs / 1000,
    },
    predicted_label: 0,
    predicted_proba: [0.9, 0.1],
    processed_ts: processedMs / 1000,
    model_version: 'v1',
    ...rest,
  };
}

const source = { mode: 'kafka', state: 'live' } as const;

describe('Aggregates', () => {
  it('counts results, scams, dead letters and malformed records since start', () => {
    const a = new Aggregates(T0);
    a.addResult(result({ predicted_label: 1 }), T0 + 10, true);
    a.addResult(result(), T0 + 20, true);
    a.addResult(result(), T0 + 30, true);
    a.addDeadLetter(T0 + 40);
    a.addMalformed();
    const stats = a.stats(T0 + 50, source);
    expect(stats).toMatchObject({ total_scored: 3, scam: 1, not_scam: 2, dlq: 1, malformed: 1 });
    expect(stats.scam_rate).toBeCloseTo(1 / 3);
  });

  it('measures pipeline, delivery and end-to-end latency separately', () => {
    const a = new Aggregates(T0);
    for (let i = 0; i < 100; i++) a.addResult(result({ tsMs: T0, processedMs: T0 + 10 }), T0 + 40, true);
    const { latency_ms } = a.stats(T0 + 100, source);
    expect(latency_ms.pipeline.p50).toBeCloseTo(10, 0);
    expect(latency_ms.delivery.p50).toBeCloseTo(30, 0);
    expect(latency_ms.end_to_end.p99).toBeCloseTo(40, 0);
    expect(latency_ms.end_to_end.samples).toBe(100);
  });

  it('keeps only the pipeline latency for replayed results (seen-time latency would be the age of the file)', () => {
    const a = new Aggregates(T0);
    a.addResult(result({ tsMs: T0 - 86_400_000, processedMs: T0 - 86_400_000 + 7 }), T0, false);
    const { latency_ms } = a.stats(T0, source);
    expect(latency_ms.pipeline.samples).toBe(1);
    expect(latency_ms.end_to_end.samples).toBe(0);
    expect(latency_ms.end_to_end.p50).toBeNull();
  });

  it('forgets seconds that leave the rolling window but keeps the totals', () => {
    const a = new Aggregates(T0, { windowSeconds: 10 });
    a.addResult(result({ predicted_label: 1 }), T0, true);
    expect(a.stats(T0 + 9_000, source).scam_rate).toBe(1);
    a.addResult(result(), T0 + 10_000, true);
    const later = a.stats(T0 + 10_500, source);
    expect(later.scam_rate).toBe(0); // the scam at T0 left the 10 s window
    expect(later.latency_ms.pipeline.samples).toBe(1);
    expect(later.total_scored).toBe(2);
    expect(later.scam).toBe(1);
  });

  it('gives one series point per second, with empty seconds as zero counts and null latencies', () => {
    const a = new Aggregates(T0, { windowSeconds: 5 });
    a.addResult(result(), T0 + 100, true);
    a.addResult(result({ predicted_label: 1 }), T0 + 2_100, true);
    a.addResult(result(), T0 + 2_200, true);
    a.addDeadLetter(T0 + 2_300);
    const series = a.series(T0 + 4_000);
    expect(series.map((p) => p.t)).toEqual([0, 1, 2, 3, 4].map((s) => T0 / 1000 + s));
    expect(series.map((p) => p.count)).toEqual([1, 0, 2, 0, 0]);
    expect(series[2]).toMatchObject({ scam: 1, dlq: 1 });
    expect(series[1]?.e2e_p50).toBeNull();
    expect(series[2]?.e2e_p99).not.toBeNull();
  });

  it('computes results per second over the last 10 s, or since start when younger', () => {
    const a = new Aggregates(T0);
    for (let i = 0; i < 40; i++) a.addResult(result(), T0 + i * 100, true); // 40 results in 4 s
    expect(a.stats(T0 + 4_000, source).rate_per_s).toBeCloseTo(10);
    expect(a.stats(T0 + 20_000, source).rate_per_s).toBe(0);
  });

  it('derives precision, recall, F1 and the confusion matrix from the true labels', () => {
    const a = new Aggregates(T0);
    const add = (predicted: 0 | 1, truth: 0 | 1 | undefined, n: number): void => {
      for (let i = 0; i < n; i++) {
        a.addResult(
          result({ predicted_label: predicted, ...(truth === undefined ? {} : { truth_label: truth }) }),
          T0,
          true,
        );
      }
    };
    add(1, 1, 6); // tp
    add(1, 0, 2); // fp
    add(0, 1, 3); // fn
    add(0, 0, 9); // tn
    add(1, undefined, 5); // no truth: not in the matrix
    const q = a.quality();
    expect(q).toMatchObject({ labelled: 20, tp: 6, fp: 2, fn: 3, tn: 9 });
    expect(q.precision).toBeCloseTo(6 / 8);
    expect(q.recall).toBeCloseTo(6 / 9);
    expect(q.f1).toBeCloseTo((2 * (6 / 8) * (6 / 9)) / (6 / 8 + 6 / 9));
    expect(q.accuracy).toBeCloseTo(15 / 20);
  });

  it('has no precision or recall before any labelled result (not a misleading 0%)', () => {
    const q = new Aggregates(T0).quality();
    expect(q).toMatchObject({ labelled: 0, precision: null, recall: null, f1: null, accuracy: null });
  });

  it('counts results per model version with when each was first and last seen', () => {
    const a = new Aggregates(T0);
    a.addResult(result({ model_version: 'v1' }), T0 + 1, true);
    a.addResult(result({ model_version: 'v2' }), T0 + 2, true);
    a.addResult(result({ model_version: 'v2' }), T0 + 3, true);
    expect(a.stats(T0 + 4, source).models).toEqual({
      v1: { count: 1, first_seen_ms: T0 + 1, last_seen_ms: T0 + 1 },
      v2: { count: 2, first_seen_ms: T0 + 2, last_seen_ms: T0 + 3 },
    });
  });
});
