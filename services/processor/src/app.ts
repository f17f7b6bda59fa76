import express, { type Express } from 'express';
import type { Gauge, Registry } from 'prom-client';

export interface ProcessorStatus {
  modelVersion: string | undefined;
  assignedPartitions: number;
  consuming: boolean;
  /** Why it is not consuming yet: the broker does not answer or topics are missing (it retries). */
  waiting?: string;
  /** While consuming: milliseconds since the broker last answered the consumer. */
  sinceAnswerMs?: number;
  /** Assigned partitions whose caller state is being restored (with CALLER_STATE=durable). */
  restoringPartitions?: number;
  /** Why Kafka refuses this processor right now (authentication, TLS, ACLs), while it keeps retrying. */
  kafkaProblem?: string;
}

/** A consumer fetches at least every second (an idle fetch waits 1 s) and heartbeats every 3 s: no answer for
 *  this long means the link to the broker is cut, whatever the last lag said. */
export const NO_ANSWER_NOT_READY_MS = 15_000;

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
  if (current.waiting) problems.push(current.waiting);
  if (current.kafkaProblem) problems.push(current.kafkaProblem);
  if (!current.consuming) problems.push('not consuming');
  else if (current.assignedPartitions === 0) problems.push('no partitions assigned');
  if (current.sinceAnswerMs !== undefined && current.sinceAnswerMs > NO_ANSWER_NOT_READY_MS) {
    problems.push(`no answer from Kafka for ${Math.round(current.sinceAnswerMs / 1000)} s`);
  }
  if ((current.restoringPartitions ?? 0) > 0) {
    problems.push(`restoring the caller state of ${current.restoringPartitions} partition(s)`);
  }
  return problems;
}

/**
 * The processor's HTTP surface. A factory that never listens: tests drive it in-process, main.ts listens.
 * - /healthz: the process is alive and its event loop answers.
 * - /readyz: a model is loaded, this replica owns at least one input partition, and none is being restored.
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
      restoring_partitions: current.restoringPartitions ?? 0,
    });
  });
  app.get('/metrics', async (_req, res) => {
    readyGauge?.set(readinessProblems(status()).length === 0 ? 1 : 0);
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
