import type {
  ReplayStatus,
  ResultView,
  SeriesPoint,
  SourceMode,
  SourceState,
  Stats,
} from '../shared/wire.js';
import { Aggregates } from './aggregates.js';
import { CallerHistory, type CallerHistoryOptions } from './caller-history.js';
import type { FeedSink } from './feed.js';
import type { ScoredRecord } from './results.js';
import { RingBuffer } from './ring-buffer.js';

export interface StoreOptions {
  bufferSize: number;
  mode: SourceMode;
  replay?: { file: string; speed: number };
  windowSeconds?: number;
  /** Bounds of the per-caller history behind the drill-down. */
  callerHistory?: CallerHistoryOptions;
  now?: () => number;
  /** Told about every event, for metrics. */
  onCount?: (kind: 'scored' | 'dlq' | 'malformed', detail?: { reason: string; line?: number }) => void;
  /** Told about every result read live (not replayed) and when it was seen, for the latency metrics. */
  onLiveResult?: (record: ScoredRecord, seenMs: number) => void;
}

const MAX_REPORTED_ERRORS = 20;

/**
 * What the dashboard knows: the most recent results (a ring buffer), rolling aggregates, and the state of its
 * source. It is the feed's sink; the HTTP side only reads it.
 */
export class ResultStore implements FeedSink {
  readonly buffer: RingBuffer<ResultView>;
  readonly aggregates: Aggregates;
  readonly callers: CallerHistory;
  readonly mode: SourceMode;
  readonly #now: () => number;
  readonly #onCount: StoreOptions['onCount'];
  readonly #onLiveResult: StoreOptions['onLiveResult'];
  #seq = 0;
  #state: SourceState;
  #replay: ReplayStatus | undefined;

  constructor(options: StoreOptions) {
    this.#now = options.now ?? Date.now;
    this.buffer = new RingBuffer(options.bufferSize);
    this.aggregates = new Aggregates(this.#now(), { windowSeconds: options.windowSeconds ?? 120 });
    this.callers = new CallerHistory(options.callerHistory);
    this.mode = options.mode;
    this.#state = options.mode === 'replay' ? 'replaying' : 'connecting';
    this.#onCount = options.onCount;
    this.#onLiveResult = options.onLiveResult;
    if (options.replay) {
      this.#replay = { ...options.replay, rows: 0, malformed: 0, errors: [], loops: 0 };
    }
  }

  /** The sequence number of the newest result (0 before the first). */
  get lastSeq(): number {
    return this.#seq;
  }

  get sourceState(): SourceState {
    return this.#state;
  }

  /** Why the source is not live, when the feed said (broker unreachable, topics missing). */
  get sourceReason(): string | undefined {
    return this.#reason;
  }
  #reason: string | undefined;

  scored(record: ScoredRecord): void {
    const seenMs = this.#now();
    const view: ResultView = { ...record, seq: ++this.#seq, seen_ms: seenMs };
    this.buffer.push(view);
    this.callers.add(view);
    this.aggregates.addResult(record, seenMs, this.mode !== 'replay');
    if (this.#replay) this.#replay.rows++;
    this.#onCount?.('scored');
    if (this.mode !== 'replay') this.#onLiveResult?.(record, seenMs);
  }

  deadLetter(): void {
    this.aggregates.addDeadLetter(this.#now());
    this.#onCount?.('dlq');
  }

  malformed(reason: string, line?: number): void {
    this.aggregates.addMalformed();
    if (this.#replay) {
      this.#replay.malformed++;
      if (this.#replay.errors.length < MAX_REPORTED_ERRORS)
        this.#replay.errors.push({ line: line ?? 0, reason });
    }
    this.#onCount?.('malformed', line === undefined ? { reason } : { reason, line });
  }

  /** Whether the source was ever live (read from a broker). */
  wasLive = false;

  state(state: SourceState, reason?: string): void {
    if (state === 'live') this.wasLive = true;
    this.#reason = reason;
    if (this.#replay && state === 'replaying' && this.#state === 'replaying' && this.#replay.rows > 0) {
      this.#replay.loops++;
    }
    this.#state = state;
  }

  /** Results newer than `afterSeq`, at most `limit` (the newest ones), oldest first. */
  since(afterSeq: number, limit: number): ResultView[] {
    return this.buffer.newestWhile((view) => view.seq > afterSeq, limit);
  }

  stats(): Stats {
    const source: Stats['source'] = { mode: this.mode, state: this.#state };
    if (this.#replay) source.replay = { ...this.#replay, errors: [...this.#replay.errors] };
    return this.aggregates.stats(this.#now(), source);
  }

  series(): SeriesPoint[] {
    return this.aggregates.series(this.#now());
  }
}
