import { EXPLAINED_FEATURES } from '@scam-detector/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Aggregates, MAX_SCENARIOS } from '../../src/server/aggregates.js';
import { createApp } from '../../src/server/app.js';
import { CallerHistory } from '../../src/server/caller-history.js';
import { createDashboardMetrics } from '../../src/server/metrics.js';
import { createModelInfo } from '../../src/server/model-info.js';
import { parseScoredText } from '../../src/server/results.js';
import { ResultStore } from '../../src/server/store.js';
import { StreamHub } from '../../src/server/stream-hub.js';
import type { CallerHistoryView, ResultView } from '../../src/shared/wire.js';
import { scored } from './fixtures.js';

const features = Object.fromEntries(EXPLAINED_FEATURES.map((name, i) => [name, i + 0.5]));
const resultText = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    call: {
      caller: '09171234567',
      callee: '09179876543',
      call_duration: 2,
      num_digits: 11,
      hour_of_day: 3,
      freq_calls: 1,
      ts: 1.79e9,
    },
    predicted_label: 1,
    predicted_proba: [0.1, 0.9],
    processed_ts: 1.79e9 + 0.01,
    model_version: 'knn-0123456789abcdef',
    explanation: { neighbours: 10, scam_neighbours: 9, nearest_distance: 0.2, features, late: true },
    ...overrides,
  });

describe('results with caller features and scenarios', () => {
  it('keeps the callee, the scenario header and every explained feature', () => {
    const parsed = parseScoredText(resultText(), 1, 'wangiri');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.record.call.callee).toBe('09179876543');
    expect(parsed.record.scenario).toBe('wangiri');
    expect(parsed.record.truth_label).toBe(1);
    expect(parsed.record.explanation?.features).toEqual(features);
    expect(parsed.record.explanation?.late).toBe(true);
  });

  it('drops what it cannot trust instead of showing it: a hostile scenario, a malformed callee, incomplete features', () => {
    const broken = { ...features, calls_1h: 'many' };
    const parsed = parseScoredText(
      resultText({
        call: {
          caller: '09171234567',
          callee: '<img src=x>',
          call_duration: 2,
          num_digits: 11,
          hour_of_day: 3,
          freq_calls: 1,
          ts: 1.79e9,
        },
        explanation: { neighbours: 10, scam_neighbours: 9, nearest_distance: 0.2, features: broken },
      }),
      0,
      '<script>alert(1)</script>',
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.record.call.callee).toBeUndefined();
    expect(parsed.record.scenario).toBeUndefined();
    expect(parsed.record.explanation?.features).toBeUndefined();
    expect(parsed.record.explanation?.neighbours).toBe(10);
  });

  it('reads old results (no callee, no features, no scenario) as before', () => {
    const parsed = parseScoredText(
      resultText({ explanation: { neighbours: 3, scam_neighbours: 1, nearest_distance: 1 } }),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.record.scenario).toBeUndefined();
    expect(parsed.record.explanation).toEqual({ neighbours: 3, scam_neighbours: 1, nearest_distance: 1 });
  });
});

describe('quality per scenario', () => {
  it("counts each scenario's confusion: recall for scam scenarios, false-positive rate for legitimate ones", () => {
    const aggregates = new Aggregates(0);
    const add = (scenario: string, truth: 0 | 1, label: 0 | 1) =>
      aggregates.addResult(scored(1, { scenario, truth_label: truth, predicted_label: label }), 1000, true);
    for (let i = 0; i < 8; i++) add('wangiri', 1, i < 6 ? 1 : 0);
    for (let i = 0; i < 200; i++) add('bulk', 0, i < 2 ? 1 : 0);
    add('ordinary', 0, 0);
    const rows = aggregates.qualityByScenario();
    expect(rows.map((r) => r.scenario)).toEqual(['wangiri', 'bulk', 'ordinary']);
    const [wangiri, bulk] = rows;
    expect(wangiri).toMatchObject({
      scam: true,
      labelled: 8,
      tp: 6,
      fn: 2,
      recall: 0.75,
      false_positive_rate: null,
    });
    expect(bulk).toMatchObject({
      scam: false,
      labelled: 200,
      fp: 2,
      tn: 198,
      recall: null,
      false_positive_rate: 0.01,
    });
    expect(aggregates.quality()).toMatchObject({ labelled: 209, tp: 6, fp: 2, fn: 2, tn: 199 });
  });

  it('tracks a bounded number of scenario names; further ones count only overall', () => {
    const aggregates = new Aggregates(0);
    for (let i = 0; i < MAX_SCENARIOS + 10; i++) {
      aggregates.addResult(scored(1, { scenario: `s${i}`, truth_label: 0 }), 1000, true);
    }
    expect(aggregates.qualityByScenario()).toHaveLength(MAX_SCENARIOS);
    expect(aggregates.quality().labelled).toBe(MAX_SCENARIOS + 10);
  });

  it('measures no latency for calls stamped after they were scored (a world faster than real time)', () => {
    const aggregates = new Aggregates(0);
    const ahead = scored(1);
    aggregates.addResult(
      { ...ahead, call: { ...ahead.call, ts: ahead.processed_ts + 3600 } },
      1_790_000_001_000,
      true,
    );
    const stats = aggregates.stats(1_790_000_001_000, { mode: 'kafka', state: 'live' });
    expect(stats.latency_ms.pipeline.samples).toBe(0);
    expect(stats.latency_ms.end_to_end.samples).toBe(0);
    expect(stats.latency_ms.delivery.samples).toBe(1);
  });
});

