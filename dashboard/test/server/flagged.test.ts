import { once } from 'node:events';
import http from 'node:http';
import { type CallerVerdict, createLogger, EXPLAINED_FEATURES, serializeVerdict } from '@scam-detector/core';
import {
  createMemoryTransport,
  MemoryBus,
  type ProducedRecord,
  type Transport,
  TransportUnavailableError,
} from '@scam-detector/transport';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { startDashboard } from '../../src/server/dashboard.js';
import { FlaggedCallers } from '../../src/server/flagged-callers.js';
import { createDashboardMetrics } from '../../src/server/metrics.js';
import { createModelInfo } from '../../src/server/model-info.js';
import { createReplayFeed } from '../../src/server/replay.js';
import { ResultStore } from '../../src/server/store.js';
import { StreamHub } from '../../src/server/stream-hub.js';
import { createTransportFeed } from '../../src/server/transport-feed.js';
import type { FlaggedPanel, SnapshotMessage, UpdateMessage } from '../../src/shared/wire.js';
import { openStream, scored, tempDir, writeTemp } from './fixtures.js';

const logger = createLogger('test', 'silent');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

const TOPICS = { scored: 'scored', dlq: 'dlq', verdicts: 'verdicts' };
const caller = (n: number): string => `0918${String(1_000_000 + n)}`;
const features = Object.fromEntries(EXPLAINED_FEATURES.map((name, i) => [name, i + 1]));
const T0 = 1_790_000_000;

function verdict(n: number, overrides: Partial<CallerVerdict> = {}): CallerVerdict {
  return {
    caller: caller(n),
    verdict: 'flagged',
    changed_ts: T0 + n,
    first_flagged_ts: T0 + n,
    calls_since_flagged: 1,
    score: 0.9,
    model_version: 'knn-1',
    processed_ts: T0 + n + 0.01,
    features,
    input: { topic: 'calls_raw', partition: 0, offset: 100 + n },
    ...overrides,
  };
}

const verdictRecord = (n: number, overrides: Partial<CallerVerdict> = {}): ProducedRecord => ({
  topic: TOPICS.verdicts,
  key: caller(n),
  value: serializeVerdict(verdict(n, overrides)),
});
const tombstone = (n: number): ProducedRecord => ({ topic: TOPICS.verdicts, key: caller(n), value: null });

/** A result of caller `n`'s call read from input offset `offset`. */
const result = (n: number, offset: number, ts = T0 + offset): ProducedRecord => ({
  topic: TOPICS.scored,
  key: caller(n),
  value: JSON.stringify({
    ...scored(n, { call: { ...scored(n).call, caller: caller(n), ts } }),
    input: { topic: 'calls_raw', partition: 0, offset },
  }),
});

async function live(transport: Transport = createMemoryTransport(), log = logger) {
  const dashboard = await startDashboard({
    feed: createTransportFeed(transport, {
      outputTopic: TOPICS.scored,
      dlqTopic: TOPICS.dlq,
      verdictsTopic: TOPICS.verdicts,
      fromBeginning: false,
      retryMs: 20,
      verdictsIdleMs: 200,
      logger: log,
    }),
    port: 0,
    host: '127.0.0.1',
    logger: log,
  });
  cleanups.push(() => dashboard.close());
  const base = `http://127.0.0.1:${dashboard.port}`;
  const panel = async (): Promise<FlaggedPanel> => (await fetch(`${base}/api/flagged`)).json();
  const callers = async (): Promise<string[]> => (await panel()).callers.map((c) => c.caller);
  return { dashboard, base, panel, callers };
}

async function send(transport: Transport, records: ProducedRecord[]): Promise<void> {
  const producer = await transport.producer();
  await producer.send(records);
}

