import type { ResultView, SnapshotMessage, Stats, UpdateMessage } from '../../src/shared/wire.js';

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
    ...overrides,
  };
}

export function snapshot(
  events: ResultView[],
  instance = 'server-a',
  statsOverrides: Partial<Stats> = {},
): SnapshotMessage {
  return { instance, events, stats: stats(statsOverrides), series: [], buffer_size: 1000 };
}

export function update(events: ResultView[], instance = 'server-a', skipped = 0): UpdateMessage {
  return { instance, sent_ms: 0, events, skipped, stats: stats(), series: [] };
}
