import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface DashboardMetrics {
  registry: Registry;
  events: Counter<'kind'>;
  streams: Gauge;
  streamDrops: Counter<'reason'>;
  skippedUpdates: Counter;
}

/** One registry per process: the dashboard's counters plus Node's default process metrics (RSS, event loop). */
export function createDashboardMetrics(): DashboardMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    events: new Counter({
      name: 'dashboard_events_total',
      help: 'Records read, by kind: scored (valid results), dlq (dead letters), malformed (not a valid result).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    streams: new Gauge({
      name: 'dashboard_streams',
      help: 'Browser streams (SSE) open now.',
      registers: [registry],
    }),
    streamDrops: new Counter({
      name: 'dashboard_stream_refusals_total',
      help: 'Streams refused (full: the cap was reached) or disconnected (slow: the client did not keep up).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    skippedUpdates: new Counter({
      name: 'dashboard_stream_skipped_updates_total',
      help: 'Updates not sent to a client whose socket was still full (it gets the next one).',
      registers: [registry],
    }),
  };
}
