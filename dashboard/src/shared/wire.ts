/**
 * The messages between the dashboard server and its page, shared by both sides so the client is typed end to
 * end. Times are epoch milliseconds except where a field keeps the wire contract's float seconds
 * (`call.ts`, `processed_ts`).
 */

/** Where a result's input record was read: the contract's `InputId` (unique per input record). A result
 *  redelivered after a processor crash carries the same one. */
export interface InputRef {
  topic: string;
  partition: number;
  offset: number;
}

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
    /** Who was called (world events; old-contract events have none). A PH mobile number when present. */
    callee?: string;
  };
  predicted_label: 0 | 1;
  /** [P(not scam), P(scam)] */
  predicted_proba: [number, number];
  /** Float Unix seconds. */
  processed_ts: number;
  model_version: string;
  truth_label?: 0 | 1;
  /** The scenario the truth came from (the `scenario` header of simulated calls): ordinary, bulk, wangiri, ... */
  scenario?: string;
  explanation?: {
    neighbours: number;
    scam_neighbours: number;
    nearest_distance: number;
    /** The caller's features after this call (calls_1m, calls_1h, ...), as the processor computed them. */
    features?: Record<string, number>;
    /** The call arrived later than the feature lateness bound. */
    late?: true;
  };
  /** The input record this result answers (results of older processors and recordings have none). */
  input?: InputRef;
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

/** Quality of the results of one scenario (from the truth and scenario headers). In a scam scenario every call
 *  is a scam, so recall is what it says; in a legitimate one none is, so the false-positive rate is. */
export interface ScenarioQuality extends Quality {
  scenario: string;
  /** Whether the scenario's calls are scams (from their true labels). */
  scam: boolean;
  /** Share of the scenario's legitimate calls flagged as scams (null when it has none). */
  false_positive_rate: number | null;
}

/** A caller's recent call, for the drill-down: the call, the verdict and the features after it. */
export interface CallerCall {
  seq: number;
  ts: number;
  callee?: string;
  call_duration: number;
  hour_of_day: number;
  predicted_label: 0 | 1;
  p_scam: number;
  truth_label?: 0 | 1;
  scenario?: string;
  model_version: string;
  features?: Record<string, number>;
  late?: true;
  input?: InputRef;
}

/** GET /api/caller/:number. */
export interface CallerHistoryView {
  caller: string;
  /** Oldest first, at most `limit`. */
  calls: CallerCall[];
  /** The most calls kept per caller. */
  limit: number;
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
  /** Per scenario, in the order scenarios were first seen (at most a few dozen names are tracked). */
  quality_by_scenario: ScenarioQuality[];
  /** Results whose input id had already been counted: dropped, in no figure. */
  duplicates: DuplicateStats;
  source: { mode: SourceMode; state: SourceState; replay?: ReplayStatus };
  started_ms: number;
}

/** Results dropped because their input id (topic, partition, offset) was already counted. */
export interface DuplicateStats {
  /** Results dropped as repeats. */
  dropped: number;
  /** Results whose offset was older than their input partition's window: counted, since they cannot be
   *  checked (a repeat this old would be counted twice). */
  beyond_window: number;
  /** Offsets remembered per input partition, below the highest seen. */
  window_offsets: number;
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

/** A currently flagged caller: its latest verdict on the caller-verdicts topic, and the calls since. */
export interface FlaggedCaller {
  caller: string;
  /** Event time of the call that flagged it, float Unix seconds. */
  first_flagged_ts: number;
  /** Event time of the call that changed the verdict (the flagging call), float Unix seconds. */
  changed_ts: number;
  /** The caller's calls since it was flagged, the flagging one included: the verdict's count plus the
   *  (deduplicated) results of this caller this dashboard has read after it. */
  calls_since: number;
  /** P(scam) of the flagging call. */
  score: number;
  model_version: string;
  /** Float Unix seconds. */
  processed_ts: number;
  /** The caller's features at the flagging call (calls_1m, calls_1h, ...): the evidence. */
  features: Record<string, number | null>;
  /** The input record of the flagging call. */
  input: InputRef;
}

/** none: this source has no verdicts (a replay); connecting / waiting (the topic does not exist yet) /
 *  no_broker: not reading yet; live: reading. */
export type VerdictSourceState = 'none' | 'connecting' | 'waiting' | 'no_broker' | 'live';

/** The flagged-callers panel without its rows (sent with every update). */
export interface FlaggedStatus {
  state: VerdictSourceState;
  /** Why it is not live, when known. */
  reason?: string;
  /** The topic read, when there is one. */
  topic?: string;
  /** The whole topic has been read once (its end as of the start was reached): the list is complete. */
  loaded: boolean;
  /** Callers flagged now (as kept: at most `limit`). */
  count: number;
  /** Most flagged callers kept (the most recently first flagged). */
  limit: number;
  /** Flagged callers not kept because of the limit, since start. */
  left_out: number;
  /** Records of the verdicts topic that were not verdicts: counted, skipped. */
  malformed: number;
}

/** GET /api/flagged and the snapshot's `flagged`: the panel with its rows, most recently first flagged first. */
export interface FlaggedPanel extends FlaggedStatus {
  callers: FlaggedCaller[];
}

/** Changes to the panel's rows since the previous update: rows to add or replace, callers to remove. */
export interface FlaggedDelta {
  upsert: FlaggedCaller[];
  remove: string[];
}

/** First message on a stream: everything a new page needs at once. */
export interface SnapshotMessage {
  instance: string;
  events: ResultView[];
  stats: Stats;
  series: SeriesPoint[];
  buffer_size: number;
  flagged: FlaggedPanel;
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
  /** The flagged-callers panel's state. */
  flagged: FlaggedStatus;
  /** The panel's rows changed since the previous update: apply these. */
  flagged_delta?: FlaggedDelta;
  /** Instead of a delta (this page missed one): every row, replacing the page's. */
  flagged_callers?: FlaggedCaller[];
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
