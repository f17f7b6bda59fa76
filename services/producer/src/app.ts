import { type Producer, TransportUnavailableError, untilAvailable } from '@scam-detector/transport';
import express, { type Express } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ProducerMetrics {
  registry: Registry;
  sent: Counter;
  targetRate: Gauge;
  sendDuration: Histogram;
}

export function createProducerMetrics(): ProducerMetrics {
  const registry = new Registry();
  return {
    registry,
    sent: new Counter({
      name: 'scam_producer_events_sent_total',
      help: 'Call events acknowledged by the broker',
      registers: [registry],
    }),
    targetRate: new Gauge({
      name: 'scam_producer_target_rate',
      help: 'Events per second the producer aims for',
      registers: [registry],
    }),
    sendDuration: new Histogram({
      name: 'scam_producer_send_duration_seconds',
      help: 'Time for one batch of events to be acknowledged',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}

/** Counts what the broker acknowledged, batch by batch. */
export function countingProducer(producer: Producer, metrics: ProducerMetrics): Producer {
  return {
    async send(records) {
      const end = metrics.sendDuration.startTimer();
      await producer.send(records);
      end();
      metrics.sent.inc(records.length);
    },
    close: () => producer.close(),
  };
}

/**
 * Waits out a broker that does not answer: a send the transport could not deliver because no broker answered
 * (a restart, an outage longer than the client's own retries) is sent again, with back-off, until the broker
 * acknowledges it, so the producer neither exits nor drops the batch in hand. `onWaiting(reason)` is called on
 * each failed attempt and `onWaiting(undefined)` once the batch went through after one; other failures are
 * rethrown. When `signal` aborts while waiting, the send rejects with the last failure.
 */
export function patientProducer(
  producer: Producer,
  options: { signal: AbortSignal; onWaiting(reason: string | undefined): void },
): Producer {
  return {
    async send(records) {
      let lastFailure: Error | undefined;
      const sent = await untilAvailable(
        async () => {
          await producer.send(records);
          return true;
        },
        {
          signal: options.signal,
          retryIf: (error) => error instanceof TransportUnavailableError,
          onRetry(error) {
            lastFailure = error;
            options.onWaiting(error.message);
          },
        },
      );
      if (!sent) throw lastFailure ?? new Error('stopped before the batch was sent');
      if (lastFailure) options.onWaiting(undefined);
    },
    close: () => producer.close(),
  };
}

/**
 * The producer's HTTP surface (a factory; main.ts listens): /healthz alive, /readyz connected to the broker,
 * /metrics Prometheus text.
 */
export function createProducerApp(deps: {
  registry: Registry;
  connected: () => boolean;
  /** Why it is not connected yet (broker unreachable, topic missing), when known. */
  waiting?: () => string | undefined;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.connected();
    const reason = deps.waiting?.() ?? 'not connected to Kafka yet';
    res.status(ready ? 200 : 503).json({ ready, problems: ready ? [] : [reason] });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return app;
}
