#!/usr/bin/env node
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, createLogger } from '@scam-detector/core';
import {
  createKafkajsTopicAdmin,
  createKafkajsTransport,
  KafkaAccessError,
  type KafkaSecurity,
  readKafkaSecurity,
  unavailableReason,
  untilAvailable,
} from '@scam-detector/transport';
import { createApp, type ProcessorStatus } from './app.js';
import { readProcessorConfig } from './config.js';
import { FileModelSource } from './file-model-source.js';
import { createProcessorMetrics } from './metrics.js';
import type { ModelSource } from './model-source.js';
import { createProcessor, type Processor } from './processor.js';
import { ChangelogConfigError, ensureChangelog } from './state/changelog.js';
import { DiskStateStoreProvider } from './state/disk-store.js';
import { DurableCallerStates } from './state/durable-caller-states.js';
import { MemoryStateStoreProvider } from './state/memory-store.js';

/** Exit codes: 0 clean shutdown, 1 runtime failure or shutdown past its deadline, 2 invalid configuration. */
const EXIT = { ok: 0, failure: 1, config: 2 } as const;

let config: ReturnType<typeof readProcessorConfig>;
let security: KafkaSecurity;
try {
  config = readProcessorConfig();
  security = readKafkaSecurity(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  createLogger('processor').fatal({ problems: error.problems }, error.message);
  process.exit(EXIT.config);
}

const logger = createLogger('processor', config.LOG_LEVEL);
const metrics = createProcessorMetrics();
const transport = createKafkajsTransport({
  brokers: config.KAFKA_BROKERS,
  clientId: 'scam-detector-processor',
  logger,
  maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES,
  sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
  security,
});
/** The model file (watched), or the ConfigMap the training Job writes (watched through the API). */
async function modelSourceFor(settings: typeof config): Promise<ModelSource> {
  if (settings.MODEL_SOURCE === 'file') {
    return new FileModelSource({ path: settings.MODEL_PATH, debounceMs: settings.MODEL_RELOAD_DEBOUNCE_MS });
  }
  const { ConfigMapModelSource, loadKubeConfig, resolveNamespace } = await import('@scam-detector/kube');
  const kc = loadKubeConfig();
  const namespace = resolveNamespace(kc, { KUBE_NAMESPACE: settings.KUBE_NAMESPACE });
  return new ConfigMapModelSource(
    kc,
    { namespace, name: settings.MODEL_CONFIGMAP },
    {
      waiting: (origin) => logger.warn({ origin }, 'model ConfigMap not found: waiting for the training Job'),
      watchFailed: (message, retryInMs) =>
        logger.warn({ retry_in_ms: retryInMs }, `model ConfigMap watch: ${message}`),
    },
  );
}

/**
 * The topics the processor owns, created when missing (the chart creates them as KafkaTopics; a plain broker
 * gets them here): the verdicts topic (compacted) and, with CALLER_STATE=durable, the changelog (compacted, its
 * partitions checked against the input's). Then the durable state's local store.
 */
async function ownTopicsAndState(settings: typeof config): Promise<DurableCallerStates | undefined> {
  const changelogTopic = settings.CHANGELOG_TOPIC || `${settings.CONSUMER_GROUP}-caller-state-changelog`;
  const durable = settings.CALLER_STATE === 'durable';
  const admin = createKafkajsTopicAdmin({
    brokers: settings.KAFKA_BROKERS,
    clientId: 'scam-detector-processor-state',
    logger,
    security,
  });
  // The input topic may not exist yet, the broker may not answer or refuse us (a dependency not there yet is
  // waited for, said once per reason and shown by /readyz); a changelog whose partitions do not match the
  // input's is a configuration error.
  let said: string | undefined;
  await untilAvailable(
    async () => {
      // The transport says why it cannot go on yet in the words every service uses (no broker answers, the
      // topic does not exist yet); the admin calls below then find both there.
      await transport.checkTopics([settings.INPUT_TOPIC]);
      const input = await admin.partitionOffsets(settings.INPUT_TOPIC);
      const verdicts = await admin.ensureTopic({
        topic: settings.CALLER_VERDICTS_TOPIC,
        partitions: input.length,
        compacted: true,
      });
      if (verdicts.created)
        logger.info({ topic: settings.CALLER_VERDICTS_TOPIC }, 'caller verdicts topic created');
      if (!durable) return;
      const { created, partitions } = await ensureChangelog(admin, {
        changelogTopic,
        inputTopic: settings.INPUT_TOPIC,
      });
      logger.info({ changelog: changelogTopic, created, partitions }, 'caller state changelog ready');
    },
    {
      retryIf: (error) => !(error instanceof ChangelogConfigError),
      onRetry(error, attempt, delayMs) {
        const reason = error instanceof KafkaAccessError ? error.message : unavailableReason(error);
        preparing = reason;
        if (reason !== said)
          logger.warn({ attempt, retry_in_ms: delayMs, err: error }, `${reason}; retrying`);
        said = reason;
      },
    },
  );
  if (said !== undefined) logger.info('input, verdicts and state topics available');
  if (!durable) {
    await admin.close();
    return undefined;
  }
  // The processor's hot set (STATE_HOT_SET_SIZE callers per partition) is the in-memory cache; the disk store's
  // own cache only has to cover a batch's reads.
  const provider = settings.STATE_DIR
    ? new DiskStateStoreProvider({ directory: settings.STATE_DIR, hotSetSize: 1000, sync: false })
    : new MemoryStateStoreProvider();
  return new DurableCallerStates({
    admin,
    provider,
    changelogTopic,
    logger,
    metrics,
    hotSetSize: settings.STATE_HOT_SET_SIZE,
  });
}

/** Why the processor is not created yet (its topics are being checked), for /readyz. */
let preparing = 'checking the input, verdicts and state topics';
let processor: Processor | undefined;
const status = (): ProcessorStatus =>
  processor?.status() ?? {
    modelVersion: undefined,
    assignedPartitions: 0,
    consuming: false,
    waiting: preparing,
  };

// HTTP first: /healthz answers and /readyz says what the processor waits for from the first second.
const app = createApp({ registry: metrics.registry, status, readyGauge: metrics.ready });
const server: Server = await new Promise((resolve, reject) => {
  const listening = app.listen(config.HTTP_PORT, (error?: Error) =>
    error ? reject(error) : resolve(listening),
  );
});
logger.info(
  { port: (server.address() as AddressInfo).port, group: config.CONSUMER_GROUP, topic: config.INPUT_TOPIC },
  'processor started',
);

let shuttingDown = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ reason, deadline_ms: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error(
      { deadline_ms: config.SHUTDOWN_TIMEOUT_MS },
      'shutdown deadline passed: exiting without a clean stop',
    );
    process.exit(EXIT.failure);
  }, config.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  try {
    await processor?.stop(); // stops fetching; only acknowledged batches are committed; flushes the producer
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    logger.info('stopped cleanly');
  } catch (error) {
    logger.error({ err: error }, 'error during shutdown');
    code = EXIT.failure;
  }
  process.exit(code);
}

