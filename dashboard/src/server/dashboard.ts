import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@scam-detector/core';
import { createApp } from './app.js';
import type { FeedSubscription, ResultFeed } from './feed.js';
import { createDashboardMetrics, type GroupLag } from './metrics.js';
import { createModelInfo } from './model-info.js';
import { ResultStore } from './store.js';
import { StreamHub } from './stream-hub.js';

export interface DashboardOptions {
  /** Where results come from: createTransportFeed (Kafka, or the in-process transport) or createReplayFeed. */
  feed: ResultFeed;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  bufferSize?: number;
  pushIntervalMs?: number;
  maxStreams?: number;
  /** Model file whose metadata /api/model shows, when readable. */
  modelPath?: string;
  logger: Logger;
  /** The built page; defaults to dist/web beside this file. */
  webRoot?: string;
  /** Reads the processors' consumer group lag from the broker for /metrics (dashboard_consumer_group_lag). */
  groupLag?: () => Promise<readonly GroupLag[]>;
}

export interface RunningDashboard {
  url: string;
  port: number;
  store: ResultStore;
  /** Ends the streams, stops the feed, closes the server. Idempotent. */
  close(): Promise<void>;
}

const MAX_LOGGED_MALFORMED = 20;

/**
 * The whole dashboard in-process: store, stream hub, metrics, HTTP server, and the feed subscribed to the
 * store. main.ts wires it to Kafka or a recording; the one-command demo can wire it to its in-process
 * transport. The server listens before the feed starts, so the page is up even while the broker is not.
 */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { feed, logger } = options;
  // A broker that cannot be read is logged once, and again only after a read has worked in between.
  let lagFailing = false;
  const groupLag = options.groupLag;
  const metrics = createDashboardMetrics({
    ...(groupLag
      ? {
          groupLag: async () => {
            const rows = await groupLag();
            lagFailing = false;
            return rows;
          },
        }
      : {}),
    onLagError: (error) => {
      if (!lagFailing)
        logger.warn({ err: error }, 'cannot read the consumer group lag (no lag series until it can)');
      lagFailing = true;
    },
  });
  let loggedMalformed = 0;
  let loggedMalformedVerdict = false;
  const store = new ResultStore({
    bufferSize: options.bufferSize ?? 1000,
    mode: feed.mode,
    ...(feed.replay ? { replay: feed.replay } : {}),
    ...(feed.verdicts ? { verdicts: { topic: feed.verdicts.topic } } : {}),
    onBeyondWindow: () => metrics.dedupBeyondWindow.inc(),
    onVerdict: (kind, reason) => {
      metrics.verdicts.inc({ kind });
      if (kind === 'malformed' && !loggedMalformedVerdict) {
        // Logged once: a producer writing garbage would otherwise flood the log; the counter keeps counting.
        loggedMalformedVerdict = true;
        logger.warn(
          { reason, topic: feed.verdicts?.topic },
          'malformed caller verdict skipped (further ones are only counted: dashboard_verdicts_total{kind="malformed"})',
        );
      }
    },
    onLiveResult: (record, seenMs) => {
      const tsMs = record.call.ts * 1000;
      metrics.latency.observe({ stage: 'pipeline' }, Math.max(0, record.processed_ts - record.call.ts));
      metrics.latency.observe({ stage: 'end_to_end' }, Math.max(0, (seenMs - tsMs) / 1000));
    },
    onCount: (kind, detail) => {
      metrics.events.inc({ kind });
      if (kind === 'malformed' && loggedMalformed++ < MAX_LOGGED_MALFORMED) {
        logger.warn(
          {
            reason: detail?.reason,
            line: detail?.line,
            more_silenced: loggedMalformed === MAX_LOGGED_MALFORMED,
          },
          'malformed result skipped',
        );
      }
    },
  });
  const hub = new StreamHub(store, {
    intervalMs: options.pushIntervalMs ?? 100,
    maxStreams: options.maxStreams ?? 100,
    onDrop: (reason) => metrics.streamDrops.inc({ reason }),
    onSkip: () => metrics.skippedUpdates.inc(),
  });
  const app = createApp({
    store,
    hub,
    registry: metrics.registry,
    modelInfo: createModelInfo(options.modelPath, store),
    webRoot: options.webRoot ?? fileURLToPath(new URL('../web/', import.meta.url)),
    beforeMetrics: () => {
      metrics.streams.set(hub.clients);
      metrics.flaggedCallers.set(store.flagged.size);
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const done = (error?: Error): void => (error ? reject(error) : resolve(listening));
    const listening = options.host
      ? app.listen(options.port, options.host, done)
      : app.listen(options.port, done);
  });
  const port = (server.address() as AddressInfo).port;
  let subscription: FeedSubscription;
  try {
    subscription = await feed.subscribe(store);
  } catch (error) {
    server.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://localhost:${port}`,
    port,
    store,
    close() {
      closing ??= (async () => {
        hub.close();
        server.closeAllConnections();
        const closed = new Promise((resolve) => server.close(resolve));
        await subscription.stop();
        await closed;
      })();
      return closing;
    },
  };
}
