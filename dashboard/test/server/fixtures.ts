import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ScoredRecord } from '../../src/server/results.js';

export function scored(i: number, overrides: Partial<ScoredRecord> = {}): ScoredRecord {
  const ts = 1_790_000_000 + i * 0.01;
  return {
    call: {
      caller: `0917${String(1_000_000 + i).padStart(7, '0')}`,
      call_duration: 10 + i,
      num_digits: 11,
      hour_of_day: i % 24,
      freq_calls: i % 5,
      ts,
    },
    predicted_label: i % 4 === 0 ? 1 : 0,
    predicted_proba: i % 4 === 0 ? [0.3, 0.7] : [0.9, 0.1],
    processed_ts: ts + 0.005,
    model_version: 'v1',
    ...overrides,
  };
}

/** A temporary directory removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dashboard-test-'));
  afterEach(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeTemp(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

export interface SseEvent {
  event: string;
  data: unknown;
  /** performance.now() when it arrived. */
  atMs: number;
}

/** Opens the page's SSE stream at `base` and collects its events; `cleanups` gets what closes it. */
export async function openStream(base: string, cleanups: (() => void | Promise<void>)[]) {
  const events: SseEvent[] = [];
  const req = http.get(`${base}/api/stream`);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data), atMs: performance.now() });
      end = buffer.indexOf('\n\n');
    }
  });
  cleanups.push(() => {
    req.destroy();
  });
  return { res, events, close: () => req.destroy() };
}
