import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@scam-detector/core';
import { createApp } from './app.js';
import type { ResultFeed } from './feed.js';
import { createDashboardMetrics } from './metrics.js';
import { createModelInfo } from './model-info.js';
import { ResultStore } from './store.js';
import { StreamHub } from './stream-hub.js';

export interface DashboardServerOptions {
  feed: ResultFeed;
  port: number;
  /** Model file shown on /api/model; without it the page shows what results say. */
  modelPath?: string;
  bufferSize?: number;
  pushIntervalMs?: number;
  maxStreams?: number;
  logger: Logger;
}

export interface DashboardServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  /** Stops the streams, the HTTP server and the feed. */
  stop(): Promise<void>;
}

/**
 * The dashboard wired and listening: feed → store (ring buffer, aggregates) → SSE hub and JSON API. Used by
 * the dashboard's own main and by the one-process demo.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { feed, logger } = options;
  const metrics = createDashboardMetrics();
  let reportedMalformed = 0;
  const store = new ResultStore({
    bufferSize: options.bufferSize ?? 1000,
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
    webRoot: fileURLToPath(new URL('../web/', import.meta.url)),
    beforeMetrics: () => metrics.streams.set(hub.clients),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const subscription = await feed.subscribe(store);
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      hub.close();
      server.closeAllConnections();
      const closed = new Promise((resolve) => server.close(resolve));
      await subscription.stop();
      await closed;
    },
  };
}
