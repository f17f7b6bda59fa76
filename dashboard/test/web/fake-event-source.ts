import type {
  FlaggedCaller,
  FlaggedPanel,
  FlaggedStatus,
  ResultView,
  SnapshotMessage,
  Stats,
  UpdateMessage,
} from '../../src/shared/wire.js';

/** A stand-in for EventSource that the test drives: open, send named events, fail. */
export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  closed = false;

  constructor(readonly url: string) {
    super();
    FakeEventSource.instances.push(this);
  }

  send(event: 'snapshot' | 'update', data: SnapshotMessage | UpdateMessage): void {
    this.readyState = FakeEventSource.OPEN;
    this.dispatchEvent(new MessageEvent(event, { data: JSON.stringify(data) }));
  }

  fail(closed: boolean): void {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.dispatchEvent(new Event('error'));
  }

  close(): void {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }

  static latest(): FakeEventSource {
    const latest = FakeEventSource.instances.at(-1);
    if (!latest) throw new Error('no EventSource was opened');
    return latest;
  }
}

export function view(seq: number, overrides: Partial<ResultView> = {}): ResultView {
  return {
    seq,
    call: {
      caller: `0917${String(1_000_000 + seq)}`,
      call_duration: 20,
      num_digits: 11,
      hour_of_day: 9,
      freq_calls: 1,
      ts: 1_790_000_000 + seq,
    },
    predicted_label: seq % 2 === 0 ? 1 : 0,
    predicted_proba: seq % 2 === 0 ? [0.2, 0.8] : [0.9, 0.1],
    processed_ts: 1_790_000_000.01 + seq,
    model_version: 'v1',
    seen_ms: 1_790_000_000_000 + seq * 1000,
    ...overrides,
  };
}

export function stats(overrides: Partial<Stats> = {}): Stats {
  const latency = { p50: 5, p95: 9, p99: 12, samples: 10 };
  return {
    total_scored: 10,
    scam: 4,
    not_scam: 6,
    dlq: 2,
    malformed: 0,
    rate_per_s: 3,
    scam_rate: 0.4,
    window_s: 120,
    latency_ms: { pipeline: latency, delivery: latency, end_to_end: latency },
    models: {},
    quality_by_scenario: [],
    quality: {
      labelled: 0,
      tp: 0,
      fp: 0,
      tn: 0,
      fn: 0,
      precision: null,
      recall: null,
      f1: null,
      accuracy: null,
    },
    source: { mode: 'kafka', state: 'live' },
    started_ms: 0,
    duplicates: { dropped: 0, beyond_window: 0, window_offsets: 1_048_576 },
    ...overrides,
  };
}

export function flaggedStatus(overrides: Partial<FlaggedStatus> = {}): FlaggedStatus {
  return {
    state: 'live',
    topic: 'caller_verdicts',
    loaded: true,
    count: 0,
    limit: 10_000,
    left_out: 0,
    malformed: 0,
    ...overrides,
  };
}

export function flaggedPanel(
  callers: FlaggedCaller[] = [],
  overrides: Partial<FlaggedStatus> = {},
): FlaggedPanel {
  return { ...flaggedStatus({ count: callers.length, ...overrides }), callers };
}

/** A flagged caller: `n` picks the number and makes later `n` flagged later. */
export function flaggedCaller(n: number, overrides: Partial<FlaggedCaller> = {}): FlaggedCaller {
  return {
    caller: `0918${String(1_000_000 + n)}`,
    first_flagged_ts: 1_790_000_000 + n * 60,
    changed_ts: 1_790_000_000 + n * 60,
    calls_since: 1,
    score: 0.9,
    model_version: 'knn-0123456789abcdef',
    processed_ts: 1_790_000_000.01 + n * 60,
    features: {
      calls_1m: 3,
      calls_1h: 42,
      calls_24h: 120,
      distinct_callees_1h: 40,
      distinct_callees_24h: 118,
      short_share_24h: 0.95,
      night_share_24h: 0.1,
      mean_duration_24h: 2.5,
      seconds_since_previous: 20,
      number_age_seconds: 3000,
    },
    input: { topic: 'calls_raw', partition: 0, offset: n },
    ...overrides,
  };
}

export function snapshot(
  events: ResultView[],
  instance = 'server-a',
  statsOverrides: Partial<Stats> = {},
  flagged: FlaggedPanel = flaggedPanel(),
): SnapshotMessage {
  return { instance, events, stats: stats(statsOverrides), series: [], buffer_size: 1000, flagged };
}

export function update(
  events: ResultView[],
  instance = 'server-a',
  skipped = 0,
  flagged: Partial<Pick<UpdateMessage, 'flagged' | 'flagged_delta' | 'flagged_callers'>> = {},
): UpdateMessage {
  return {
    instance,
    sent_ms: 0,
    events,
    skipped,
    stats: stats(),
    series: [],
    flagged: flaggedStatus(),
    ...flagged,
  };
}
