import { describe, expect, it } from 'vitest';
import type { FeedSink } from '../../src/server/feed.js';
import { createReplayFeed, detectFormat, readRecording } from '../../src/server/replay.js';
import { toCsv, toJsonl } from '../../src/server/results.js';
import { ResultStore } from '../../src/server/store.js';
import { scored, tempDir, writeTemp } from './fixtures.js';

async function collect(path: string) {
  const rows = [];
  for await (const row of readRecording(path)) rows.push(row);
  return rows;
}

/** A store that also resolves when the feed reports `replay_done`. */
function storeUntilDone(path: string, speed: number) {
  const store = new ResultStore({ bufferSize: 100, mode: 'replay', replay: { file: path, speed } });
  const done = new Promise<void>((resolve) => {
    const state = store.state.bind(store);
    (store as FeedSink).state = (s) => {
      state(s);
      if (s === 'replay_done') resolve();
    };
  });
  return { store, done };
}

describe('recordings', () => {
  it('tells CSV from JSONL by extension, else by the first character', () => {
    expect(detectFormat('a.csv', '{')).toBe('csv');
    expect(detectFormat('a.jsonl', 'x')).toBe('jsonl');
    expect(detectFormat('recording', ' {"call":')).toBe('jsonl');
    expect(detectFormat('recording', 'call.caller,')).toBe('csv');
  });

  it('reads JSONL row by row, numbering lines and reporting malformed ones', async () => {
    const dir = await tempDir();
    const lines = [
      JSON.stringify(scored(1)),
      '{oops',
      '',
      JSON.stringify({ call: 'x' }),
      JSON.stringify(scored(2)),
    ];
    const rows = await collect(await writeTemp(dir, 'r.jsonl', `${lines.join('\n')}\n`));
    expect(rows.map((r) => [r.line, r.ok])).toEqual([
      [1, true],
      [2, false],
      [4, false],
      [5, true],
    ]);
  });

  it('reads CSV with the old columns, including the line of a malformed row', async () => {
    const dir = await tempDir();
    const csv = toCsv([scored(1), scored(2)]).replace(/\r\n$/, '\r\nnot,a,row\r\n');
    const rows = await collect(await writeTemp(dir, 'r.csv', csv));
    expect(rows.map((r) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, true],
      [4, false],
    ]);
  });
});

describe('replay feed', () => {
  it('serves a whole recording with no broker, counting malformed rows and never stopping on them', async () => {
    const dir = await tempDir();
    const lines = [scored(1), scored(2), scored(3)].map((r) => JSON.stringify(r));
    lines.splice(1, 0, 'garbage', '{"call":{}}');
    const path = await writeTemp(dir, 'r.jsonl', lines.join('\n'));
    const { store, done } = storeUntilDone(path, 0);
    const subscription = await createReplayFeed({ path, speed: 0, loop: false }).subscribe(store);
    await done;
    await subscription.stop();
    const stats = store.stats();
    expect(stats.total_scored).toBe(3);
    expect(stats.malformed).toBe(2);
    expect(stats.source).toMatchObject({ mode: 'replay', state: 'replay_done' });
    expect(stats.source.replay?.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(store.buffer.toArray().map((v) => v.call.caller)).toEqual(
      [1, 2, 3].map((i) => scored(i).call.caller),
    );
  });

  it('replays an export of the buffer: the same results come back', async () => {
    const dir = await tempDir();
    const records = Array.from({ length: 20 }, (_, i) => scored(i, { truth_label: (i % 2) as 0 | 1 }));
    for (const [name, text] of [
      ['e.csv', toCsv(records)],
      ['e.jsonl', toJsonl(records)],
    ] as const) {
      const path = await writeTemp(dir, name, text);
      const { store, done } = storeUntilDone(path, 0);
      const subscription = await createReplayFeed({ path, speed: 0, loop: false }).subscribe(store);
      await done;
      await subscription.stop();
      expect(store.buffer.toArray().map(({ seq: _s, seen_ms: _m, ...r }) => r)).toEqual(records);
    }
  });

  it('keeps the recording’s pace, divided by the speed', async () => {
    const dir = await tempDir();
    // Seven results 100 ms apart in the recording: 600 ms at 1×, 60 ms at 10×.
    const records = [0, 1, 2, 3, 4, 5, 6].map((i) => scored(i, { processed_ts: 1_790_000_000 + i * 0.1 }));
    const path = await writeTemp(dir, 'paced.jsonl', toJsonl(records));
    const timings: Record<number, number> = {};
    for (const speed of [1, 10]) {
      const { store, done } = storeUntilDone(path, speed);
      const began = performance.now();
      const subscription = await createReplayFeed({ path, speed, loop: false }).subscribe(store);
      await done;
      timings[speed] = performance.now() - began;
      await subscription.stop();
      expect(store.stats().total_scored).toBe(7);
    }
    expect(timings[1]).toBeGreaterThanOrEqual(590); // never faster than the recording
    expect(timings[10]).toBeLessThan(timings[1] as number);
  });

  it('starts over when looping, and stops when told', async () => {
    const dir = await tempDir();
    const path = await writeTemp(dir, 'loop.jsonl', toJsonl([scored(1), scored(2)]));
    const store = new ResultStore({ bufferSize: 100, mode: 'replay', replay: { file: path, speed: 0 } });
    const subscription = await createReplayFeed({ path, speed: 0, loop: true }).subscribe(store);
    await expect.poll(() => store.stats().total_scored, { timeout: 5000 }).toBeGreaterThanOrEqual(6);
    await subscription.stop();
    const after = store.stats().total_scored;
    expect(store.stats().source.replay?.loops).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.stats().total_scored).toBe(after);
  });

  it('reports an unreadable file as an error, not a crash', async () => {
    const errors: Error[] = [];
    const { store, done } = storeUntilDone('/nonexistent/recording.jsonl', 0);
    const subscription = await createReplayFeed({
      path: '/nonexistent/recording.jsonl',
      speed: 0,
      loop: true,
      onError: (error) => errors.push(error),
    }).subscribe(store);
    await done;
    await subscription.stop();
    expect(errors[0]?.message).toContain('ENOENT');
    expect(store.stats().malformed).toBe(1);
  });
});
