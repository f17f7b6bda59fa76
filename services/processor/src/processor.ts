import type { Logger, RejectionReason } from '@scam-detector/core';
import {
  type Batch,
  KafkaAccessError,
  type Subscription,
  type Transport,
  unavailableReason,
  untilAvailable,
} from '@scam-detector/transport';
import type { ProcessorStatus } from './app.js';
import { type CallerStateStore, MemoryCallerStateStore } from './caller-state-store.js';
import type { ProcessorMetrics } from './metrics.js';
import type { ModelSource } from './model-source.js';
import { ModelStore } from './model-store.js';
import { batchCallers, parseBatch, scoreBatch } from './pipeline.js';
import type { DurableCallerStates } from './state/durable-caller-states.js';

export interface ProcessorOptions {
  group: string;
  inputTopic: string;
  outputTopic: string;
  dlqTopic: string;
  /** The compacted topic of caller verdict changes; none are written when absent. */
  verdictsTopic?: string;
  maxBatchRecords: number;
  /** Partitions handled at the same time. */
  concurrency: number;
  maxRecordBytes: number;
}

export interface ProcessorDeps {
  transport: Transport;
  modelSource: ModelSource;
  metrics: ProcessorMetrics;
  logger: Logger;
  clock?: () => number;
  /** Per-caller feature state of the owned partitions; memory by default. */
  callerStates?: MemoryCallerStateStore;
  /** Durable per-caller state (CALLER_STATE=durable): restored before a partition is processed, changes sent
   *  to its changelog with each batch's results. Takes the place of `callerStates`. */
  durableStates?: DurableCallerStates;
  /** Longest wait between two tries while Kafka refuses access (wrong password, untrusted certificate, ACLs),
   *  does not answer, or lacks the topics. Default 5000. */
  accessRetryMs?: number;
}

export interface Processor {
  /** Starts the model source, waits for the first valid model, waits for the broker and the topics (input,
   *  output, dead letters), then joins the group and consumes. Resolves without consuming if stopped first. */
  start(): Promise<void>;
  /** Stops consuming (the batch in flight is committed only if its output was acknowledged), then the
   *  model source. Safe to call before start() has finished. */
  stop(): Promise<void>;
  status(): ProcessorStatus;
  /** Rejects if the consumer fails for good; resolves after stop(). */
  readonly stopped: Promise<void>;
}

