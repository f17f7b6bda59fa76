import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  BROKERS,
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  PRODUCER_MAIN,
  processorEnv,
  REPO,
  startService,
  testTransport,
  waitForAssignment,
} from '../../services/processor/test/integration/harness.js';
import {
  dashboardQueries,
  PROMETHEUS_DIR,
  renderMonitoring,
  rulesFile,
  tempDir,
  writeFileSync,
} from './support.js';

const DASHBOARD_MAIN = join(REPO, 'dashboard/dist/server/main.js');
const NAMESPACE = 'scam';
const RATE_INTERVAL = '10s';
/** The rules rendered with test values: the same expressions, with short windows and durations. */
const TEST_RULE_VALUES = [
  'processor.replicas=1',
  'monitoring.rules.interval=1s',
  'monitoring.rules.lag.threshold=200',
  'monitoring.rules.lag.window=10s',
  'monitoring.rules.lag.for=5s',
  'monitoring.rules.noResults.window=10s',
  'monitoring.rules.noResults.for=5s',
  'monitoring.rules.notReady.for=5s',
];

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** A real Prometheus scraping the given targets every second and evaluating `rules`; stopped after the test. */
async function startPrometheus(targets: Record<string, number>, rules: string) {
  const dir = tempDir('prometheus-');
  writeFileSync(join(dir, 'rules.yaml'), rules);
  const scrapeConfigs = Object.entries(targets).map(([job, port]) => ({
    job_name: job,
    static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { namespace: NAMESPACE } }],
  }));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yaml'],
      scrape_configs: scrapeConfigs,
    }),
  );
  const port = await freePort();
  const lines: string[] = [];
  const child: ChildProcess = spawn(
    join(PROMETHEUS_DIR, 'prometheus'),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  await vi.waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/-/ready`);
      if (!response.ok) throw new Error(`not ready: ${response.status}`);
    },
    { timeout: 60_000, interval: 250 },
  );
  return {
    lines,
    api,
    /** The instant vector of `expr` now. */
    query: (expr: string) =>
      api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      ).then((d) => d.result),
    alerts: () => api<{ alerts: Alert[] }>('/api/v1/alerts').then((d) => d.alerts),
    targets: () =>
      api<{ activeTargets: { labels: { job: string }; health: string; lastError: string }[] }>(
        '/api/v1/targets',
      ).then((d) => d.activeTargets),
  };
}

describe('a real Prometheus scraping the real services on the local broker', () => {
  it('answers every query of the Grafana dashboard with data, and fires the lag alert while the processor is stopped', async () => {
    const topics = await freshTopics(6);
    const model = await modelFile(11);
    const [processorPort, producerPort, dashboardPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const processor = startService(PROCESSOR_MAIN, {
      ...processorEnv(topics, model.path),
      HTTP_PORT: String(processorPort),
    });
    await waitForAssignment([processor], 6);
    startService(DASHBOARD_MAIN, {
      KAFKA_BROKERS: BROKERS.join(','),
      INPUT_TOPIC: topics.input,
      OUTPUT_TOPIC: topics.output,
      DLQ_TOPIC: topics.dlq,
      CONSUMER_GROUP: topics.group,
      MODEL_PATH: model.path,
      PORT: String(dashboardPort),
    });
    startService(PRODUCER_MAIN, {
      KAFKA_BROKERS: BROKERS.join(','),
      INPUT_TOPIC: topics.input,
      HTTP_PORT: String(producerPort),
      PRODUCER_RATE: '100',
    });
    // A few records that cannot be scored, so dead letters by reason have something to show.
    const producer = await testTransport().producer();
    await producer.send(
      Array.from({ length: 5 }, (_, i) => ({ topic: topics.input, key: `bad-${i}`, value: 'not json' })),
    );

    const objects = renderMonitoring(TEST_RULE_VALUES);
    const prometheus = await startPrometheus(
      { processor: processorPort, producer: producerPort, dashboard: dashboardPort },
      rulesFile(objects),
    );
    await vi.waitFor(
      async () => {
        const targets = await prometheus.targets();
        const down = targets.filter((t) => t.health !== 'up');
        if (targets.length !== 3 || down.length > 0)
          throw new Error(`targets not up: ${JSON.stringify(down.map((t) => [t.labels.job, t.lastError]))}`);
      },
      { timeout: 60_000, interval: 500 },
    );

    // Every query of every panel, as Grafana would send it for this namespace, returns finite numbers.
    const queries = dashboardQueries(objects).map((q) => ({
      ...q,
      expr: q.expr.replaceAll('$namespace', NAMESPACE).replaceAll('$__rate_interval', RATE_INTERVAL),
    }));
    expect(queries.length).toBeGreaterThan(10);
    for (const { panel, expr } of queries) {
      await vi.waitFor(
        async () => {
          const result = await prometheus.query(expr);
          if (result.length === 0) throw new Error(`${panel}: no data for ${expr}`);
          const bad = result.filter((r) => !Number.isFinite(Number(r.value[1])));
          if (bad.length > 0) throw new Error(`${panel}: ${expr} gave ${JSON.stringify(bad)}`);
        },
        { timeout: 60_000, interval: 1000 },
      );
    }
    const reasons = await prometheus.query(
      `sum by (reason) (processor_dlq_total{namespace="${NAMESPACE}"}) > 0`,
    );
    expect(reasons.map((r) => r.metric.reason)).toEqual(['invalid_json']);

    // While everything runs, no alert fires.
    expect((await prometheus.alerts()).filter((a) => a.state === 'firing')).toEqual([]);

    // Stop the processor: calls keep arriving, the group's lag grows, and the alerts say so.
    processor.kill('SIGTERM');
    await processor.exited;
    const firing = await vi.waitFor(
      async () => {
        const names = (await prometheus.alerts())
          .filter((a) => a.state === 'firing')
          .map((a) => a.labels.alertname);
        for (const wanted of [
          'ScamDetectorConsumerLagGrowing',
          'ScamDetectorProcessorsNotReady',
          'ScamDetectorNoResults',
        ])
          if (!names.includes(wanted)) throw new Error(`firing so far: ${names.join(', ') || 'none'}`);
        return (await prometheus.alerts()).filter((a) => a.state === 'firing');
      },
      { timeout: 120_000, interval: 1000 },
    );
    const lag = firing.find((a) => a.labels.alertname === 'ScamDetectorConsumerLagGrowing');
    expect(lag?.labels).toMatchObject({ namespace: NAMESPACE, group: topics.group, topic: topics.input });
  });
});
