import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  type CallEvent,
  callEvent,
  callerPopulation,
  createLogger,
  createRandom,
  generateCall,
  type Model,
  Scorer,
  TRUTH_HEADER,
  writeFileAtomic,
} from '@scam-detector/core';
import {
  type ConsumedRecord,
  createKafkajsTransport,
  createTopics,
  deleteTopicsAndGroups,
  type ProducedRecord,
  type Producer,
  type Transport,
} from '@scam-detector/transport';
import { expect, onTestFinished, vi } from 'vitest';
import { runProducer } from '../../../producer/src/producer.js';
import { sealedModel } from '../models.js';

/** The broker under test: `make test` starts one with scripts/kafka/kafka.sh up. */
export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const REPO = resolve(import.meta.dirname, '../../../..');
export const PROCESSOR_MAIN = join(REPO, 'services/processor/dist/main.js');
export const PRODUCER_MAIN = join(REPO, 'services/producer/dist/main.js');
export const DASHBOARD_MAIN = join(REPO, 'dashboard/dist/server/main.js');
export const KAFKA_SH = join(REPO, 'scripts/kafka/kafka.sh');

const logger = createLogger('integration-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

export interface Topics {
  input: string;
  output: string;
  dlq: string;
  group: string;
  /** Created by the processor (compacted) on first start. */
  verdicts: string;
}

/** Every topic of a test: its own and the processor's (the verdicts and the default-named state changelog). */
export const topicsOf = (topics: Topics): string[] => [
  topics.input,
  topics.output,
  topics.dlq,
  topics.verdicts,
  `${topics.group}-caller-state-changelog`,
];

/** Fresh topics and a group for one test, deleted when the test finishes. */
export async function freshTopics(partitions = 6): Promise<Topics> {
  const topics = {
    input: unique('it-raw'),
    output: unique('it-scored'),
    dlq: unique('it-dlq'),
    group: unique('it-group'),
    verdicts: unique('it-verdicts'),
  };
  // Retried: right after a broker restart (recovery tests) leaders can take a moment to be hosted again.
  await vi.waitFor(() => createTopics(BROKERS, [topics.input, topics.output, topics.dlq], partitions), {
    timeout: 60_000,
    interval: 1000,
  });
  onTestFinished(() => deleteTopicsAndGroups(BROKERS, topicsOf(topics), [topics.group]));
  return topics;
}

/** A transport for the test itself (producing inputs, reading outputs), closed when the test finishes. */
export function testTransport(brokers: readonly string[] = BROKERS): Transport {
  const transport = createKafkajsTransport({ brokers, clientId: 'integration-test', logger });
  onTestFinished(() => transport.close());
  return transport;
}

/** A sealed model written to a temporary directory; the directory is removed when the test finishes. */
export async function modelFile(
  seed: number,
): Promise<{ path: string; dir: string; model: Model; json: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'it-model-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const { json, model } = sealedModel(seed, 3000);
  const path = join(dir, 'model.json');
  await writeFileAtomic(path, json);
  return { path, dir, model, json };
}

/**
 * Test events: generator features, callers from a population, the truth header, and an extra `seq` field the
 * processor must pass through untouched, which identifies each input in the results.
 */
export function testEvents(topic: string, count: number, seed: number, firstSeq = 0): ProducedRecord[] {
  const random = createRandom(seed);
  const callers = callerPopulation(createRandom(seed + 1), 500);
  const nowMs = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const call = generateCall(random);
    const caller = callers[random.int(0, callers.length - 1)] as string;
    const event = { ...callEvent(call, caller, nowMs), seq: firstSeq + i };
    return {
      topic,
      key: caller,
      value: JSON.stringify(event),
      headers: { [TRUTH_HEADER]: String(call.label) },
    };
  });
}

export interface ScoredResult {
  call: CallEvent & { seq: number };
  predicted_label: 0 | 1;
  predicted_proba: [number, number];
  processed_ts: number;
  model_version: string;
  truth_label?: 0 | 1;
}

