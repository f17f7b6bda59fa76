import express, { type Express } from 'express';
import type { Gauge, Registry } from 'prom-client';

export interface ProcessorStatus {
  modelVersion: string | undefined;
  assignedPartitions: number;
  consuming: boolean;
  /** Why Kafka refuses this processor right now (authentication, TLS, ACLs), while it keeps retrying. */
  kafkaProblem?: string;
}

export interface AppDeps {
  registry: Registry;
  status: () => ProcessorStatus;
  /** Gauge set to 1 when /readyz would answer ready, 0 otherwise, on every scrape (processor_ready). */
  readyGauge?: Gauge;
}

/** Why this replica is not ready (empty when it is): the one rule behind /readyz and processor_ready. */
export function readinessProblems(current: ProcessorStatus): string[] {
  const problems: string[] = [];
  if (!current.modelVersion) problems.push('no valid model loaded');
  if (current.kafkaProblem) problems.push(current.kafkaProblem);
  if (!current.consuming) problems.push('not consuming');
  else if (current.assignedPartitions === 0) problems.push('no partitions assigned');
  return problems;
}

/**
 * The processor's HTTP surface. A factory that never listens: tests drive it in-process, main.ts listens.
 * - /healthz: the process is alive and its event loop answers.
 * - /readyz: a model is loaded and this replica owns at least one input partition.
 * - /metrics: Prometheus text from the process's one registry.
 */
export function createApp({ registry, status, readyGauge }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const current = status();
    const problems = readinessProblems(current);
    res.status(problems.length === 0 ? 200 : 503).json({
      ready: problems.length === 0,
      problems,
      model_version: current.modelVersion ?? null,
      assigned_partitions: current.assignedPartitions,
    });
  });
  app.get('/metrics', async (_req, res) => {
    readyGauge?.set(readinessProblems(status()).length === 0 ? 1 : 0);
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