// `on`, not `once`: a second signal (Ctrl-C under npm arrives twice) must not kill a shutdown in progress.
process.on('SIGTERM', () => void shutdown('SIGTERM', EXIT.ok));
process.on('SIGINT', () => void shutdown('SIGINT', EXIT.ok));

let durableStates: DurableCallerStates | undefined;
try {
  durableStates = await ownTopicsAndState(config);
} catch (error) {
  if (!(error instanceof ChangelogConfigError)) throw error;
  logger.fatal({ err: error }, `invalid configuration: CHANGELOG_TOPIC: ${error.message}`);
  process.exit(EXIT.config);
}
if (shuttingDown) await new Promise(() => undefined); // the shutdown in progress exits

processor = createProcessor(
  {
    group: config.CONSUMER_GROUP,
    inputTopic: config.INPUT_TOPIC,
    outputTopic: config.OUTPUT_TOPIC,
    dlqTopic: config.DLQ_TOPIC,
    verdictsTopic: config.CALLER_VERDICTS_TOPIC,
    maxBatchRecords: config.BATCH_MAX_RECORDS,
    concurrency: config.PROCESSOR_CONCURRENCY,
    maxRecordBytes: config.KAFKA_MAX_REQUEST_BYTES,
  },
  {
    transport,
    modelSource: await modelSourceFor(config),
    metrics,
    logger,
    ...(durableStates ? { durableStates } : {}),
  },
);

processor.stopped.catch((error: Error) => {
  logger.fatal({ err: error }, 'consumer stopped for good');
  void shutdown('consumer failure', EXIT.failure);
});

try {
  await processor.start();
} catch (error) {
  logger.fatal({ err: error }, 'processor failed to start');
  await shutdown('start-up failure', EXIT.failure);
}
