import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The built CLI, as `npm start` runs it (`make test` builds first).
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const exec = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const env = { ...process.env };
  delete env.KAFKA_BROKERS;
  const child = spawn(process.execPath, [main, 'start', ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk) => (text += chunk));
  child.stderr?.on('data', (chunk) => (text += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exit };
}

describe('scam-detector start (one process, no broker)', () => {
  it('trains the behavioural model when there is none, scores the simulated world with caller features, serves them, and stops on Ctrl-C with exit code 0', async () => {
    const run = start([
      '--port',
      '0',
      '--scale',
      '0.1',
      '--speedup',
      '300',
      '--model',
      join(dir, 'models', 'model.json'),
    ]);
    try {
      const url = await vi.waitFor(
        () => {
          const match = /Dashboard: (http:\/\/localhost:\d+)/.exec(run.output());
          if (!match) throw new Error(`not started yet:\n${run.output().slice(-500)}`);
          return match[1] as string;
        },
        { timeout: 60_000, interval: 200 },
      );
      expect(run.output()).toContain('training the behavioural model');
      expect(run.output()).toContain('the simulated world at 300x');
      expect(run.output()).toContain('in-process bus');
      const stats = await vi.waitFor(
        async () => {
          const body = (await (await fetch(`${url}/api/stats`)).json()) as {
            total_scored: number;
            dlq: number;
          };
          if (body.total_scored === 0) throw new Error('nothing scored yet');
          return body;
        },
        { timeout: 20_000, interval: 200 },
      );
      expect(stats.total_scored).toBeGreaterThan(0);
      expect((await fetch(url)).headers.get('content-type')).toContain('text/html');
      const recent = (await (await fetch(`${url}/api/recent`)).json()) as {
        call: { callee?: string };
        scenario?: string;
        explanation?: { features?: Record<string, number> };
      }[];
      expect(recent.length).toBeGreaterThan(0);
      expect(recent[0]?.call.callee).toMatch(/^09\d{9}$/);
      expect(recent[0]?.scenario).toBeTruthy();
      expect(recent[0]?.explanation?.features?.calls_24h).toBeGreaterThan(0);
      const file = JSON.parse(readFileSync(join(dir, 'models', 'model.json'), 'utf8')) as { format: string };
      expect(file.format).toBe('scam-detector/behaviour-knn-model');
      const stoppedAt = Date.now();
      run.child.kill('SIGINT');
      expect(await run.exit).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      expect(run.output()).toContain('stopped.');
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);

  it('reuses an existing model without training again', async () => {
    const run = start(['--port', '0', '--model', join(dir, 'models', 'model.json')]);
    try {
      await vi.waitFor(() => expect(run.output()).toContain('Dashboard:'), {
        timeout: 30_000,
        interval: 200,
      });
      expect(run.output()).not.toContain('training the');
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

describe('npm start', () => {
  it('stops with exit code 0 when Ctrl-C reaches the whole process group (npm, and the node it started)', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    const npm = spawn('npm', ['start', '--', '--port', '0', '--model', join(dir, 'models', 'model.json')], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    npm.stdout?.on('data', (chunk) => (text += chunk));
    npm.stderr?.on('data', (chunk) => (text += chunk));
    const exit = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      await vi.waitFor(() => expect(text).toContain('Dashboard:'), { timeout: 60_000, interval: 200 });
      process.kill(-(npm.pid as number), 'SIGINT');
      expect(await exit).toBe(0);
      await vi.waitFor(() => expect(text).toContain('stopped.'), { timeout: 5_000 });
    } finally {
      try {
        process.kill(-(npm.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});

describe('the scam-detector command line', () => {
  it.each([
    ['--help'],
    ['start', '--help'],
    ['train', '--help'],
    ['evaluate', '--help'],
    ['produce', '--help'],
    ['process', '--help'],
    ['dashboard', '--help'],
    ['replay', 'x.csv', '--help'],
  ])('answers %s with usage text and exit code 0', async (...args) => {
    const { stdout } = await exec(process.execPath, [main, ...args]);
    expect(stdout).toMatch(/usage/i);
  });

  it('rejects an unknown command with a non-zero exit code', async () => {
    const failure = await exec(process.execPath, [main, 'frobnicate']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toContain('unknown command');
  });
});
