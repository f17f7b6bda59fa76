import type { SourceMode, SourceState, VerdictSourceState } from '../shared/wire.js';
import type { VerdictRecord } from './flagged-callers.js';
import type { ScoredRecord } from './results.js';

/**
 * The dashboard's only input: where scored results and dead letters come from. The server never touches
 * Kafka (or a file) directly, so the same app runs on the kafkajs transport, on a recording, or on the
 * in-process transport of the one-command demo.
 */
export interface FeedSink {
  /** A valid result. */
  scored(record: ScoredRecord): void;
  /** A record on the dead-letter topic. */
  deadLetter(): void;
  /** A record that is not a valid result (bad JSON, wrong types, a bad recording row): counted, not shown. */
  malformed(reason: string, line?: number): void;
  /** The feed's state changed; `reason` says why it is not live (e.g. the topics it waits for). */
  state(state: SourceState, reason?: string): void;
  /** A record of the caller-verdicts topic: the caller's current verdict, or undefined (a tombstone). */
  verdict(caller: string, verdict: VerdictRecord | undefined): void;
  /** A record of the caller-verdicts topic that is not a verdict: counted, not applied. */
  malformedVerdict(reason: string): void;
  /** The verdicts topic's reading state changed. */
  verdictState(state: VerdictSourceState, reason?: string): void;
  /** The verdicts topic was read to the end it had when reading began. */
  verdictsLoaded(): void;
}

export interface FeedSubscription {
  /** Stops delivering. Idempotent. */
  stop(): Promise<void>;
}

export interface ResultFeed {
  readonly mode: SourceMode;
  /** For a replay: the file and its pace. */
  readonly replay?: { file: string; speed: number };
  /** For a Kafka feed: the consumer group of this instance alone. */
  readonly group?: string;
  /** For a feed with caller verdicts: their topic, and the consumer group this instance reads it in. */
  readonly verdicts?: { topic: string; group: string };
  /** Starts delivering to `sink`; resolves once started (a feed that cannot reach its source yet keeps
   *  retrying and reports `no_broker` rather than rejecting). */
  subscribe(sink: FeedSink): Promise<FeedSubscription>;
}
