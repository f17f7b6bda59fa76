import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One partition's lag of a consumer group, as the broker sees it (what Strimzi's Kafka Exporter reports). */
export interface GroupLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
  /** The partition's end offset (high watermark): how many records have ever arrived. */
  endOffset: number;
}

export interface DashboardMetricsOptions {
  /** Reads the processors' consumer group lag from the broker; called on every scrape of /metrics. */
  groupLag?: () => Promise<readonly GroupLag[]>;
  /** Told when reading the lag fails (the scrape then has no lag series, so stale lag is never shown). */
  onLagError?: (error: Error) => void;
}

export interface DashboardMetrics {
  registry: Registry;
  events: Counter<'kind'>;
  latency: Histogram<'stage'>;
  streams: Gauge;
  streamDrops: Counter<'reason'>;
  skippedUpdates: Counter;
  dedupBeyondWindow: Counter;
  verdicts: Counter<'kind'>;
  flaggedCallers: Gauge;
}

/** One registry per process: the dashboard's counters plus Node's default process metrics (RSS, event loop). */
export function createDashboardMetrics(options: DashboardMetricsOptions = {}): DashboardMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { groupLag, onLagError } = options;
  if (groupLag) {
    // One read of the broker serves both gauges of a scrape: whichever collects first starts it, the other
    // waits for the same answer (a read younger than half a second is reused).
    let last: { at: number; rows: Promise<readonly GroupLag[] | undefined> } | undefined;
    const read = () => {
      if (!last || Date.now() - last.at > 500) {
        last = {
          at: Date.now(),
          rows: groupLag().catch((error: Error) => {
            onLagError?.(error);
            return undefined;
          }),
        };
      }
      return last.rows;
    };
    new Gauge({
      name: 'dashboard_consumer_group_lag',
      help: "Records of the input topic the processors' consumer group has not committed yet, per partition, read from the broker on each scrape (it keeps growing while every processor is down).",
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      async collect() {
        const rows = await read();
        this.reset();
        for (const row of rows ?? []) {
          this.set({ group: row.group, topic: row.topic, partition: String(row.partition) }, row.lag);
        }
      },
    });
    new Gauge({
      name: 'dashboard_input_end_offset',
      help: 'End offset (records ever written) of each partition of the input topic, read with dashboard_consumer_group_lag: it grows while calls arrive.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      async collect() {
        const rows = await read();
        this.reset();
        for (const row of rows ?? [])
          this.set({ topic: row.topic, partition: String(row.partition) }, row.endOffset);
      },
    });
  }
  return {
    registry,
    events: new Counter({
      name: 'dashboard_events_total',
      help: 'Records read, by kind: scored (valid results, each input id once), duplicate (a result whose input id was already counted: dropped), dlq (dead letters), malformed (not a valid result).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'dashboard_result_latency_seconds',
      help: "Latency of live results, by stage: pipeline (call's ts to processed_ts) and end_to_end (call's ts to the dashboard reading the result).",
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
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
    dedupBeyondWindow: new Counter({
      name: 'dashboard_dedup_beyond_window_total',
      help: 'Results counted without a duplicate check: their input offset was older than the window of offsets remembered for its partition (a repeat this old would be counted twice).',
      registers: [registry],
    }),
    verdicts: new Counter({
      name: 'dashboard_verdicts_total',
      help: 'Records of the caller-verdicts topic read, by kind: flagged, cleared, tombstone (caller evicted), malformed (not a verdict: skipped).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    flaggedCallers: new Gauge({
      name: 'dashboard_flagged_callers',
      help: 'Callers flagged now, as the flagged-callers panel keeps them (at most its limit).',
      registers: [registry],
    }),
  };
}
