import { REJECTION_REASONS } from '@scam-detector/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The processor's metrics, all in one registry per process (plus Node's default process metrics). */
export function createProcessorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  /** Read at every scrape: seconds since the broker last answered (the processor sets the source). */
  let secondsSinceAnswer: () => number = () => -1;
  /** Read at every scrape: the caller states held in memory (the processor sets the source). */
  let stateUsage: () => { callers: number; bytes: number } = () => ({ callers: 0, bytes: 0 });
  const metrics = {
    registry,
    eventsIn: new Counter({
      name: 'processor_events_in_total',
      help: 'Input records read from the input topic.',
      registers,
    }),
    eventsScored: new Counter({
      name: 'processor_events_scored_total',
      help: 'Valid events scored and handed to the producer for the output topic.',
      registers,
    }),
    eventsFlagged: new Counter({
      name: 'processor_events_flagged_total',
      help: 'Scored events flagged as scams (predicted label 1); divided by processor_events_scored_total it is the scam rate.',
      registers,
    }),
    dlq: new Counter({
      name: 'processor_dlq_total',
      help: 'Input records sent to the dead-letter topic, by rejection reason.',
      labelNames: ['reason'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'processor_batch_size',
      help: 'Records per processed batch.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'processor_batch_duration_seconds',
      help: 'Time from handing a batch to the handler until its output is acknowledged by the broker.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    scoringDuration: new Histogram({
      name: 'processor_scoring_duration_seconds',
      help: 'Time spent scoring one batch with the KNN model.',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    stateRestoring: new Gauge({
      name: 'processor_state_restoring_partitions',
      help: 'Assigned input partitions whose caller state is being restored (not processed until restored).',
      registers,
    }),
    stateRestoredRecords: new Counter({
      name: 'processor_state_restored_records_total',
      help: 'Changelog records applied while restoring caller state, by why the restore read what it read.',
      labelNames: ['reason'],
      registers,
    }),
    stateRestoreDuration: new Histogram({
      name: 'processor_state_restore_duration_seconds',
      help: 'Time to restore one partition’s caller state (open, verify, read the changelog).',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    }),
    stateEvicted: new Counter({
      name: 'processor_state_evicted_callers_total',
      help: 'Callers evicted for idleness (silent past the longest feature horizon): a tombstone in the changelog.',
      registers,
    }),
    verdicts: new Counter({
      name: 'processor_caller_verdicts_total',
      help: 'Caller verdict changes written to the verdicts topic: flagged, cleared, or evicted (a tombstone).',
      labelNames: ['verdict'],
      registers,
    }),
    lag: new Gauge({
      name: 'processor_consumer_lag',
      help: 'Records behind the end of each assigned input partition, as of its last batch.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    partitions: new Gauge({
      name: 'processor_assigned_partitions',
      help: 'Input partitions this replica owns.',
      registers,
    }),
    ready: new Gauge({
      name: 'processor_ready',
      help: 'Whether /readyz answers ready (1: a model is loaded and this replica owns partitions) or not (0).',
      registers,
    }),
    rebalances: new Counter({
      name: 'processor_rebalances_total',
      help: 'Consumer group rebalances seen.',
      registers,
    }),
    consumerCrashes: new Counter({
      name: 'processor_consumer_crashes_total',
      help: 'Consumer failures (the batch is redelivered), by whether the consumer restarted itself.',
      labelNames: ['restart'],
      registers,
    }),
    sinceAnswer: new Gauge({
      name: 'processor_kafka_seconds_since_answer',
      help: 'Seconds since the broker last answered the consumer (fetch, heartbeat, commit); -1 before the first answer. High: the consumer is cut off and processor_consumer_lag is stale.',
      registers,
      collect() {
        this.set(secondsSinceAnswer());
      },
    }),
    /** Where processor_kafka_seconds_since_answer reads its value. */
    onSinceAnswer(source: () => number): void {
      secondsSinceAnswer = source;
    },
    lateEvents: new Counter({
      name: 'processor_late_events_total',
      help: "Valid events later than the feature lateness bound (60 s behind their caller's latest event): counted into the caller's current bucket.",
      registers,
    }),
    redeliveredEvents: new Counter({
      name: 'processor_redelivered_events_total',
      help: "Valid events whose input offset their caller's state had already applied (a redelivered batch): scored again, not counted twice.",
      registers,
    }),
    featureDuration: new Histogram({
      name: 'processor_feature_duration_seconds',
      help: 'Time spent updating the caller states and computing features for one batch.',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    callerStates: new Gauge({
      name: 'processor_caller_states',
      help: 'Callers whose feature state this replica holds in memory (over its assigned partitions; with durable state, the hot sets: the local store holds the rest).',
      registers,
      collect() {
        this.set(stateUsage().callers);
      },
    }),
    callerStateBytes: new Gauge({
      name: 'processor_caller_state_bytes',
      help: 'Bytes of the caller states this replica holds in memory (state records and sketches, without the index).',
      registers,
      collect() {
        this.set(stateUsage().bytes);
      },
    }),
    /** Where processor_caller_states and processor_caller_state_bytes read their values. */
    onStateUsage(source: () => { callers: number; bytes: number }): void {
      stateUsage = source;
    },
    modelInfo: new Gauge({
      name: 'processor_model_info',
      help: 'The model version serving (value 1).',
      labelNames: ['version'],
      registers,
    }),
    modelReloads: new Counter({
      name: 'processor_model_loads_total',
      help: 'Model files read, by result: loaded (now serving), unchanged (same version), rejected (invalid).',
      labelNames: ['result'],
      registers,
    }),
  };
  // Every label value starts at 0, so the first dead letter or rejected model is an increase that rate() and
  // increase() see (a series born at 1 has no earlier sample to compare with), and the panels always have data.
  for (const reason of REJECTION_REASONS) metrics.dlq.inc({ reason }, 0);
  for (const result of ['loaded', 'unchanged', 'rejected']) metrics.modelReloads.inc({ result }, 0);
  for (const verdict of ['flagged', 'cleared', 'evicted']) metrics.verdicts.inc({ verdict }, 0);
  return metrics;
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;
