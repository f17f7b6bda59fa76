#!/usr/bin/env node
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConfigError, createLogger } from '@scam-detector/core';
import { createKafkajsTransport, deleteTopicsAndGroups, type Transport } from '@scam-detector/transport';
import { createApp } from './app.js';
import { type DashboardConfig, readDashboardConfig, USAGE } from './config.js';
import type { FeedSubscription, ResultFeed } from './feed.js';
import { createDashboardMetrics } from './metrics.js';
import { createModelInfo } from './model-info.js';
import { createReplayFeed } from './replay.js';
import { ResultStore } from './store.js';
import { StreamHub } from './stream-hub.js';
import { createTransportFeed } from './transport-feed.js';

/** Exit codes: 0 clean shutdown, 1 runtime failure, 2 invalid configuration or arguments. */
const EXIT = { ok: 0, failure: 1, config: 2 } as const;
const SHUTDOWN_DEADLINE_MS = 8000;

let config: DashboardConfig;
try {
  const read = readDashboardConfig(process.argv.slice(2), process.env);
  if (read.help) {
    console.log(USAGE);
    process.exit(EXIT.ok);
  }
  config = read.config;
} catch (error) {
  if (error instanceof ConfigError) {
    createLogger('dashboard').fatal({ problems: error.problems }, error.message);
  } else {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
  }
  process.exit(EXIT.config);
}

const logger = createLogger('dashboard', config.LOG_LEVEL);
const metrics = createDashboardMetrics();
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
  });
  feed = createTransportFeed(transport, {
    outputTopic: config.OUTPUT_TOPIC,
    dlqTopic: config.DLQ_TOPIC,
    fromBeginning: config.DASHBOARD_FROM_BEGINNING,
    logger,
  });
}

let reportedMalformed = 0;
const store = new ResultStore({
  bufferSize: config.DASHBOARD_BUFFER_SIZE,
  mode: feed.mode,
  ...(feed.replay ? { replay: feed.replay } : {}),
  onCount: (kind) => {
    metrics.events.inc({ kind });
    if (kind === 'malformed' && reportedMalformed++ < 20) {
      const replay = store.stats().source.replay;
      logger.warn({ error: replay?.errors.at(-1) }, 'malformed result skipped');
    }
  },
});
const hub = new StreamHub(store, {
  intervalMs: config.DASHBOARD_PUSH_INTERVAL_MS,
  maxStreams: config.DASHBOARD_MAX_STREAMS,
  onDrop: (reason) => metrics.streamDrops.inc({ reason }),
  onSkip: () => metrics.skippedUpdates.inc(),
});
const app = createApp({
  store,
  hub,
  registry: metrics.registry,
  modelInfo: createModelInfo(config.MODEL_PATH, store),
  webRoot: fileURLToPath(new URL('../web/', import.meta.url)),
  beforeMetrics: () => metrics.streams.set(hub.clients),
});

const server = await new Promise<Server>((resolve, reject) => {
  const listening = app.listen(config.PORT, (error?: Error) => (error ? reject(error) : resolve(listening)));
}).catch((error: Error): never => {
  logger.fatal({ err: error, port: config.PORT }, 'cannot listen');
  process.exit(EXIT.failure);
});
const port = (server.address() as AddressInfo).port;
logger.info(
  replaying
    ? { port, replay: config.REPLAY_FILE, speed: config.REPLAY_SPEED }
    : { port, brokers: config.KAFKA_BROKERS, topics: [config.OUTPUT_TOPIC, config.DLQ_TOPIC] },
  `dashboard on http://localhost:${port}`,
);

const subscription: FeedSubscription = await feed.subscribe(store);

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
    hub.close();
    server.closeAllConnections();
    const closed = new Promise((resolve) => server.close(resolve));
    await subscription.stop();
    await transport?.close();
    await closed;
  } catch (error) {
    logger.error({ err: error }, 'error during shutdown');
    code = EXIT.failure;
  }
  if (transport && feed.group && store.wasLive) {
    // The group was this instance's alone; remove it rather than leave it to expire (best effort, briefly).
    await Promise.race([
      deleteTopicsAndGroups(config.KAFKA_BROKERS, [], [feed.group]).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }
  logger.info('stopped');
  process.exit(code);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
