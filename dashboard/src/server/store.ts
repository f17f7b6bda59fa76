import type {
  FlaggedPanel,
  ReplayStatus,
  ResultView,
  SeriesPoint,
  SourceMode,
  SourceState,
  Stats,
  VerdictSourceState,
} from '../shared/wire.js';
import { Aggregates } from './aggregates.js';
import { CallerHistory, type CallerHistoryOptions } from './caller-history.js';
import { type DedupOptions, InputDedup } from './dedup.js';
import type { FeedSink } from './feed.js';
import { FlaggedCallers, type FlaggedCallersOptions, type VerdictRecord } from './flagged-callers.js';
import type { ScoredRecord } from './results.js';
import { RingBuffer } from './ring-buffer.js';

export interface StoreOptions {
  bufferSize: number;
  mode: SourceMode;
  replay?: { file: string; speed: number };
  windowSeconds?: number;
  /** Bounds of the per-caller history behind the drill-down. */
  callerHistory?: CallerHistoryOptions;
  /** The window of input ids remembered to drop duplicate results. */
  dedup?: DedupOptions;
  /** Whether the source has caller verdicts (a Kafka feed does, a replay does not), and the panel's bound. */
  verdicts?: { topic: string } & FlaggedCallersOptions;
  now?: () => number;
  /** Told about every event, for metrics. */
  onCount?: (
    kind: 'scored' | 'dlq' | 'malformed' | 'duplicate',
    detail?: { reason: string; line?: number },
  ) => void;
  /** Told about every result counted without a duplicate check (its offset was older than the window). */
  onBeyondWindow?: () => void;
  /** Told about every record of the verdicts topic, for metrics and the log. */
  onVerdict?: (kind: 'flagged' | 'cleared' | 'tombstone' | 'malformed', reason?: string) => void;
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
  /** Input ids already counted, to drop results redelivered after a processor crash. */
  readonly dedup: InputDedup;
  /** The flagged-callers panel: the current verdicts from the verdicts topic. */
  readonly flagged: FlaggedCallers;
  readonly mode: SourceMode;
  readonly #now: () => number;
  readonly #onCount: StoreOptions['onCount'];
  readonly #onLiveResult: StoreOptions['onLiveResult'];
  readonly #onVerdict: StoreOptions['onVerdict'];
  readonly #onBeyondWindow: StoreOptions['onBeyondWindow'];
  #seq = 0;
  #state: SourceState;
  #replay: ReplayStatus | undefined;

  constructor(options: StoreOptions) {
    this.#now = options.now ?? Date.now;
    this.buffer = new RingBuffer(options.bufferSize);
    this.aggregates = new Aggregates(this.#now(), { windowSeconds: options.windowSeconds ?? 120 });
    this.callers = new CallerHistory(options.callerHistory);
    this.dedup = new InputDedup(options.dedup);
    this.flagged = new FlaggedCallers({
      ...(options.verdicts?.limit !== undefined ? { limit: options.verdicts.limit } : {}),
      state: options.verdicts ? 'connecting' : 'none',
    });
    if (options.verdicts) this.flagged.source('connecting', undefined, options.verdicts.topic);
    this.mode = options.mode;
    this.#state = options.mode === 'replay' ? 'replaying' : 'connecting';
    this.#onCount = options.onCount;
    this.#onLiveResult = options.onLiveResult;
    this.#onVerdict = options.onVerdict;
    this.#onBeyondWindow = options.onBeyondWindow;
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
    // A result whose input was already counted (redelivered after a processor crash) is dropped here, before
    // anything counts it: counters, aggregates, quality, the table, the drill-down, the flagged panel.
    if (record.input) {
      const seen = this.dedup.check(record.input);
      if (seen === 'duplicate') {
        this.#onCount?.('duplicate');
        return;
      }
      if (seen === 'beyond_window') this.#onBeyondWindow?.();
    }
    const seenMs = this.#now();
    const view: ResultView = { ...record, seq: ++this.#seq, seen_ms: seenMs };
    this.buffer.push(view);
    this.callers.add(view);
    this.flagged.noteResult(view);
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

  /** A record of the verdicts topic: the caller's current verdict, or undefined for a tombstone. */
  verdict(caller: string, verdict: VerdictRecord | undefined): void {
    this.flagged.apply(caller, verdict, this.callers.get(caller));
    this.#onVerdict?.(verdict === undefined ? 'tombstone' : verdict.verdict);
  }

  /** A record of the verdicts topic that is not a verdict: counted, skipped. */
  malformedVerdict(reason: string): void {
    this.flagged.addMalformed();
    this.#onVerdict?.('malformed', reason);
  }

  verdictState(state: VerdictSourceState, reason?: string): void {
    this.flagged.source(state, reason);
  }

  /** The verdicts topic was read to its end as of the start: the panel is complete. */
  verdictsLoaded(): void {
    this.flagged.markLoaded();
  }

  flaggedPanel(): FlaggedPanel {
    return this.flagged.panel();
  }

  /** Whether the source was ever live (read from a broker). */
  wasLive = false;

  state(state: SourceState, reason?: string): void {
    if (state === 'live') this.wasLive = true;
    this.#reason = reason;
    if (this.#replay && state === 'replaying' && this.#state === 'replaying' && this.#replay.rows > 0) {
      this.#replay.loops++;
      // The recording starts again: its results are not redeliveries.
      this.dedup.reset();
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
    return {
      ...this.aggregates.stats(this.#now(), source),
      duplicates: {
        dropped: this.dedup.duplicates,
        beyond_window: this.dedup.beyondWindow,
        window_offsets: this.dedup.windowOffsets,
      },
    };
  }

  series(): SeriesPoint[] {
    return this.aggregates.series(this.#now());
  }
}