/** The consume → validate → score → produce → commit pipeline, wired to its ports. */
export function createProcessor(options: ProcessorOptions, deps: ProcessorDeps): Processor {
  const { transport, modelSource, metrics, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const store = new ModelStore();
  const durable = deps.durableStates;
  const memoryStates = durable ? undefined : (deps.callerStates ?? new MemoryCallerStateStore());
  const callerStates: CallerStateStore = durable ?? (memoryStates as CallerStateStore);
  let subscription: Subscription | undefined;
  let stopping = false;
  const abort = new AbortController();
  /** Why the processor is not consuming yet (broker unreachable, topics missing), for /readyz. */
  let waiting: string | undefined;
  /** When the broker last answered the consumer (clock ms), once it has. */
  let lastAnswerMs: number | undefined;
  const sinceAnswerMs = (): number | undefined =>
    lastAnswerMs === undefined ? undefined : clock() - lastAnswerMs;
  metrics.onSinceAnswer(() => {
    const since = sinceAnswerMs();
    return since === undefined ? -1 : since / 1000;
  });
  metrics.onStateUsage(() => callerStates.usage());
  let assigned = 0;
  let kafkaProblem: string | undefined;
  let resolveStopped: () => void = () => undefined;
  let rejectStopped: (error: Error) => void = () => undefined;
  const stopped = new Promise<void>((resolve, reject) => {
    resolveStopped = resolve;
    rejectStopped = reject;
  });
  stopped.catch(() => undefined);

  const topics = {
    output: options.outputTopic,
    dlq: options.dlqTopic,
    ...(options.verdictsTopic ? { verdicts: options.verdictsTopic } : {}),
  };
  /** Verdict tombstones of evicted callers that were flagged (they leave the compacted topic). */
  const verdictTombstones = (callers: readonly string[]) => {
    if (!options.verdictsTopic || callers.length === 0) return [];
    metrics.verdicts.inc({ verdict: 'evicted' }, callers.length);
    return callers.map((caller) => ({ topic: options.verdictsTopic as string, key: caller, value: null }));
  };

  const handle = async (batch: Batch) => {
    const parsed = parseBatch(batch.records, options.dlqTopic, options.maxRecordBytes);
    // Not one event of a partition before its caller state is restored and the batch's callers are loaded.
    if (durable) {
      // A restore can take longer than the session timeout: keep this member alive in the group meanwhile.
      const beating = setInterval(() => void batch.heartbeat?.().catch(() => undefined), 2000);
      try {
        await durable.load(batch.topic, batch.partition, batchCallers(parsed));
      } finally {
        clearInterval(beating);
      }
    }
    const scorer = store.current;
    if (!scorer) throw new Error('no model loaded'); // unreachable: consuming starts after the first model
    const outcome = scoreBatch(
      parsed,
      scorer,
      callerStates.partition(batch.topic, batch.partition),
      topics,
      clock(),
    );
    metrics.eventsIn.inc(batch.records.length);
    metrics.eventsScored.inc(outcome.scored);
    metrics.eventsFlagged.inc(outcome.flagged);
    metrics.batchSize.observe(batch.records.length);
    metrics.scoringDuration.observe(outcome.scoringMs / 1000);
    metrics.featureDuration.observe(outcome.featuresMs / 1000);
    if (outcome.late > 0) metrics.lateEvents.inc(outcome.late);
    if (outcome.redelivered > 0) metrics.redeliveredEvents.inc(outcome.redelivered);
    if (outcome.verdicts.flagged > 0) metrics.verdicts.inc({ verdict: 'flagged' }, outcome.verdicts.flagged);
    if (outcome.verdicts.cleared > 0) metrics.verdicts.inc({ verdict: 'cleared' }, outcome.verdicts.cleared);
    for (const [reason, count] of Object.entries(outcome.rejected) as [RejectionReason, number][]) {
      metrics.dlq.inc({ reason }, count);
    }
    if (Object.keys(outcome.rejected).length > 0) {
      logger.debug({ partition: batch.partition, rejected: outcome.rejected }, 'dead-lettered invalid input');
    }
    if (!durable) {
      const evicted = memoryStates?.evictIdle(batch.topic, batch.partition, outcome.latestEventMs);
      if (!evicted) return outcome.records;
      metrics.stateEvicted.inc(evicted.callers);
      return [...outcome.records, ...verdictTombstones(evicted.flagged)];
    }
    // The changed states go in the same send as the results: both acknowledged before the input is committed.
    const changes = durable.changelog(batch.topic, batch.partition, outcome.callers, outcome.latestEventMs);
    if (changes.evicted > 0) metrics.stateEvicted.inc(changes.evicted);
    return [...outcome.records, ...changes.records, ...verdictTombstones(changes.evictedFlagged)];
  };

  const onModel = {
    loaded(model: Parameters<ModelStore['offer']>[0], origin: string) {
      const previous = store.version;
      let result: ReturnType<ModelStore['offer']>;
      try {
        result = store.offer(model);
      } catch (error) {
        onModel.rejected(error as Error, origin);
        return;
      }
      metrics.modelReloads.inc({ result });
      if (result === 'loaded') {
        if (previous) metrics.modelInfo.remove({ version: previous });
        metrics.modelInfo.set({ version: model.model.version }, 1);
        logger.info(
          {
            model_version: model.model.version,
            feature_set: store.current?.featureSet,
            previous: previous ?? null,
            origin,
          },
          'model loaded',
        );
      }
    },
    rejected(error: Error, origin: string) {
      metrics.modelReloads.inc({ result: 'rejected' });
      logger.error(
        { err: error, origin, serving: store.version ?? null },
        store.version
          ? 'model rejected; the previous model keeps serving'
          : 'model rejected; waiting for a valid one',
      );
    },
  };

  return {
    stopped,
    status: () => ({
      modelVersion: store.version,
      assignedPartitions: assigned,
      consuming: subscription !== undefined,
      ...(waiting ? { waiting } : {}),
      ...(subscription && sinceAnswerMs() !== undefined ? { sinceAnswerMs: sinceAnswerMs() } : {}),
      restoringPartitions: durable?.restoring() ?? 0,
      ...(kafkaProblem ? { kafkaProblem } : {}),
    }),

    async start() {
      await modelSource.start(onModel);
      // A stop that came while the model source was starting (a large model takes a moment to load) ends here.
      if (stopping) return;
      if (!store.current) logger.warn('no valid model yet: not consuming until one is loaded');
      // A stop while waiting for the first model ends the wait (start() then resolves without consuming).
      const aborted = new Promise<void>((resolve) => {
        if (abort.signal.aborted) resolve();
        else abort.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([store.ready(), aborted]);
      if (stopping) return;
      const needed = [options.inputTopic, options.outputTopic, options.dlqTopic];
      if (options.verdictsTopic) needed.push(options.verdictsTopic);
      let said: string | undefined;
      const consume = () =>
        transport.consume(
          {
            group: options.group,
            topics: [options.inputTopic],
            maxBatchRecords: options.maxBatchRecords,
            concurrency: options.concurrency,
            listener: {
              assigned(assignment) {
                kafkaProblem = undefined;
                assigned = assignment.reduce((sum, a) => sum + a.partitions.length, 0);
                metrics.partitions.set(assigned);
                metrics.lag.reset();
                callerStates.retain(assignment);
                // Restores start at once, not with the first batch: readiness shows them.
                for (const { topic, partitions } of assignment) {
                  for (const partition of partitions)
                    void durable?.prepare(topic, partition).catch(() => undefined);
                }
                logger.info({ assignment }, 'partitions assigned');
              },
              answered() {
                lastAnswerMs = clock();
              },
              rebalancing() {
                metrics.rebalances.inc();
                logger.info('group rebalancing');
              },
              batchDone(info) {
                durable?.acknowledged(info.topic, info.partition);
                metrics.batchDuration.observe(info.durationMs / 1000);
                metrics.lag.set({ topic: info.topic, partition: String(info.partition) }, info.lag);
              },
              crashed(error, willRestart) {
                if (error instanceof KafkaAccessError) kafkaProblem = error.message;
                metrics.consumerCrashes.inc({ restart: String(willRestart) });
                logger.error(
                  { err: error, willRestart },
                  'consumer failed; uncommitted batches will be redelivered',
                );
              },
            },
          },
          handle,
        );
      subscription = await untilAvailable(
        async () => {
          await transport.checkTopics(needed);
          return consume();
        },
        {
          signal: abort.signal,
          maxDelayMs: deps.accessRetryMs ?? 5000,
          onRetry(error, attempt, delayMs) {
            // Kafka refusing access (a wrong password, an untrusted certificate, a denied ACL) is reported,
            // shown by /readyz and retried like a missing broker: a fix lets the processor in, no restart loop.
            if (error instanceof KafkaAccessError) {
              if (error.message !== kafkaProblem)
                logger.error({ err: error, problem: error.problem }, error.message);
              kafkaProblem = error.message;
              return;
            }
            waiting = unavailableReason(error);
            // One line per distinct reason, not one per attempt.
            if (waiting !== said) logger.warn({ attempt, retry_in_ms: delayMs }, `${waiting}; retrying`);
            else logger.debug({ attempt, retry_in_ms: delayMs, err: error }, waiting);
            said = waiting;
          },
        },
      );
      if (said !== undefined && subscription)
        logger.info({ topics: needed }, 'broker and topics available: consuming');
      waiting = undefined;
      kafkaProblem = undefined;
      if (!subscription) return; // stopped while waiting
      subscription.stopped.then(resolveStopped, (error: Error) => {
        assigned = 0;
        rejectStopped(error);
      });
      if (stopping) await subscription.stop();
    },

    async stop() {
      stopping = true;
      abort.abort();
      try {
        await subscription?.stop();
      } finally {
        assigned = 0;
        metrics.partitions.set(0);
        await durable?.close();
        await modelSource.close();
        resolveStopped();
      }
    },
  };
}
