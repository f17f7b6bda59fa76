import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger, parseTruth, SCENARIO_HEADER, TRUTH_HEADER } from '@scam-detector/core';
import {
  type Batch,
  type PartitionAssignment,
  type Subscription,
  type Transport,
  TransportUnavailableError,
} from '@scam-detector/transport';
import type { FeedSink, FeedSubscription, ResultFeed } from './feed.js';
import { readVerdictRecord } from './flagged-callers.js';
import { parseScoredText } from './results.js';

export interface TransportFeedOptions {
  outputTopic: string;
  dlqTopic: string;
  /** The compacted caller-verdicts topic: read whole from its earliest record, then live. None when absent. */
  verdictsTopic?: string;
  /** Read the results and dead letters from the earliest record instead of only new ones. */
  fromBeginning: boolean;
  /** Wait between two attempts to reach the broker. */
  retryMs?: number;
  /** Report `no_broker` when not reading after this long. */
  noBrokerAfterMs?: number;
  /** The verdicts topic counts as read to its end once every partition reported no lag, or once no batch of it
   *  has come for this long after the consumer joined (an empty partition never sends one). Default 1500 ms. */
  verdictsIdleMs?: number;
  logger: Logger;
}

type FollowState = 'connecting' | 'waiting' | 'no_broker' | 'live';

interface FollowSpec {
  /** For log lines: "results", "caller verdicts". */
  what: string;
  group: string;
  topics: string[];
  /** Asked at each (re)connection. */
  fromBeginning: () => boolean;
  /** The topics do not exist yet. */
  missing?: () => void;
  report: (state: FollowState, reason?: string) => void;
  assigned?: (assignment: PartitionAssignment[]) => void;
  handle: (batch: Batch) => void;
  retryMs: number;
  noBrokerAfterMs: number;
  logger: Logger;
  /** Log an unreachable broker at debug level only (another loop of the same feed already says it). */
  quietWhenNoBroker?: boolean;
}

/**
 * Consumes `topics` in `group` through the transport port until stopped: waits for the broker and the topics
 * (saying why), consumes, and starts again when the consumer stops for good. The handler produces nothing.
 */
function follow(transport: Transport, spec: FollowSpec): FeedSubscription {
  let subscription: Subscription | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let said: string | undefined;
  const pause = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, spec.retryMs);
    });
  const connect = async (): Promise<void> => {
    while (!stopped) {
      try {
        await transport.checkTopics(spec.topics);
      } catch (error) {
        const unavailable =
          error instanceof TransportUnavailableError
            ? error
            : new TransportUnavailableError('BROKER_UNREACHABLE', (error as Error).message);
        if (unavailable.code === 'TOPICS_MISSING') spec.missing?.();
        const { code, message } = unavailable;
        spec.report(code === 'BROKER_UNREACHABLE' ? 'no_broker' : 'waiting', message);
        if (message !== said) {
          const quiet = code === 'BROKER_UNREACHABLE' && spec.quietWhenNoBroker;
          spec.logger[quiet ? 'debug' : 'warn']({ retry_ms: spec.retryMs }, `${message}; retrying`);
        }
        said = message;
        await pause();
        continue;
      }
      spec.report('connecting');
      // kafkajs retries a dead broker for a while before giving up: say so on the page well before that.
      let live = false;
      const patience = setTimeout(() => {
        if (!live) spec.report('no_broker');
      }, spec.noBrokerAfterMs);
      try {
        const current = await transport.consume(
          {
            group: spec.group,
            topics: spec.topics,
            fromBeginning: spec.fromBeginning(),
            listener: {
              assigned: (assignment) => {
                live = true;
                spec.report('live');
                spec.assigned?.(assignment);
              },
              rebalancing: () => spec.report('connecting'),
              crashed: (error, willRestart) => {
                spec.logger.warn({ err: error, willRestart }, `${spec.what} consumer failed`);
                spec.report('no_broker');
              },
            },
          },
          (batch) => {
            spec.handle(batch);
            return [];
          },
        );
        if (stopped) {
          clearTimeout(patience);
          await current.stop();
          return;
        }
        subscription = current;
        spec.logger.info({ group: spec.group, topics: spec.topics }, `reading ${spec.what}`);
        try {
          await current.stopped;
          return; // stopped on purpose
        } catch (error) {
          spec.logger.error({ err: error }, `${spec.what} consumer stopped for good; reconnecting`);
        }
      } catch (error) {
        spec.logger[spec.quietWhenNoBroker ? 'debug' : 'warn'](
          { err: error, retry_ms: spec.retryMs },
          `cannot reach the broker to read ${spec.what}; retrying`,
        );
      }
      clearTimeout(patience);
      subscription = undefined;
      if (stopped) return;
      spec.report('no_broker');
      await pause();
    }
  };
  const running = connect();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      wake?.();
      if (subscription) {
        await subscription.stop();
        await running;
      }
      // Still trying to reach a broker: kafkajs's connect retries run on; the caller closes the transport.
    },
  };
}