const view = (seq: number, caller: string, extra: Partial<ResultView> = {}): ResultView => ({
  ...scored(seq, { call: { ...scored(seq).call, caller } }),
  seq,
  seen_ms: seq,
  ...extra,
});

describe('caller history', () => {
  it('keeps the latest calls of each caller, oldest first, and forgets the least recently seen caller', () => {
    const history = new CallerHistory({ maxCallers: 2, callsPerCaller: 3 });
    for (let i = 1; i <= 5; i++) history.add(view(i, '09170000001'));
    history.add(view(6, '09170000002'));
    expect(history.get('09170000001')?.map((c) => c.seq)).toEqual([3, 4, 5]);
    history.add(view(7, '09170000001')); // 0001 is now the most recently seen
    history.add(view(8, '09170000003')); // so 0002 goes
    expect(history.get('09170000002')).toBeUndefined();
    expect(history.get('09170000001')?.map((c) => c.seq)).toEqual([4, 5, 7]);
    expect(history.size).toBe(2);
  });

  it('keeps at most maxCalls calls in all, forgetting the least recently seen callers first', () => {
    const history = new CallerHistory({ maxCallers: 100, callsPerCaller: 10, maxCalls: 7 });
    for (let i = 1; i <= 3; i++) history.add(view(i, '09170000001'));
    for (let i = 4; i <= 6; i++) history.add(view(i, '09170000002'));
    expect(history.calls).toBe(6);
    history.add(view(7, '09170000003'));
    history.add(view(8, '09170000003')); // 8 calls: 0001, the least recently seen, goes with its 3
    expect(history.get('09170000001')).toBeUndefined();
    expect(history.calls).toBe(5);
    expect(history.get('09170000002')?.map((c) => c.seq)).toEqual([4, 5, 6]);
    for (let i = 9; i <= 20; i++) history.add(view(i, '09170000004')); // one caller alone: capped at 10 calls
    expect(history.get('09170000004')?.map((c) => c.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(history.size).toBe(1);
    expect(history.calls).toBe(10);
  });

  it('GET /api/caller/:number: the recent calls with their features; 400 for a non-number, 404 for an unknown one', async () => {
    const metrics = createDashboardMetrics();
    const store = new ResultStore({ bufferSize: 10, mode: 'kafka' });
    const hub = new StreamHub(store, { intervalMs: 100, maxStreams: 1 });
    const app = createApp({
      store,
      hub,
      registry: metrics.registry,
      modelInfo: createModelInfo(undefined, store),
    });
    const parsed = parseScoredText(resultText(), 1, 'wangiri');
    if (!parsed.ok) throw new Error(parsed.reason);
    store.scored(parsed.record);
    store.scored({ ...parsed.record, call: { ...parsed.record.call, ts: 1.79e9 + 5 } });
    const found = await request(app).get('/api/caller/09171234567').expect(200);
    const body = found.body as CallerHistoryView;
    expect(body.caller).toBe('09171234567');
    expect(body.calls.map((c) => c.ts)).toEqual([1.79e9, 1.79e9 + 5]);
    expect(body.calls[0]).toMatchObject({
      callee: '09179876543',
      scenario: 'wangiri',
      truth_label: 1,
      p_scam: 0.9,
      features,
      late: true,
    });
    expect(found.headers['cache-control']).toBe('no-store');
    await request(app).get('/api/caller/09170000000').expect(404);
    const bad = await request(app)
      .get(`/api/caller/${encodeURIComponent('<script>')}`)
      .expect(400);
    expect(bad.body.error).toMatch(/PH mobile/);
    hub.close();
  });
});
