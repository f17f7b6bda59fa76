#!/usr/bin/env node
import { ConfigError, createLogger } from '@scam-detector/core';
import {
  consumerGroupLag,
  createKafkajsTransport,
  deleteTopicsAndGroups,
  type KafkaSecurity,
  readKafkaSecurity,
  type Transport,
} from '@scam-detector/transport';
import { type DashboardConfig, readDashboardConfig, USAGE } from './config.js';
import { type RunningDashboard, startDashboard } from './dashboard.js';
import type { ResultFeed } from './feed.js';
import { createReplayFeed } from './replay.js';
import { createTransportFeed } from './transport-feed.js';

/** Exit codes: 0 clean shutdown, 1 runtime failure, 2 invalid configuration or arguments. */
const EXIT = { ok: 0, failure: 1, config: 2 } as const;
const SHUTDOWN_DEADLINE_MS = 8000;

let config: DashboardConfig;
let security: KafkaSecurity;
try {
  const read = readDashboardConfig(process.argv.slice(2), process.env);
  if (read.help) {
    console.log(USAGE);
    process.exit(EXIT.ok);
  }
  config = read.config;
  security = readKafkaSecurity(config);
} catch (error) {
  if (error instanceof ConfigError) {
    createLogger('dashboard').fatal({ problems: error.problems }, error.message);
  } else {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
  }
  process.exit(EXIT.config);
}

const logger = createLogger('dashboard', config.LOG_LEVEL);
const replaying = config.REPLAY_FILE !== '';

let transport: Transport | undefined;
let feed: ResultFeed;
if (replaying) {
  feed = createReplayFeed({
    path: config.REPLAY_FILE,
    speed: config.REPLAY_SPEED,
    loop: config.REPLAY_LOOP,
    onError: (error) => logger.error({ err: error, file: config.REPLAY_FILE }, 'cannot replay the recording'),
  });
} else {
  transport = createKafkajsTransport({
    brokers: config.KAFKA_BROKERS,
    clientId: 'scam-detector-dashboard',
    logger,
    security,
  });
  feed = createTransportFeed(transport, {
    outputTopic: config.OUTPUT_TOPIC,
    dlqTopic: config.DLQ_TOPIC,
    verdictsTopic: config.CALLER_VERDICTS_TOPIC,
    fromBeginning: config.DASHBOARD_FROM_BEGINNING,
    logger,
  });
}

let dashboard: RunningDashboard;
try {
  dashboard = await startDashboard({
    feed,
    port: config.PORT,
    bufferSize: config.DASHBOARD_BUFFER_SIZE,
    pushIntervalMs: config.DASHBOARD_PUSH_INTERVAL_MS,
    maxStreams: config.DASHBOARD_MAX_STREAMS,
    modelPath: config.MODEL_PATH,
    logger,
    ...(replaying
      ? {}
      : {
          groupLag: async () =>
            [
              ...(await consumerGroupLag(
                config.KAFKA_BROKERS,
                config.CONSUMER_GROUP,
                config.INPUT_TOPIC,
                security,
              )),
            ].map(([partition, { lag, endOffset }]) => ({
              group: config.CONSUMER_GROUP,
              topic: config.INPUT_TOPIC,
              partition,
              lag,
              endOffset,
            })),
        }),
  });
} catch (error) {
  logger.fatal({ err: error, port: config.PORT }, 'cannot start');
  process.exit(EXIT.failure);
}
logger.info(
  replaying
    ? { port: dashboard.port, replay: config.REPLAY_FILE, speed: config.REPLAY_SPEED }
    : {
        port: dashboard.port,
        brokers: config.KAFKA_BROKERS,
        topics: [config.OUTPUT_TOPIC, config.DLQ_TOPIC, config.CALLER_VERDICTS_TOPIC],
      },
  // It listens on every address (a pod's, a port-forward's), not only localhost: say so, and the port.
  `dashboard listening on port ${dashboard.port} (all addresses)`,
);

let shuttingDown = false;
async function shutdown(reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ reason }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error({ deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed');
    process.exit(EXIT.failure);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  let code: number = EXIT.ok;
  try {
    await dashboard.close();
    await transport?.close();
  } catch (error) {
    logger.error({ err: error }, 'error during shutdown');
    code = EXIT.failure;
  }
  if (transport && feed.group && dashboard.store.wasLive) {
    // The groups were this instance's alone; remove them rather than leave them to expire (best effort, briefly).
    const groups = [feed.group, ...(feed.verdicts ? [feed.verdicts.group] : [])];
    await Promise.race([
      deleteTopicsAndGroups(config.KAFKA_BROKERS, [], groups, security).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }
  logger.info('stopped');
  process.exit(code);
}
// `on`, not `once`: a second signal (Ctrl-C under npm arrives twice) must not kill a shutdown in progress.
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