/** Reads a topic from the beginning with its own group, collecting records until stopped. */
export async function readTopic(transport: Transport, topic: string) {
  const records: ConsumedRecord[] = [];
  const group = unique('it-reader');
  const subscription = await transport.consume({ group, topics: [topic], fromBeginning: true }, (batch) => {
    records.push(...batch.records);
    return [];
  });
  onTestFinished(async () => {
    await subscription.stop();
    await deleteTopicsAndGroups(BROKERS, [], [group]);
  });
  return {
    records,
    results: () => records.map((r) => JSON.parse(r.value?.toString() ?? 'null') as ScoredResult),
    /** Waits until at least `count` records have arrived. */
    async waitFor(count: number, timeoutMs = 120_000) {
      await vi.waitFor(
        () => {
          if (records.length < count) throw new Error(`${topic}: ${records.length} of ${count} records`);
        },
        { timeout: timeoutMs, interval: 200 },
      );
    },
  };
}

/** Asserts-by-returning: the results whose label or probability differ from `model`'s own score. */
export function wrongResults(results: readonly ScoredResult[], models: readonly Model[]): ScoredResult[] {
  const scorers = new Map(models.map((m) => [m.version, new Scorer(m)]));
  return results.filter((result) => {
    const scorer = scorers.get(result.model_version);
    if (!scorer) return true;
    const expected = scorer.score(result.call);
    return (
      expected.label !== result.predicted_label ||
      Math.abs(expected.probability - result.predicted_proba[1]) > 1e-6 ||
      Math.abs(result.predicted_proba[0] + result.predicted_proba[1] - 1) > 1e-6
    );
  });
}

/** Sequence numbers that appear in the results: the set, and how many results were duplicates. */
export function coverage(results: readonly ScoredResult[]): { seqs: Set<number>; duplicates: number } {
  const seqs = new Set(results.map((r) => r.call.seq));
  return { seqs, duplicates: results.length - seqs.size };
}

