#!/usr/bin/env node
/**
 * Dashboard benchmark (a script, not a test): RATE results/s (default 5,000) written to a fresh results topic on
 * the real broker for SECONDS (default 120), the built dashboard reading it, and the page open in headless
 * Chromium. Prints JSON lines {"name","value","unit"}: server RSS at start and end (and its peak), the page's
 * longest main-thread task, p50/p95/p99 from a result being produced to its row being painted on the page,
 * and whether the dashboard kept up.
 *
 *   npm run bench:dashboard            (or make bench-dashboard, which starts the local broker)
 *   node dashboard/dist/bench/bench.js --rate 5000 --seconds 120
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '@scam-detector/core';
import { createKafkajsTransport, createTopics, deleteTopicsAndGroups } from '@scam-detector/transport';
import type { Stats } from '../shared/wire.js';
import { CHROMIUM_PATH, launchHeadlessChromium } from './chromium.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '120' },
    chromium: { type: 'string', default: CHROMIUM_PATH },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const MAIN = fileURLToPath(new URL('../server/main.js', import.meta.url));
const TICK_MS = 20;

/**
 * Runs in the page before its own script: records long tasks, and for each new row (by seq, once) the time
 * it was painted (the next animation frame after it entered the DOM) minus the time its result was produced
 * (the bench writes processed_ts = call.ts = the send time; rows carry call.ts in data-ts).
 */
const PAGE_PROBE = `
window.__longest = 0; window.__longTasks = 0; window.__latencies = []; const seen = new Set();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { window.__longTasks++; window.__longest = Math.max(window.__longest, entry.duration); }
}).observe({ type: 'longtask', buffered: true });
const observe = () => {
  const body = document.querySelector('[data-testid=results-table] tbody');
  if (!body) { requestAnimationFrame(observe); return; }
  new MutationObserver((mutations) => {
    const fresh = [];
    for (const mutation of mutations) for (const row of mutation.addedNodes) {
      const seq = row.dataset && row.dataset.seq;
      if (!seq || seen.has(seq)) continue;
      seen.add(seq);
      fresh.push(Number(row.dataset.ts) * 1000);
    }
    if (fresh.length > 0) requestAnimationFrame(() => {
      const painted = Date.now();
      for (const produced of fresh) window.__latencies.push(painted - produced);
    });
  }).observe(body, { childList: true });
};
observe();
`;

const emit = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(2)), unit, ...extra }));
};

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

async function startDashboard(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN, '--port', '0'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /dashboard listening on port (\d+)/.exec(output)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    child.once('exit', (code) => reject(new Error(`dashboard exited with ${code}: ${output}`)));
  });
  return { child, url };
}

interface TaskEvent {
  wallMs: number;
  cpuMs: number;
}

/** The top-level tasks of the renderer's main thread (CrRendererMain) from a Chromium trace. */
function taskEvents(buffer: Buffer): TaskEvent[] {
  const parsed = JSON.parse(buffer.toString('utf8')) as {
    traceEvents: {
      name: string;
      ph: string;
      pid: number;
      tid: number;
      dur?: number;
      tdur?: number;
      args?: { name?: string };
    }[];
  };
  const main = new Set<string>();
  for (const e of parsed.traceEvents) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      main.add(`${e.pid}:${e.tid}`);
  }
  return parsed.traceEvents
    .filter(
      (e) => e.name === 'RunTask' && e.ph === 'X' && main.has(`${e.pid}:${e.tid}`) && e.dur !== undefined,
    )
    .map((e) => ({ wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? 0) / 1000 }));
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const suffix = randomBytes(4).toString('hex');
const topics = { output: `bench-scored-${suffix}`, dlq: `bench-dlq-${suffix}` };
await createTopics(BROKERS, [topics.output, topics.dlq], 6);
const logger = createLogger('bench', 'warn');
const transport = createKafkajsTransport({ brokers: BROKERS, clientId: 'dashboard-bench', logger });
const producer = await transport.producer();
// LOG_LEVEL=info lets the start-up line through (it names the port); the rest is quiet.
const dashboard = await startDashboard({
  LOG_LEVEL: 'info',
  KAFKA_BROKERS: BROKERS.join(','),
  OUTPUT_TOPIC: topics.output,
  DLQ_TOPIC: topics.dlq,
});
const pid = dashboard.child.pid as number;
const browser = await launchHeadlessChromium(values.chromium);

