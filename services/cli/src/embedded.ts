import { existsSync } from 'node:fs';
import {
  createLogger,
  createProgress,
  DEFAULT_TOPICS,
  DEFAULT_VERDICTS_TOPIC,
  describeWorldStart,
  encodeBehaviourModel,
  encodeModel,
  parsers,
  type WorldStart,
  worldStartMs,
  writeFileAtomic,
} from '@scam-detector/core';
import { createTransportFeed, startDashboard } from '@scam-detector/dashboard';
import { createProcessor, createProcessorMetrics, FileModelSource } from '@scam-detector/processor';
import { createEventSource, runProducer, runWorldProducer } from '@scam-detector/producer';
import {
  DEFAULT_BEHAVIOUR_OPTIONS,
  DEFAULT_TRAIN_OPTIONS,
  trainBehaviourModel,
  trainModel,
  worldAtScale,
} from '@scam-detector/trainer';
import {
  createKafkajsTransport,
  createMemoryTransport,
  type Transport,
  unavailableReason,
  untilAvailable,
} from '@scam-detector/transport';

export interface EmbeddedOptions {
  port: number;
  /** world: the simulated telecom world at `speedup`; default / prototype: the generator at `rate`. */
  profile: 'world' | 'default' | 'prototype';
  speedup: number;
  /** world: where its simulated clock starts. */
  start: WorldStart;
  rate: number;
  modelPath: string;
  /** When there is no model yet: train the stateless prototype model (on this many rows) instead of the
   *  behavioural one. */
  prototype: boolean;
  trainSamples: number;
  /** When training the behavioural model: the simulated world's population as a fraction of the default. */
  trainScale: number;
  env: Record<string, string | undefined>;
}

/** Ctrl-C must end everything well within 5 s. */
const STOP_DEADLINE_MS = 4_000;

/**
 * The whole pipeline in one process: producer → processor → dashboard over the in-memory bus (or a real
 * broker when KAFKA_BROKERS is set), wired from the same factories the services use on their own.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<void> {
  const logger = createLogger('scam-detector', options.env.LOG_LEVEL ?? 'warn');
  if (!existsSync(options.modelPath)) {
    if (options.prototype) {
      console.log(`No model at ${options.modelPath}: training the stateless model first (about 10 s)...`);
      const model = trainModel({ ...DEFAULT_TRAIN_OPTIONS, samples: options.trainSamples }, createProgress());
      const { json, version } = encodeModel(model);
      await writeFileAtomic(options.modelPath, json);
      console.log(
        `Trained ${version}: accuracy ${model.evaluation?.test.accuracy.toFixed(3)} on held-out calls.`,
      );
    } else {
      console.log(
        `No model at ${options.modelPath}: training the behavioural model on a simulated world first (about 15 s)...`,
      );
      const world = worldAtScale(options.trainScale);
      const model = trainBehaviourModel(
        { ...DEFAULT_BEHAVIOUR_OPTIONS, ...(world ? { world } : {}) },
        createProgress(),
      );
      const { json, version } = encodeBehaviourModel(model);
      await writeFileAtomic(options.modelPath, json);
      const validation = (model.training as { validation?: { precision: number; recall: number } } | null)
        ?.validation;
      console.log(
        `Trained ${version}${validation ? `: precision ${validation.precision.toFixed(3)}, recall ${validation.recall.toFixed(3)} on a validation day` : ''}.`,
      );
    }
  }

  const brokers = options.env.KAFKA_BROKERS ? parsers.brokers(options.env.KAFKA_BROKERS) : undefined;
  const transport: Transport = brokers
    ? createKafkajsTransport({ brokers, clientId: 'scam-detector-embedded', logger })
    : createMemoryTransport();
  const topics = {
    raw: DEFAULT_TOPICS.raw,
    scored: DEFAULT_TOPICS.scored,
    dlq: DEFAULT_TOPICS.dlq,
    verdicts: DEFAULT_VERDICTS_TOPIC,
  };

  const processor = createProcessor(
    {
      group: 'processor_group',
      inputTopic: topics.raw,
      outputTopic: topics.scored,
      dlqTopic: topics.dlq,
      verdictsTopic: topics.verdicts,
      maxBatchRecords: 2000,
      concurrency: 1,
      maxRecordBytes: 1_000_000,
    },
    {
      transport,
      modelSource: new FileModelSource({ path: options.modelPath, debounceMs: 250 }),
      metrics: createProcessorMetrics(),
      logger,
    },
  );
  const dashboard = await startDashboard({
    feed: createTransportFeed(transport, {
      outputTopic: topics.scored,
      dlqTopic: topics.dlq,
      verdictsTopic: topics.verdicts,
      fromBeginning: false,
      logger,
    }),
    port: options.port,
    modelPath: options.modelPath,
    logger,
  });
  const abort = new AbortController();
  // The world's clock starts where it was told (a local time of day: its latest instant), resolved once.
  const startMs = worldStartMs(options.start, Date.now());
  // On Kafka, the broker or the topics may not be there yet: the processor and the producer each wait for
  // them (saying so once) and go on by themselves; the dashboard is up meanwhile and says what it waits for.
  const processing = processor.start();
  const producing = (async () => {
    let said: string | undefined;
    const producer = await untilAvailable(
      async () => {
        await transport.checkTopics([topics.raw]);
        return transport.producer();
      },
      {
        signal: abort.signal,
        onRetry(error) {
          const reason = unavailableReason(error);
          if (reason !== said) console.error(`${reason}; retrying`);
          said = reason;
        },
      },
    );
    if (!producer) return;
    const seed = Date.now() % 2 ** 31;
    if (options.profile === 'world') {
      await runWorldProducer(
        producer,
        { seed, speedup: options.speedup, topic: topics.raw, startMs },
        abort.signal,
      );
    } else {
      await runProducer(
        producer,
        createEventSource({ profile: options.profile, seed, callers: 5000, topic: topics.raw }),
        { rate: options.rate },
        abort.signal,
      );
    }
    await producer.close();
  })();

  console.log(
    `\nScam detector is running: ${options.profile === 'world' ? `the simulated world at ${options.speedup}x real time from ${describeWorldStart(startMs)}` : `${options.rate} simulated calls/s`}, scored by the model in ${options.modelPath}, over ${brokers ? `Kafka at ${brokers.join(',')}` : 'an in-process bus'}.`,
  );
  console.log(`Dashboard: http://localhost:${dashboard.port}   (Ctrl-C to stop)\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    setTimeout(() => {
      console.error('could not stop in time');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    abort.abort();
    await producing.catch(() => undefined);
    await processor.stop();
    await processing.catch(() => undefined);
    await dashboard.close();
    await transport.close();
    console.log('stopped.');
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C under npm delivers SIGINT twice (the terminal's and npm's); stop() runs once.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  processing.catch((error: Error) => {
    console.error(`processor failed to start: ${error.message}`);
    void stop('failure');
  });
  producing.catch((error: Error) => {
    console.error(`producer failed: ${error.message}`);
    void stop('failure');
  });
  processor.stopped.catch((error: Error) => {
    console.error(`processor failed: ${error.message}`);
    void stop('failure');
  });
}
