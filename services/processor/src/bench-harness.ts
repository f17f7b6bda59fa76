/**
 * What the processor's benchmark scripts share (bench.ts, bench-poison.ts, bench-security.ts): their output (JSON
 * lines {"name","value","unit"} on stdout, progress on stderr), fresh topic names, the synthetic call stream, and
 * a processor started as a real child process (the built main.js) whose /metrics they poll.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callEvent, callerPopulation, createRandom, generateCall, type Random } from '@scam-detector/core';

/** `log` writes progress to stderr; `emit` one figure as a JSON line on stdout. */
export function benchOutput(name: string) {
  return {
    log: (message: string) => process.stderr.write(`${name}: ${message}\n`),
    emit: (figure: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
      process.stdout.write(
        `${JSON.stringify({ name: figure, value: Number(value.toFixed(3)), unit, ...extra })}\n`,
      ),
  };
}

/** Fresh input, results and dead-letter topics and a consumer group, named `<prefix>-…-<random id>`. */
export function benchTopics(prefix: string) {
  const id = randomBytes(4).toString('hex');
  return {
    id,
    topics: { input: `${prefix}-raw-${id}`, output: `${prefix}-scored-${id}`, dlq: `${prefix}-dlq-${id}` },
    group: `${prefix}-processor-${id}`,
  };
}

/**
 * The benchmarks' synthetic calls: `next(nowMs)` draws a call from `random` for one of 5,000 callers and returns
 * the caller, the event and its true label.
 */
export function benchCalls(random: Random) {
  const callers = callerPopulation(createRandom(7), 5000);
  return (nowMs: number) => {
    const call = generateCall(random);
    const caller = callers[random.int(0, callers.length - 1)] as string;
    return { caller, event: callEvent(call, caller, nowMs), label: call.label };
  };
}

/** The value at percentile `p` (0–100) of `values` (sorted in place), or NaN when there are none. */
export function percentile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? Number.NaN;
}

export interface BenchProcessor {
  child: ChildProcess;
  /** Every sample of the processor's /metrics (labels included in the name), or undefined before it listens. */
  metrics(): Promise<Map<string, number> | undefined>;
  /** A metric summed over its labels; -1 before the processor listens. */
  metric(name: string): Promise<number>;
  /** Polls /metrics every `everyMs` until `condition` holds, and returns that sample. */
  poll(condition: (m: Map<string, number>) => boolean, everyMs: number): Promise<Map<string, number>>;
}

/**
 * Starts the built processor (main.js beside this file) on `topics` in `group`, serving the model file at
 * `modelPath`; `env` is added to this process's environment last.
 */
export function startBenchProcessor(
  run: { topics: { input: string; output: string; dlq: string }; group: string; modelPath: string },
  env: Record<string, string | undefined> = {},
): BenchProcessor {
  let port = 0;
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'main.js')], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      HTTP_PORT: '0',
      INPUT_TOPIC: run.topics.input,
      OUTPUT_TOPIC: run.topics.output,
      DLQ_TOPIC: run.topics.dlq,
      CONSUMER_GROUP: run.group,
      MODEL_PATH: run.modelPath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.includes('"processor started"')) port = JSON.parse(line).port;
    }
  });
  const metrics = async (): Promise<Map<string, number> | undefined> => {
    if (port === 0) return undefined;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const values = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line.length === 0) continue;
      const at = line.lastIndexOf(' ');
      values.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return values;
  };
  return {
    child,
    metrics,
    async metric(name) {
      const all = await metrics();
      if (!all) return -1;
      let sum = 0;
      for (const [key, value] of all) if (key === name || key.startsWith(`${name}{`)) sum += value;
      return sum;
    },
    async poll(condition, everyMs) {
      for (;;) {
        const m = await metrics().catch(() => undefined);
        if (m && condition(m)) return m;
        await sleep(everyMs);
      }
    },
  };
}
