import { EXPLAINED_FEATURES } from '@scam-detector/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { InputDedup } from '../../src/server/dedup.js';
import { createDashboardMetrics } from '../../src/server/metrics.js';
import { createModelInfo } from '../../src/server/model-info.js';
import { parseScoredText, toJsonl } from '../../src/server/results.js';
import { ResultStore } from '../../src/server/store.js';
import { StreamHub } from '../../src/server/stream-hub.js';
import type { InputRef } from '../../src/shared/wire.js';
import { scored } from './fixtures.js';

const id = (offset: number, partition = 3, topic = 'calls_raw'): InputRef => ({ topic, partition, offset });

describe('the window of input ids', () => {
  it('takes an id once: the same id again is a duplicate, in any partition and topic of its own', () => {
    const dedup = new InputDedup();
    expect(dedup.check(id(12_345))).toBe('new');
    expect(dedup.check(id(12_345))).toBe('duplicate');
    expect(dedup.check(id(12_345, 4))).toBe('new'); // another partition
    expect(dedup.check(id(12_345, 3, 'other_raw'))).toBe('new'); // another topic
    expect(dedup.check(id(12_345, 4))).toBe('duplicate');
    expect(dedup.duplicates).toBe(2);
  });

  it('counts every offset of the window once however they arrive, out of order included', () => {
    const dedup = new InputDedup({ windowOffsets: 1024 });
    // Results of one input partition spread over output partitions: interleaved, not in offset order.
    const offsets = Array.from({ length: 1000 }, (_, i) => 5000 + i);
    const shuffled = [...offsets.filter((o) => o % 3 === 0), ...offsets.filter((o) => o % 3 !== 0).reverse()];
    for (const offset of shuffled) expect(dedup.check(id(offset)), `offset ${offset}`).toBe('new');
    for (const offset of offsets) expect(dedup.check(id(offset))).toBe('duplicate');
    expect(dedup.duplicates).toBe(1000);
    expect(dedup.beyondWindow).toBe(0);
  });

  it('agrees with an exact set for every offset inside the window, across slides, jumps and wrap-arounds', () => {
    const size = 256;
    const dedup = new InputDedup({ windowOffsets: size });
    const seen = new Set<number>();
    let high = -1;
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let base = 0;
    for (let n = 0; n < 20_000; n++) {
      // Mostly near the front, sometimes a redelivery from further back, sometimes a jump ahead.
      const r = random();
      if (r < 0.01) base += Math.floor(random() * 3 * size);
      else base += random() < 0.5 ? 1 : 0;
      const offset = Math.max(0, base - Math.floor(random() * (r < 0.2 ? 2 * size : 40)));
      const verdict = dedup.check(id(offset));
      if (offset <= high - size) {
        expect(verdict).toBe('beyond_window');
        continue;
      }
      expect(verdict, `offset ${offset} (high ${high})`).toBe(seen.has(offset) ? 'duplicate' : 'new');
      seen.add(offset);
      high = Math.max(high, offset);
    }
  });

  it('keeps its memory bound: the window slides, and an id older than it is counted, not dropped', () => {
    const dedup = new InputDedup({ windowOffsets: 1024 });
    expect(dedup.check(id(0))).toBe('new');
    for (let offset = 1; offset <= 1023; offset++) dedup.check(id(offset));
    expect(dedup.check(id(0))).toBe('duplicate'); // 0 is still inside (1023 - 1024, 1023]
    expect(dedup.check(id(1024))).toBe('new'); // slides: 0 leaves the window
    expect(dedup.check(id(0))).toBe('beyond_window');
    expect(dedup.check(id(1))).toBe('duplicate');
    expect(dedup.beyondWindow).toBe(1);
    // A jump far ahead forgets the whole old window at once.
    expect(dedup.check(id(1_000_000))).toBe('new');
    expect(dedup.check(id(999_000))).toBe('new');
    expect(dedup.check(id(999_000))).toBe('duplicate');
  });

  it('tracks a bounded number of input partitions, forgetting the least recently seen', () => {
    const dedup = new InputDedup({ windowOffsets: 32, maxPartitions: 4 });
    for (let p = 0; p < 4; p++) dedup.check(id(7, p));
    dedup.check(id(8, 0)); // partition 0 seen again: partition 1 is now the least recently seen
    dedup.check(id(7, 4)); // a fifth partition: partition 1 is forgotten
    expect(dedup.partitions).toBe(4);
    expect(dedup.check(id(7, 0))).toBe('duplicate');
    expect(dedup.check(id(7, 2))).toBe('duplicate');
    expect(dedup.check(id(7, 1))).toBe('new'); // forgotten: counted again
  });

  it('refuses a window that is not a power of two', () => {
    expect(() => new InputDedup({ windowOffsets: 1000 })).toThrow(RangeError);
  });
});

const features = Object.fromEntries(EXPLAINED_FEATURES.map((name, i) => [name, i]));