/**
 * Results, dead letters and caller verdicts from the pipeline's transport port. Each dashboard instance consumes
 * in groups of its own (a fresh name per start), so every instance sees every record and none takes partitions
 * from another; the port commits those groups' offsets, which nobody ever resumes from (a new start makes new
 * groups). Results and dead letters are read from the latest offset unless `fromBeginning`; the verdicts topic,
 * compacted (the latest record of a caller is its current verdict), always from the earliest, whole, then live,
 * in a second group, so that it waits for its topic on its own: results are shown while it does not exist yet.
 * The handlers produce nothing.
 */
export function createTransportFeed(transport: Transport, options: TransportFeedOptions): ResultFeed {
  const group = `dashboard-${hostname()}-${randomBytes(4).toString('hex')}`;
  const verdictsGroup = `${group}-verdicts`;
  const retryMs = options.retryMs ?? 2000;
  const noBrokerAfterMs = options.noBrokerAfterMs ?? 8000;
  const verdictsIdleMs = options.verdictsIdleMs ?? 1500;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const { verdictsTopic, logger } = options;
  return {
    mode: 'kafka',
    group,
    ...(verdictsTopic ? { verdicts: { topic: verdictsTopic, group: verdictsGroup } } : {}),
    async subscribe(sink: FeedSink): Promise<FeedSubscription> {
      // A dashboard started before its topics existed reads them from the beginning once they do: everything
      // in them arrived after it started, so nothing produced meanwhile is missed.
      let fromBeginning = options.fromBeginning;
      const results = follow(transport, {
        what: 'results',
        group,
        topics: [options.outputTopic, options.dlqTopic],
        fromBeginning: () => fromBeginning,
        missing: () => {
          fromBeginning = true;
        },
        report: (state, reason) => sink.state(state === 'waiting' ? 'connecting' : state, reason),
        handle: (batch) => {
          for (const record of batch.records) {
            if (record.topic === options.dlqTopic) {
              sink.deadLetter();
              continue;
            }
            let text: string;
            try {
              text = record.value ? decoder.decode(record.value) : '';
            } catch {
              sink.malformed('value is not valid UTF-8');
              continue;
            }
            const parsed = parseScoredText(
              text,
              parseTruth(record.headers[TRUTH_HEADER]),
              record.headers[SCENARIO_HEADER]?.toString('utf8'),
            );
            if (parsed.ok) sink.scored(parsed.record);
            else sink.malformed(parsed.reason);
          }
        },
        retryMs,
        noBrokerAfterMs,
        logger,
      });
      if (!verdictsTopic) return results;

      // Read to the end once every assigned partition has reported no lag, or when none has sent a batch for a
      // while (an empty partition sends none; a compacted tail can leave the end above the last record).
      let loaded = false;
      let reading = false;
      let idle: NodeJS.Timeout | undefined;
      let owned: number[] = [];
      const caughtUp = new Set<number>();
      const finish = (): void => {
        if (loaded || !reading) return; // quiet because the broker went away is not the end of the topic
        loaded = true;
        clearTimeout(idle);
        sink.verdictsLoaded();
        logger.info({ topic: verdictsTopic }, 'caller verdicts read to the end; following them live');
      };
      const armIdle = (): void => {
        if (loaded) return;
        clearTimeout(idle);
        idle = setTimeout(finish, verdictsIdleMs);
      };
      const verdicts = follow(transport, {
        what: 'caller verdicts',
        group: verdictsGroup,
        topics: [verdictsTopic],
        fromBeginning: () => true,
        quietWhenNoBroker: true, // the results' loop says it already, once
        report: (state, reason) => {
          reading = state === 'live';
          sink.verdictState(state, reason);
        },
        assigned: (assignment) => {
          owned = assignment.find((a) => a.topic === verdictsTopic)?.partitions ?? [];
          armIdle();
        },
        handle: (batch) => {
          for (const record of batch.records) {
            let key: string | null;
            try {
              key = record.key ? decoder.decode(record.key) : null;
            } catch {
              sink.malformedVerdict('key is not valid UTF-8');
              continue;
            }
            let read: ReturnType<typeof readVerdictRecord>;
            try {
              read = readVerdictRecord(key, record.value);
            } catch (error) {
              sink.malformedVerdict((error as Error).message);
              continue;
            }
            sink.verdict(read.caller, read.verdict);
          }
          if (batch.lag === 0) caughtUp.add(batch.partition);
          if (owned.length > 0 && owned.every((p) => caughtUp.has(p))) finish();
          else armIdle();
        },
        retryMs,
        noBrokerAfterMs,
        logger,
      });
      return {
        async stop() {
          clearTimeout(idle);
          await Promise.all([results.stop(), verdicts.stop()]);
        },
      };
    },
  };
}
