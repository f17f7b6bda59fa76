import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger, parseTruth, SCENARIO_HEADER, TRUTH_HEADER } from '@scam-detector/core';
import { type Subscription, type Transport, TransportUnavailableError } from '@scam-detector/transport';
import type { FeedSink, FeedSubscription, ResultFeed } from './feed.js';
import { parseScoredText } from './results.js';

export interface TransportFeedOptions {
  outputTopic: string;
  dlqTopic: string;
  /** Read from the earliest record instead of only new ones. */
  fromBeginning: boolean;
  /** Wait between two attempts to reach the broker. */
  retryMs?: number;
  /** Report `no_broker` when not reading after this long. */
  noBrokerAfterMs?: number;
  logger: Logger;
}

/**
 * Results and dead letters from the pipeline's transport port. Each dashboard instance consumes in a group of
 * its own (a fresh name per start), so every instance sees every result and none takes partitions from
 * another; the port commits that group's offsets, which nobody ever resumes from (a new start makes a new
 * group, from the latest offset unless `fromBeginning`). The handler produces nothing.
 */
export function createTransportFeed(transport: Transport, options: TransportFeedOptions): ResultFeed {
  const group = `dashboard-${hostname()}-${randomBytes(4).toString('hex')}`;
  const retryMs = options.retryMs ?? 2000;
  const noBrokerAfterMs = options.noBrokerAfterMs ?? 8000;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    mode: 'kafka',
    group,
    async subscribe(sink: FeedSink): Promise<FeedSubscription> {
      let subscription: Subscription | undefined;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let wake: (() => void) | undefined;

      // A dashboard started before its topics existed reads them from the beginning once they do: everything
      // in them arrived after it started, so nothing produced meanwhile is missed.
      let fromBeginning = options.fromBeginning;
      let said: string | undefined;
      const connect = async (): Promise<void> => {
        while (!stopped) {
          try {
            await transport.checkTopics([options.outputTopic, options.dlqTopic]);
          } catch (error) {
            const unavailable =
              error instanceof TransportUnavailableError
                ? error
                : new TransportUnavailableError('BROKER_UNREACHABLE', (error as Error).message);
            if (unavailable.code === 'TOPICS_MISSING') fromBeginning = true;
            const { code, message } = unavailable;
            sink.state(code === 'BROKER_UNREACHABLE' ? 'no_broker' : 'connecting', message);
            if (message !== said) options.logger.warn({ retry_ms: retryMs }, `${message}; retrying`);
            said = message;
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, retryMs);
            });
            continue;
          }
          sink.state('connecting');
          // kafkajs retries a dead broker for a while before giving up: say so on the page well before that.
          let live = false;
          const patience = setTimeout(() => {
            if (!live) sink.state('no_broker');
          }, noBrokerAfterMs);
          try {
            const current = await transport.consume(
              {
                group,
                topics: [options.outputTopic, options.dlqTopic],
                fromBeginning,
                listener: {
                  assigned: () => {
                    live = true;
                    sink.state('live');
                  },
                  rebalancing: () => sink.state('connecting'),
                  crashed: (error, willRestart) => {
                    options.logger.warn({ err: error, willRestart }, 'results consumer failed');
                    sink.state('no_broker');
                  },
                },
              },
              (batch) => {
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
                return [];
              },
            );
            if (stopped) {
              clearTimeout(patience);
              await current.stop();
              return;
            }
            subscription = current;
            options.logger.info(
              { group, topics: [options.outputTopic, options.dlqTopic] },
              'reading results',
            );
            try {
              await current.stopped;
              return; // stopped on purpose
            } catch (error) {
              options.logger.error({ err: error }, 'results consumer stopped for good; reconnecting');
            }
          } catch (error) {
            options.logger.warn({ err: error, retry_ms: retryMs }, 'cannot reach the broker; retrying');
          }
          clearTimeout(patience);
          subscription = undefined;
          if (stopped) return;
          sink.state('no_broker');
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, retryMs);
          });
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
    },
  };
}