try {
  await until(
    async () => (await fetch(`${dashboard.url}/readyz`)).ok,
    60_000,
    'the dashboard to read the topic',
  );
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  // Long tasks, and for each new row the time it was painted minus the time its result was produced.
  await page.addInitScript({ content: PAGE_PROBE });
  await page.goto(dashboard.url);
  await page.getByTestId('connection').and(page.locator('[data-state=live]')).waitFor({ timeout: 30_000 });
  await page.evaluate('window.__longest = 0; window.__longTasks = 0'); // page load is not part of the run
  // Chromium's own accounting of the page's main thread (cumulative seconds of tasks, script, layout).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const mainThread = async (): Promise<Record<string, number>> => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
  const threadStart = await mainThread();

  emit('host_load_1m_start', loadavg()[0] as number, 'runnable', { cores: availableParallelism() });
  const rssStart = rssMiB(pid);
  let rssPeak = rssStart;
  let produced = 0;
  const began = performance.now();
  const total = RATE * SECONDS;
  let next = began;
  let rssAt10s: number | undefined;
  /** A window of Chromium's trace: each task on the page's main thread with its wall and CPU time. */
  const trace: { state: 'idle' | 'on' | 'done'; from: number; seconds: number; events: TaskEvent[] } = {
    state: 'idle',
    from: Math.min(30, SECONDS / 4),
    seconds: Math.min(30, SECONDS / 2),
    events: [],
  };
  /** [seconds, RSS MiB, V8 heap used MiB, V8 heap total MiB] every 15 s. */
  const samples: number[][] = [];
  const memory = async (): Promise<number[]> => {
    const text = await (await fetch(`${dashboard.url}/metrics`)).text();
    const mib = (name: string): number =>
      Number((Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / 2 ** 20).toFixed(1));
    return [
      Number(rssMiB(pid).toFixed(1)),
      mib('nodejs_heap_size_used_bytes'),
      mib('nodejs_heap_size_total_bytes'),
    ];
  };
  while (produced < total) {
    const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * RATE));
    if (due > produced) {
      const now = Date.now() / 1000;
      const records = [];
      for (let i = produced; i < due; i++) {
        const scam = i % 5 === 0;
        records.push({
          topic: topics.output,
          key: `09${String(170_000_000 + (i % 5000)).padStart(9, '0')}`,
          value: `{"call":{"caller":"09${String(170_000_000 + (i % 5000)).padStart(9, '0')}","call_duration":${(i % 300) + 0.5},"num_digits":11,"hour_of_day":${i % 24},"freq_calls":${i % 9},"ts":${now}},"predicted_label":${scam ? 1 : 0},"predicted_proba":${scam ? '[0.2,0.8]' : '[0.9,0.1]'},"processed_ts":${now},"model_version":"bench","explanation":{"neighbours":101,"scam_neighbours":${scam ? 81 : 10},"nearest_distance":0.1},"truth_label":${i % 7 === 0 ? 1 - (scam ? 1 : 0) : scam ? 1 : 0}}`,
        });
      }
      await producer.send(records);
      produced = due;
    }
    const elapsed = (performance.now() - began) / 1000;
    if (rssAt10s === undefined && elapsed >= 10) rssAt10s = rssMiB(pid);
    if (elapsed >= samples.length * 15) samples.push([Math.round(elapsed), ...(await memory())]);
    if (trace.state === 'idle' && elapsed >= trace.from) {
      trace.state = 'on';
      await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline'] });
    } else if (trace.state === 'on' && elapsed >= trace.from + trace.seconds) {
      trace.state = 'done';
      trace.events = taskEvents(await browser.stopTracing());
    }
    rssPeak = Math.max(rssPeak, rssMiB(pid));
    next += TICK_MS;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const sendSeconds = (performance.now() - began) / 1000;
  await until(
    async () =>
      ((await (await fetch(`${dashboard.url}/api/stats`)).json()) as Stats).total_scored >= produced,
    60_000,
    'the dashboard to read every result',
  );
  const drainedSeconds = (performance.now() - began) / 1000;
  const threadEnd = await mainThread();
  const busy = (name: string): number => ((threadEnd[name] ?? 0) - (threadStart[name] ?? 0)) / drainedSeconds;
  const rssEnd = rssMiB(pid);
  const stats = (await (await fetch(`${dashboard.url}/api/stats`)).json()) as Stats;
  const page_ = (await page.evaluate(
    '({ longest: window.__longest, longTasks: window.__longTasks, latencies: window.__latencies })',
  )) as { longest: number; longTasks: number; latencies: number[] };
  const latencies = page_.latencies.sort((a, b) => a - b);
  emit('dashboard_bench_rate', produced / sendSeconds, 'results/s', { target: RATE, seconds: SECONDS });
  emit('dashboard_bench_read_all', drainedSeconds, 's', { results: produced, read: stats.total_scored });
  emit('dashboard_server_rss_start', rssStart, 'MiB');
  emit('dashboard_server_rss_10s', rssAt10s ?? Number.NaN, 'MiB');
  emit('dashboard_server_rss_end', rssEnd, 'MiB');
  emit('dashboard_server_rss_peak', rssPeak, 'MiB', {
    samples_s_rss_heapused_heaptotal: [...samples, [Math.round(drainedSeconds), ...(await memory())]],
  });
  emit('dashboard_page_longest_task', page_.longest, 'ms', { long_tasks: page_.longTasks });
  if (trace.events.length > 0) {
    const byWall = [...trace.events].sort((a, b) => b.wallMs - a.wallMs);
    const longest = byWall[0] as TaskEvent;
    const overBudget = trace.events.filter((t) => t.wallMs > 50);
    emit('dashboard_page_trace_longest_task', longest.wallMs, 'ms', {
      cpu_ms: Number(longest.cpuMs.toFixed(1)),
      window_s: trace.seconds,
      tasks: trace.events.length,
      over_50ms: overBudget.length,
      over_50ms_cpu_over_50ms: overBudget.filter((t) => t.cpuMs > 50).length,
    });
    emit('dashboard_page_trace_most_cpu_task', Math.max(...trace.events.map((t) => t.cpuMs)), 'ms', {
      note: 'CPU time of the costliest task on the page main thread; wall time minus this is waiting for a core',
    });
  }
  emit('dashboard_page_main_thread_busy', busy('TaskDuration') * 100, '%', {
    script_pct: Number((busy('ScriptDuration') * 100).toFixed(1)),
    layout_pct: Number((busy('LayoutDuration') * 100).toFixed(1)),
    style_pct: Number((busy('RecalcStyleDuration') * 100).toFixed(1)),
  });
  emit('dashboard_produced_to_shown_p50', quantile(latencies, 0.5), 'ms', { rows: latencies.length });
  emit('dashboard_produced_to_shown_p95', quantile(latencies, 0.95), 'ms', { rows: latencies.length });
  emit('dashboard_produced_to_shown_p99', quantile(latencies, 0.99), 'ms', { rows: latencies.length });
  emit('dashboard_server_end_to_end_p99', stats.latency_ms.end_to_end.p99 ?? Number.NaN, 'ms', {
    note: 'produced → read by the dashboard, last 120 s',
  });
  emit('host_load_1m_end', loadavg()[0] as number, 'runnable', { cores: availableParallelism() });
  await page.close();
} finally {
  await browser.close();
  dashboard.child.kill('SIGTERM');
  await new Promise((resolve) => dashboard.child.once('exit', resolve));
  await producer.close();
  await transport.close();
  await deleteTopicsAndGroups(BROKERS, [topics.output, topics.dlq]);
}