/** A result with an input id, a truth and a scenario: it reaches every figure the dashboard has. */
function withInput(i: number, offset: number, label: 0 | 1 = 1) {
  return scored(i, {
    predicted_label: label,
    predicted_proba: label === 1 ? [0.1, 0.9] : [0.9, 0.1],
    truth_label: 1,
    scenario: 'wangiri',
    model_version: 'knn-1',
    explanation: { neighbours: 10, scam_neighbours: 9, nearest_distance: 0.1, features },
    input: id(offset),
  });
}

function setup() {
  const metrics = createDashboardMetrics();
  const store = new ResultStore({
    bufferSize: 50,
    mode: 'kafka',
    now: () => 1_790_000_000_500,
    onCount: (kind) => metrics.events.inc({ kind }),
  });
  const hub = new StreamHub(store, { intervalMs: 100, maxStreams: 5 });
  const app = createApp({
    store,
    hub,
    registry: metrics.registry,
    modelInfo: createModelInfo(undefined, store),
  });
  return { store, app, hub };
}

describe('duplicate results in the dashboard', () => {
  it('reads the input id of a result, and ignores one that is not an id', () => {
    const parsed = parseScoredText(JSON.stringify({ ...scored(1), input: id(12_345) }));
    expect(parsed.ok && parsed.record.input).toEqual(id(12_345));
    for (const input of [
      { topic: 'calls_raw', partition: 3 },
      { topic: 'calls_raw', partition: -1, offset: 5 },
      { topic: 'calls_raw', partition: 3, offset: 1.5 },
      { topic: 7, partition: 3, offset: 5 },
      'calls_raw/3/5',
    ]) {
      const other = parseScoredText(JSON.stringify({ ...scored(1), input }));
      expect(other.ok, JSON.stringify(input)).toBe(true);
      expect(other.ok && other.record.input).toBeUndefined();
    }
  });

  it('counts the same result twice once, in every figure: counters, aggregates, quality, table, drill-down', async () => {
    const { store, app } = setup();
    const first = withInput(1, 100);
    store.scored(first);
    store.scored(withInput(2, 101, 0));
    store.scored({ ...first }); // redelivered after a processor crash: same input id
    store.scored(withInput(2, 101, 0));
    const stats = store.stats();
    expect(stats).toMatchObject({ total_scored: 2, scam: 1, not_scam: 1 });
    expect(stats.duplicates).toMatchObject({ dropped: 2, beyond_window: 0 });
    expect(stats.models['knn-1']?.count).toBe(2);
    expect(stats.quality).toMatchObject({ labelled: 2, tp: 1, fn: 1 });
    expect(stats.quality_by_scenario[0]).toMatchObject({ scenario: 'wangiri', labelled: 2, tp: 1, fn: 1 });
    expect(stats.latency_ms.pipeline.samples).toBe(2);
    expect(store.series().reduce((sum, p) => sum + p.count, 0)).toBe(2);
    expect(store.buffer.size).toBe(2);
    expect(store.callers.get(first.call.caller)?.length).toBe(1);
    expect((await request(app).get('/api/recent').expect(200)).body.length).toBe(2);
    const api = (await request(app).get('/api/stats').expect(200)).body;
    expect(api.duplicates.dropped).toBe(2);
    const metrics = (await request(app).get('/metrics').expect(200)).text;
    expect(metrics).toContain('dashboard_events_total{kind="scored"} 2');
    expect(metrics).toContain('dashboard_events_total{kind="duplicate"} 2');
  });

  it('counts results without an input id as before: every one of them', () => {
    const { store } = setup();
    store.scored(scored(1));
    store.scored(scored(1));
    expect(store.stats().total_scored).toBe(2);
    expect(store.stats().duplicates.dropped).toBe(0);
  });

  it('sends a page only the first of two equal results, and the count of the dropped one', () => {
    const { store, hub } = setup();
    store.scored(withInput(1, 7));
    store.scored(withInput(1, 7));
    const snapshot = hub.snapshot();
    expect(snapshot.events.length).toBe(1);
    expect(snapshot.stats.duplicates.dropped).toBe(1);
  });

  it('keeps the input id in a JSONL export, so an exported recording drops its duplicates too', () => {
    const line = toJsonl([withInput(1, 9)]);
    expect(JSON.parse(line).input).toEqual(id(9));
  });

  it('forgets the ids when a looping replay starts the recording again (its rows are not redeliveries)', () => {
    const store = new ResultStore({ bufferSize: 10, mode: 'replay', replay: { file: 'r.jsonl', speed: 0 } });
    store.state('replaying');
    store.scored(withInput(1, 1));
    store.scored(withInput(1, 1));
    store.state('replaying'); // the second pass
    store.scored(withInput(1, 1));
    expect(store.stats()).toMatchObject({ total_scored: 2, duplicates: { dropped: 1 } });
  });
});