describe('the flagged-callers panel from the caller-verdicts topic', () => {
  it('reads the whole topic at start: the latest verdict of each caller, cleared and evicted callers gone', async () => {
    const transport = createMemoryTransport(new MemoryBus({ partitions: 3 }));
    await send(transport, [
      ...[1, 2, 3, 4, 5].map((n) => verdictRecord(n)),
      verdictRecord(2, { verdict: 'cleared', changed_ts: T0 + 50, calls_since_flagged: 4 }),
      tombstone(3),
      verdictRecord(6, { first_flagged_ts: T0 + 1000, changed_ts: T0 + 1000 }),
    ]);
    const { base, panel, callers } = await live(transport);
    await expect.poll(async () => (await panel()).loaded).toBe(true);
    // The most recently first flagged first.
    expect(await callers()).toEqual([caller(6), caller(5), caller(4), caller(1)]);
    const whole = await panel();
    expect(whole).toMatchObject({ state: 'live', topic: TOPICS.verdicts, count: 4, malformed: 0 });
    expect(whole.callers[0]).toMatchObject({
      caller: caller(6),
      first_flagged_ts: T0 + 1000,
      calls_since: 1,
      score: 0.9,
      model_version: 'knn-1',
      features,
    });
    // A new page gets the whole panel in its first message.
    const stream = (await openStream(base, cleanups)).events;
    await expect.poll(() => stream.length).toBeGreaterThan(0);
    const snapshot = stream[0]?.data as SnapshotMessage;
    expect(snapshot.flagged.callers.map((c) => c.caller)).toEqual(await callers());
    expect(snapshot.flagged.loaded).toBe(true);
  });

  it('removes a caller when it is cleared, and when its tombstone comes (evicted for idleness)', async () => {
    const transport = createMemoryTransport();
    const { callers } = await live(transport);
    await send(transport, [verdictRecord(1), verdictRecord(2)]);
    await expect.poll(callers).toEqual([caller(2), caller(1)]);
    await send(transport, [
      verdictRecord(1, { verdict: 'cleared', changed_ts: T0 + 9, calls_since_flagged: 4 }),
    ]);
    await expect.poll(callers).toEqual([caller(2)]);
    await send(transport, [tombstone(2)]);
    await expect.poll(callers).toEqual([]);
  });

  it('pushes a live verdict to an open page over the stream, as a change at the next push', async () => {
    const transport = createMemoryTransport();
    const { base, dashboard } = await live(transport);
    await expect.poll(() => dashboard.store.flagged.status().state).toBe('live');
    const stream = (await openStream(base, cleanups)).events;
    await expect.poll(() => stream.length).toBe(1);
    const sentAt = Date.now();
    await send(transport, [verdictRecord(7)]);
    const updates = () => stream.slice(1).map((m) => m.data as UpdateMessage);
    await expect
      .poll(() => updates().find((u) => u.flagged_delta?.upsert.some((c) => c.caller === caller(7))))
      .toBeTruthy();
    // Within the push interval (100 ms) and the time to read it; the page is not sent the whole panel.
    const delivered = updates().find((u) => u.flagged_delta);
    expect((delivered?.sent_ms ?? 0) - sentAt).toBeLessThan(2000);
    expect(delivered?.flagged_callers).toBeUndefined();
    expect(delivered?.flagged).toMatchObject({ state: 'live', count: 1 });
    await send(transport, [verdictRecord(7, { verdict: 'cleared' })]);
    await expect.poll(() => updates().some((u) => u.flagged_delta?.remove.includes(caller(7)))).toBe(true);
  });

  it('counts the calls since flagging: the verdict’s count plus later results, a duplicate result once', async () => {
    const transport = createMemoryTransport();
    const { dashboard } = await live(transport);
    await expect.poll(() => dashboard.store.sourceState).toBe('live');
    // Flagged by the call at input offset 101 (caller 1).
    await send(transport, [verdictRecord(1)]);
    await expect.poll(() => dashboard.store.flagged.get(caller(1))?.calls_since).toBe(1);
    await send(transport, [
      result(1, 101), // the flagging call itself: already in the verdict's count
      result(1, 102),
      result(1, 103),
      result(1, 102), // redelivered after a processor crash: the same input id
      result(2, 104), // another caller
    ]);
    await expect.poll(() => dashboard.store.stats().total_scored).toBe(4);
    expect(dashboard.store.stats().duplicates.dropped).toBe(1);
    expect(dashboard.store.flagged.get(caller(1))?.calls_since).toBe(3);

    // A caller's later calls read before its verdict (two topics, two consumers) count too, once.
    await send(transport, [result(3, 205), result(3, 206), result(3, 205)]);
    await expect.poll(() => dashboard.store.stats().total_scored).toBe(6);
    await send(transport, [verdictRecord(3, { input: { topic: 'calls_raw', partition: 0, offset: 204 } })]);
    await expect.poll(() => dashboard.store.flagged.get(caller(3))?.calls_since).toBe(3);
    // The same verdict again (re-read) keeps what was counted since.
    await send(transport, [verdictRecord(3, { input: { topic: 'calls_raw', partition: 0, offset: 204 } })]);
    await send(transport, [result(3, 207)]);
    await expect.poll(() => dashboard.store.flagged.get(caller(3))?.calls_since).toBe(4);
  });

  it('counts a result without an input id as after the verdict by its event time', () => {
    const store = new ResultStore({ bufferSize: 10, mode: 'kafka', verdicts: { topic: 'v' } });
    store.verdict(caller(1), verdict(1));
    store.scored(scored(1, { call: { ...scored(1).call, caller: caller(1), ts: T0 + 1 } })); // the flagging call
    store.scored(scored(1, { call: { ...scored(1).call, caller: caller(1), ts: T0 + 2 } }));
    expect(store.flagged.get(caller(1))?.calls_since).toBe(2);
  });

  it('counts a garbage verdict, logs it once, and goes on', async () => {
    const transport = createMemoryTransport();
    const log = createLogger('test', 'silent');
    const warn = vi.spyOn(log, 'warn');
    const { dashboard, base, callers } = await live(transport, log);
    await send(transport, [
      { topic: TOPICS.verdicts, key: caller(1), value: '{not json' },
      { topic: TOPICS.verdicts, key: caller(1), value: 'null' },
      {
        topic: TOPICS.verdicts,
        key: caller(1),
        value: JSON.stringify({ caller: caller(1), verdict: 'maybe' }),
      },
      { topic: TOPICS.verdicts, key: caller(9), value: serializeVerdict(verdict(1)) }, // key is not its caller
      { topic: TOPICS.verdicts, key: null, value: null }, // a tombstone of nobody
      { topic: TOPICS.verdicts, key: caller(1), value: Buffer.from([0xff, 0xfe]) },
      verdictRecord(2),
    ]);
    await expect.poll(callers).toEqual([caller(2)]);
    expect(dashboard.store.flagged.status().malformed).toBe(6);
    const logged = warn.mock.calls.filter((call) => String(call[1]).includes('malformed caller verdict'));
    expect(logged.length).toBe(1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('dashboard_verdicts_total{kind="malformed"} 6');
    expect(metrics).toContain('dashboard_verdicts_total{kind="flagged"} 1');
    expect(metrics).toContain('dashboard_flagged_callers 1');
  });

  it('waits for a verdicts topic that does not exist yet, showing results and ready meanwhile', async () => {
    const memory = createMemoryTransport();
    let exists = false;
    const transport: Transport = {
      ...memory,
      async checkTopics(topics) {
        if (topics.includes(TOPICS.verdicts) && !exists)
          throw new TransportUnavailableError(
            'TOPICS_MISSING',
            `waiting for topic ${TOPICS.verdicts} to exist`,
            [TOPICS.verdicts],
          );
      },
    };
    const { dashboard, base, callers } = await live(transport);
    await send(memory, [result(1, 1), verdictRecord(1)]);
    await expect.poll(() => dashboard.store.stats().total_scored).toBe(1);
    const ready = await request(base).get('/readyz').expect(200);
    expect(ready.body.verdicts).toMatchObject({ state: 'waiting', loaded: false });
    expect(ready.body.verdicts.reason).toContain(TOPICS.verdicts);
    expect(await callers()).toEqual([]);
    exists = true;
    await expect.poll(callers).toEqual([caller(1)]);
    // Loaded once every partition is read (5 of the 6 are empty: no batch comes from them, so after a short idle).
    await expect
      .poll(async () => (await request(base).get('/readyz').expect(200)).body.verdicts)
      .toEqual({ state: 'live', loaded: true });
  });

  it('has no verdicts in a replay: the panel says so and readiness does not depend on it', async () => {
    const dir = await tempDir();
    const path = await writeTemp(dir, 'r.jsonl', `${JSON.stringify(scored(1))}\n`);
    const dashboard = await startDashboard({
      feed: createReplayFeed({ path, speed: 0, loop: false }),
      port: 0,
      host: '127.0.0.1',
      logger,
    });
    cleanups.push(() => dashboard.close());
    const base = `http://127.0.0.1:${dashboard.port}`;
    await expect.poll(async () => (await request(base).get('/readyz')).status).toBe(200);
    const panel = (await request(base).get('/api/flagged').expect(200)).body as FlaggedPanel;
    expect(panel).toMatchObject({ state: 'none', callers: [], count: 0 });
  });
});

describe('the flagged callers kept', () => {
  const view = (n: number, first: number) => ({ ...verdict(n), first_flagged_ts: first, changed_ts: first });

  it('keeps at most its limit: the most recently first flagged, the others counted as left out', () => {
    const flagged = new FlaggedCallers({ limit: 3 });
    for (const [n, first] of [
      [1, 10],
      [2, 40],
      [3, 20],
      [4, 30], // full: forgets 1 (first flagged at 10)
      [5, 5], // older than every caller kept: not kept
    ] as const)
      flagged.apply(caller(n), view(n, first));
    expect(flagged.list().map((c) => c.caller)).toEqual([caller(2), caller(4), caller(3)]);
    expect(flagged.status()).toMatchObject({ count: 3, limit: 3, left_out: 2 });
    flagged.apply(caller(4), { ...view(4, 30), verdict: 'cleared' });
    flagged.apply(caller(6), view(6, 1)); // room again
    expect(flagged.list().map((c) => c.caller)).toEqual([caller(2), caller(3), caller(6)]);
  });

  it('forgets the right caller whatever the order of updates (against a sorted reference)', () => {
    const limit = 50;
    const flagged = new FlaggedCallers({ limit });
    const reference = new Map<string, number>();
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step < 5000; step++) {
      const n = Math.floor(random() * 200);
      const first = Math.floor(random() * 100_000);
      if (random() < 0.3) {
        flagged.apply(caller(n), undefined);
        reference.delete(caller(n));
        continue;
      }
      flagged.apply(caller(n), { ...view(n, first), input: { topic: 'r', partition: 0, offset: step } });
      if (!reference.has(caller(n)) && reference.size >= limit) {
        const [oldest, ts] = [...reference].sort((a, b) => a[1] - b[1])[0] as [string, number];
        if (ts > first) continue;
        reference.delete(oldest);
      }
      reference.set(caller(n), first);
    }
    const expected = [...reference].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
    expect(flagged.list().map((c) => c.caller)).toEqual(expected);
  });

  it('collects changes as a delta for the stream, and asks for every row when too many piled up', () => {
    const flagged = new FlaggedCallers({ limit: 2 });
    expect(flagged.takeDelta()).toBeUndefined();
    flagged.apply(caller(1), view(1, 10));
    flagged.apply(caller(2), view(2, 20));
    flagged.apply(caller(1), undefined);
    expect(flagged.takeDelta()).toEqual({ upsert: [flagged.get(caller(2))], remove: [caller(1)] });
    expect(flagged.takeDelta()).toBeUndefined();
    for (let n = 3; n < 10; n++) flagged.apply(caller(n), view(n, n * 100));
    expect(flagged.takeDelta()).toBe('full');
  });

  it('sends a page that missed a change every row instead of a delta', async () => {
    const metrics = createDashboardMetrics();
    const store = new ResultStore({ bufferSize: 10, mode: 'kafka', verdicts: { topic: 'v', limit: 2 } });
    const hub = new StreamHub(store, { intervalMs: 60_000, maxStreams: 5 });
    cleanups.push(() => hub.close());
    const app = createApp({
      store,
      hub,
      registry: metrics.registry,
      modelInfo: createModelInfo(undefined, store),
    });
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const stream = (
      await openStream(`http://127.0.0.1:${(server.address() as { port: number }).port}`, cleanups)
    ).events;
    await expect.poll(() => stream.length).toBe(1);
    for (let n = 1; n < 10; n++) store.verdict(caller(n), view(n, n * 100)); // more changes than it tracks
    hub.tick();
    await expect.poll(() => stream.length).toBe(2);
    const update = stream[1]?.data as UpdateMessage;
    expect(update.flagged_delta).toBeUndefined();
    expect(update.flagged_callers?.map((c) => c.caller)).toEqual([caller(9), caller(8)]);
  });
});
