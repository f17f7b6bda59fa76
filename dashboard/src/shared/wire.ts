/**
 * The messages between the dashboard server and its page, shared by both sides so the client is typed end to
 * end. Times are epoch milliseconds except where a field keeps the wire contract's float seconds
 * (`call.ts`, `processed_ts`).
 */

/** One scored result as the dashboard keeps it: the calls_scored contract, validated, plus what it adds. */
export interface ResultView {
  /** Increasing per server process; lets a page merge a snapshot and updates without duplicates. */
  seq: number;
  call: {
    caller: string;
    call_duration: number;
    num_digits: number;
    hour_of_day: number;
    freq_calls: number;
    /** Float Unix seconds. */
    ts: number;
  };
  predicted_label: 0 | 1;
  /** [P(not scam), P(scam)] */
  predicted_proba: [number, number];
  /** Float Unix seconds. */
  processed_ts: number;
  model_version: string;
  truth_label?: 0 | 1;
  explanation?: { neighbours: number; scam_neighbours: number; nearest_distance: number };
  /** When this dashboard received it, epoch ms. */
  seen_ms: number;
}

export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  samples: number;
}

export interface Quality {
  /** Results that carried a true label. */
  labelled: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  accuracy: number | null;
}

export type SourceMode = 'kafka' | 'replay';
/** connecting: not yet subscribed; live: reading; no_broker: the broker does not answer (retrying);
 *  replaying / replay_done: serving a recording. */
export type SourceState = 'connecting' | 'live' | 'no_broker' | 'replaying' | 'replay_done';

export interface ReplayStatus {
  file: string;
  speed: number;
  rows: number;
  malformed: number;
  /** The first few malformed rows: line number and reason. */
  errors: { line: number; reason: string }[];
  loops: number;
}

export interface Stats {
  total_scored: number;
  scam: number;
  not_scam: number;
  dlq: number;
  /** Records on the results topic (or rows of a recording) that were not valid results: counted, not shown. */
  malformed: number;
  /** Results per second over the last 10 s. */
  rate_per_s: number;
  /** Share of results flagged scam over the rolling window. */
  scam_rate: number | null;
  window_s: number;
  latency_ms: {
    /** Event ts → processed_ts (the pipeline). */
    pipeline: LatencySummary;
    /** processed_ts → seen by this dashboard. */
    delivery: LatencySummary;
    /** Event ts → seen by this dashboard. */
    end_to_end: LatencySummary;
  };
  models: Record<string, { count: number; first_seen_ms: number; last_seen_ms: number }>;
  quality: Quality;
  source: { mode: SourceMode; state: SourceState; replay?: ReplayStatus };
  started_ms: number;
}

/** One point per second of the rolling window, oldest first. Null where the second had no data. */
export interface SeriesPoint {
  /** Epoch seconds. */
  t: number;
  count: number;
  scam: number;
  dlq: number;
  e2e_p50: number | null;
  e2e_p99: number | null;
  pipeline_p50: number | null;
  pipeline_p99: number | null;
}

/** First message on a stream: everything a new page needs at once. */
export interface SnapshotMessage {
  instance: string;
  events: ResultView[];
  stats: Stats;
  series: SeriesPoint[];
  buffer_size: number;
}

/** Later messages, at most one per push interval: the results since the last one (the newest of them when
 *  there were more than fit), and the aggregates as of now. */
export interface UpdateMessage {
  instance: string;
  /** When the server sent it, epoch ms. */
  sent_ms: number;
  events: ResultView[];
  /** Results that arrived since the last message but were left out (too many, or this client was slow). */
  skipped: number;
  stats: Stats;
  series: SeriesPoint[];
}

export interface ModelInfo {
  /** The version most results carry now (from the stream). */
  current_version: string | null;
  versions: Stats['models'];
  /** Metadata of the model file the dashboard can read (MODEL_PATH), if any. */
  file: {
    path: string;
    version: string;
    created_at: string;
    k: number;
    weighting: string;
    training: { samples: number; seed: number; train_rows: number; test_rows: number } | null;
    test: {
      accuracy: number;
      precision: number;
      recall: number;
      f1: number;
      roc_auc: number;
      brier: number;
    } | null;
    read_ms: number;
  } | null;
  file_error: string | null;
}
