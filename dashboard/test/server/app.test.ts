import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { createDashboardMetrics } from '../../src/server/metrics.js';
import { createModelInfo } from '../../src/server/model-info.js';
import { CsvSplitter, csvHeader, parseCsvRow, parseScoredText } from '../../src/server/results.js';
import { ResultStore } from '../../src/server/store.js';
import { StreamHub, type StreamHubOptions } from '../../src/server/stream-hub.js';
import type { SnapshotMessage, UpdateMessage } from '../../src/shared/wire.js';
import { openStream, type SseEvent, scored } from './fixtures.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(hubOptions: Partial<StreamHubOptions> = {}) {
  const metrics = createDashboardMetrics();
  const store = new ResultStore({
    bufferSize: 50,
    mode: 'kafka',
    onCount: (kind) => metrics.events.inc({ kind }),
  });
  const hub = new StreamHub(store, {
    intervalMs: 100,
    maxStreams: 5,
    onSkip: () => metrics.skippedUpdates.inc(),
    ...hubOptions,
  });
  const app = createApp({
    store,
    hub,
    registry: metrics.registry,
    modelInfo: createModelInfo(undefined, store),
  });
  cleanups.push(() => hub.close());
  return { store, hub, app, metrics };
}

async function listen(app: http.RequestListener): Promise<string> {
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('HTTP API', () => {
  it('answers /healthz always and /readyz only once the source is live', async () => {
    const { app, store } = setup();
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    await request(app).get('/readyz').expect(503);
    store.state('live');
    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body).toMatchObject({ ready: true, source: { mode: 'kafka', state: 'live' } });
    store.state('no_broker');
    await request(app).get('/readyz').expect(503);
  });

  it('reports totals on /api/stats and the newest results on /api/recent', async () => {
    const { app, store } = setup();
    for (let i = 0; i < 8; i++) store.scored(scored(i));
    store.deadLetter();
    const stats = await request(app).get('/api/stats').expect(200);
    expect(stats.body).toMatchObject({ total_scored: 8, scam: 2, not_scam: 6, dlq: 1 });
    const recent = await request(app).get('/api/recent?limit=3').expect(200);
    expect(recent.body.map((r: { seq: number }) => r.seq)).toEqual([6, 7, 8]);
  });

  it('serves /api/model with the version the stream carries even without a model file', async () => {
    const { app, store } = setup();
    store.scored(scored(1, { model_version: 'knn-123' }));
    const model = await request(app).get('/api/model').expect(200);
    expect(model.body).toMatchObject({ current_version: 'knn-123', file: null });
  });

  it('exports the buffer as CSV and JSONL attachments that parse back to the same results', async () => {
    const { app, store } = setup();
    for (let i = 0; i < 5; i++) store.scored(scored(i));
    const csv = await request(app).get('/api/export?format=csv').expect(200);
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="scam-results-.*\.csv"$/);
    const splitter = new CsvSplitter();
    const rows = [...splitter.push(csv.text), ...splitter.end()].map((r) => r.cells);
    const header = csvHeader(rows[0] as string[]);
    const fromCsv = rows.slice(1).map((cells) => parseCsvRow(cells, header));
    expect(fromCsv.map((p) => p.ok && p.record.call.caller)).toEqual(
      [0, 1, 2, 3, 4].map((i) => scored(i).call.caller),
    );
    const jsonl = await request(app).get('/api/export?format=jsonl').expect(200);
    expect(jsonl.headers['content-type']).toContain('application/x-ndjson');
    const lines = jsonl.text
      .trim()
      .split('\n')
      .map((line) => parseScoredText(line));
    expect(lines.every((p) => p.ok)).toBe(true);
    expect(lines.length).toBe(5);
    await request(app).get('/api/export?format=xml').expect(400);
  });

  it('sends a CSP without inline script and no CORS headers, even to another origin', async () => {
    const { app } = setup();
    const res = await request(app).get('/api/stats').set('Origin', 'https://evil.example').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const preflight = await request(app)
      .options('/api/stats')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('exposes Prometheus metrics, including its own counters', async () => {
    const { app, store } = setup();
    store.scored(scored(1));
    store.malformed('bad');
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toContain('dashboard_events_total{kind="scored"} 1');
    expect(metrics.text).toContain('dashboard_events_total{kind="malformed"} 1');
    expect(metrics.text).toContain('process_resident_memory_bytes');
  });
});

describe('stream', () => {
  it('gives a new page the buffer and the aggregates at once', async () => {
    const { app, store } = setup();
    for (let i = 0; i < 60; i++) store.scored(scored(i));
    const stream = await openStream(await listen(app), cleanups);
    await expect.poll(() => stream.events.length).toBeGreaterThan(0);
    expect(stream.res.headers['content-type']).toContain('text/event-stream');
    const first = stream.events[0] as SseEvent;
    expect(first.event).toBe('snapshot');
    const snapshot = first.data as SnapshotMessage;
    expect(snapshot.events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11)); // buffer of 50
    expect(snapshot.stats.total_scored).toBe(60);
    expect(snapshot.series.length).toBe(120);
  });

  it('batches a fast stream into at most 10 updates a second, each with what arrived since the last', async () => {
    const { app, store } = setup();
    const stream = await openStream(await listen(app), cleanups);
    await expect.poll(() => stream.events.length).toBe(1);
    let i = 0;
    const producing = setInterval(() => {
      for (let n = 0; n < 20; n++) store.scored(scored(i++)); // 20 every 5 ms: ~4,000/s
    }, 5);
    await expect.poll(() => stream.events.length, { timeout: 3000 }).toBeGreaterThanOrEqual(11);
    clearInterval(producing);
    const updates = stream.events.slice(1).map((e) => e as SseEvent & { data: UpdateMessage });
    for (let k = 1; k < updates.length; k++) {
      // Stamped by the server when it sent them (the receiving side may read two at once under load).
      const gap =
        (updates[k] as SseEvent & { data: UpdateMessage }).data.sent_ms -
        (updates[k - 1] as SseEvent & { data: UpdateMessage }).data.sent_ms;
      expect(gap).toBeGreaterThanOrEqual(95); // 10 a second at most: 100 ms apart, timers never early by more
    }
    // Every result is either sent or counted as skipped, in order, with no duplicates.
    let expected = 1;
    for (const update of updates) {
      const seqs = update.data.events.map((e) => e.seq);
      expect(seqs[0]).toBe(expected + update.data.skipped);
      expect(seqs).toEqual(seqs.map((_, k) => (seqs[0] as number) + k));
      expected = (seqs.at(-1) ?? expected - 1) + 1;
    }
  });

  it('refuses streams beyond the cap with 503 and Retry-After', async () => {
    const { app } = setup({ maxStreams: 2 });
    const base = await listen(app);
    const a = await openStream(base, cleanups);
    const b = await openStream(base, cleanups);
    expect([a.res.statusCode, b.res.statusCode]).toEqual([200, 200]);
    const refused = await request(base).get('/api/stream').expect(503);
    expect(refused.headers['retry-after']).toBe('5');
  });

  it('skips a client whose socket is full and disconnects it when it stays full', async () => {
    const { app, store, hub, metrics } = setup({
      intervalMs: 60_000,
      slowClientTimeoutMs: 1000,
      maxEventsPerUpdate: 250,
    });
    const base = await listen(app);
    const { port } = new URL(base);
    // A client that asks for the stream and never reads it.
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    cleanups.push(() => {
      socket.destroy();
    });
    await expect.poll(() => hub.clients).toBe(1);
    let now = Date.now();
    let i = 0;
    const long = 'x'.repeat(250);
    for (let round = 0; round < 400 && hub.clients > 0; round++) {
      for (let n = 0; n < 250; n++) store.scored(scored(i++, { model_version: long }));
      now += 100;
      hub.tick(now);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(hub.clients).toBe(0);
    const text = await metrics.registry.getSingleMetricAsString('dashboard_stream_skipped_updates_total');
    expect(Number(/ (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('refuses a push interval under 100 ms (more than 10 updates a second)', () => {
    const store = new ResultStore({ bufferSize: 10, mode: 'kafka' });
    expect(() => new StreamHub(store, { intervalMs: 50, maxStreams: 1 })).toThrow(RangeError);
  });
});