export interface ChildService {
  child: ChildProcess;
  /** Every stdout/stderr line so far (JSON logs). */
  lines: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** The HTTP port the service reported, once it did. */
  port(): Promise<number>;
  metric(name: string): Promise<number>;
  /** The sum of processor_consumer_lag over partitions. */
  lagTotal(): Promise<number>;
  readyz(): Promise<{
    ready: boolean;
    assigned_partitions: number;
    model_version: string | null;
    problems: string[];
  }>;
  /** GET a path of the service's HTTP server: status and parsed JSON. */
  get(path: string): Promise<{ status: number; body: unknown }>;
  /** Waits until a log line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

/** How each service says its HTTP port: the processor's start-up line; others pass their own. */
const PROCESSOR_PORT = (line: string): number | undefined =>
  line.includes('"processor started"') ? (JSON.parse(line).port as number) : undefined;

/** The dashboard's start-up line (`dashboard listening on port N (all addresses)`). */
export const DASHBOARD_PORT = (line: string): number | undefined => {
  const match = /dashboard listening on port (\d+)/.exec(line);
  return match ? Number(match[1]) : undefined;
};

/** The producer's start-up line (`producer listening on port N …`). */
export const PRODUCER_PORT = (line: string): number | undefined => {
  const match = /producer listening on port (\d+)/.exec(line);
  return match ? Number(match[1]) : undefined;
};

/** Starts a built service as a real child process; it is killed (SIGKILL) when the test finishes if still alive. */
export function startService(
  main: string,
  env: Record<string, string>,
  args: string[] = [],
  portFrom: (line: string) => number | undefined = PROCESSOR_PORT,
): ChildService {
  const child = spawn(process.execPath, [main, ...args], {
    cwd: REPO,
    // Port 0: any free port, so tests never collide with services already running on this machine.
    env: { ...process.env, LOG_LEVEL: 'info', HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const collect = (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')),
  );
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let portNumber: number | undefined;
  const port = async () => {
    if (portNumber !== undefined) return portNumber;
    const found = await vi.waitFor(
      () => {
        for (const line of lines) {
          const found = portFrom(line);
          if (found !== undefined) return found;
        }
        throw new Error(`no start-up line yet:\n${lines.slice(-5).join('\n')}`);
      },
      { timeout: 30_000, interval: 100 },
    );
    portNumber = found;
    return found;
  };
  return {
    child,
    lines,
    exited,
    port,
    async metric(name) {
      const text = await (await fetch(`http://127.0.0.1:${await port()}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    async lagTotal() {
      const text = await (await fetch(`http://127.0.0.1:${await port()}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('processor_consumer_lag{'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    },
    async readyz() {
      return (await (await fetch(`http://127.0.0.1:${await port()}/readyz`)).json()) as Awaited<
        ReturnType<ChildService['readyz']>
      >;
    },
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${await port()}${path}`);
      return { status: response.status, body: await response.json() };
    },
    waitForLine: (pattern, timeoutMs = 60_000) =>
      vi.waitFor(
        () => {
          const line = lines.find((l) => pattern.test(l));
          if (!line) throw new Error(`no line matching ${pattern} yet:\n${lines.slice(-5).join('\n')}`);
          return line;
        },
        { timeout: timeoutMs, interval: 100 },
      ),
    kill: (signal) => child.kill(signal),
  };
}

/** Environment for a processor process under test. */
export function processorEnv(
  topics: Topics,
  modelPath: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: BROKERS.join(','),
    INPUT_TOPIC: topics.input,
    OUTPUT_TOPIC: topics.output,
    DLQ_TOPIC: topics.dlq,
    CALLER_VERDICTS_TOPIC: topics.verdicts,
    CONSUMER_GROUP: topics.group,
    MODEL_PATH: modelPath,
    HTTP_PORT: '0',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    MODEL_RELOAD_DEBOUNCE_MS: '100',
    ...extra,
  };
}

/** Waits until the processors own all `partitions` input partitions between them, each at least one. */
export async function waitForAssignment(
  processors: readonly ChildService[],
  partitions: number,
): Promise<number[]> {
  let owned: number[] = [];
  await vi.waitFor(
    async () => {
      owned = await Promise.all(processors.map(async (p) => (await p.readyz()).assigned_partitions));
      const total = owned.reduce((a, b) => a + b, 0);
      if (total !== partitions || owned.some((n) => n === 0))
        throw new Error(`assignment ${owned.join('+')}`);
    },
    { timeout: 60_000, interval: 250 },
  );
  return owned;
}

/** Fresh 6-partition topics, a model file, and one processor process that owns all the partitions. */
export async function soleProcessor(modelSeed: number) {
  const topics = await freshTopics(6);
  const modelInfo = await modelFile(modelSeed);
  const processor = startService(PROCESSOR_MAIN, processorEnv(topics, modelInfo.path));
  await waitForAssignment([processor], 6);
  return { topics, processor, ...modelInfo };
}

/**
 * The real producer service as a process, sending `count` events at `rate`/s to `input` (the paced synthetic
 * profile), then restarting the shared broker once `output` has `after` results: the broker-restart scenario
 * several suites share. Resolves when the broker is back; the producer rides the restart out and exits 0.
 */
export async function restartBrokerUnderProducer(
  input: string,
  output: { waitFor(count: number): Promise<void> },
  run: { rate: number; count: number; seed: number; after: number },
): Promise<ChildService> {
  const producer = startService(
    PRODUCER_MAIN,
    { KAFKA_BROKERS: BROKERS.join(','), INPUT_TOPIC: input, PRODUCER_PROFILE: 'default' },
    ['--rate', String(run.rate), '--count', String(run.count), '--seed', String(run.seed)],
  );
  await output.waitFor(run.after);
  const restarted = await promisify(execFile)(KAFKA_SH, ['restart'], { env: process.env, timeout: 120_000 });
  expect(restarted.stdout).toMatch(/broker up/);
  return producer;
}

/** Sends `events` through `producer` paced at `rate` per second (the producer service's own pacing). */
export function paceEvents(producer: Producer, events: readonly ProducedRecord[], rate: number) {
  let next = 0;
  return runProducer(
    producer,
    () => events[next++] as ProducedRecord,
    { rate, count: events.length },
    new AbortController().signal,
  );
}
