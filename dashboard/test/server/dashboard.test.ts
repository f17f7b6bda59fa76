import { createLogger } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/server/dashboard.js';
import { createReplayFeed } from '../../src/server/replay.js';
import { toJsonl } from '../../src/server/results.js';
import { scored, tempDir, writeTemp } from './fixtures.js';

describe('startDashboard', () => {
  it('serves a feed on a free port, and closes cleanly', async () => {
    const dir = await tempDir();
    const path = await writeTemp(dir, 'r.jsonl', `${toJsonl([scored(1), scored(2), scored(3)])}{broken\n`);
    const dashboard = await startDashboard({
      feed: createReplayFeed({ path, speed: 0, loop: false }),
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('test', 'silent'),
    });
    const base = `http://127.0.0.1:${dashboard.port}`;
    await expect
      .poll(async () => (await (await fetch(`${base}/api/stats`)).json()).source.state)
      .toBe('replay_done');
    const stats = await (await fetch(`${base}/api/stats`)).json();
    expect(stats).toMatchObject({ total_scored: 3, malformed: 1 });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(dashboard.store.buffer.size).toBe(3);
    await dashboard.close();
    await dashboard.close(); // idempotent
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
