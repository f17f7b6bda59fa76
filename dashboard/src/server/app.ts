import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PH_MOBILE_PATTERN } from '@scam-detector/core';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { CallerHistoryView, FlaggedPanel, ModelInfo } from '../shared/wire.js';
import { toCsv, toJsonl, toScoredRecord } from './results.js';
import type { ResultStore } from './store.js';
import type { StreamHub } from './stream-hub.js';

export interface AppDeps {
  store: ResultStore;
  hub: StreamHub;
  registry: Registry;
  modelInfo: () => Promise<ModelInfo>;
  /** The built page (dist/web); without it only the API is served. */
  webRoot?: string;
  /** Called to refresh gauges before /metrics is scraped. */
  beforeMetrics?: () => void;
}

/** The page's Content-Security-Policy: everything from this origin only, no inline script, no eval. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/**
 * The dashboard's HTTP surface; a factory that never listens (tests drive it in-process, main.ts listens).
 * Read-only: every route is GET. No CORS headers are sent, so other origins cannot read the API.
 */
export function createApp(deps: AppDeps): Express {
  const { store, hub } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
      strictTransportSecurity: false, // served over plain HTTP inside the cluster; TLS ends at the ingress
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready = the results are read (or replayed). The caller verdicts are reported but do not gate readiness: a
  // dashboard whose verdicts topic does not exist yet (processors older than it, a topic still being created)
  // still shows every result, so it should keep serving; the panel says what it waits for.
  app.get('/readyz', (_req, res) => {
    const state = store.sourceState;
    const ready = state === 'live' || state === 'replaying' || state === 'replay_done';
    const reason = store.sourceReason;
    const flagged = store.flagged.status();
    res.status(ready ? 200 : 503).json({
      ready,
      source: { mode: store.mode, state, ...(!ready && reason ? { reason } : {}) },
      verdicts: {
        state: flagged.state,
        loaded: flagged.loaded,
        ...(flagged.state !== 'live' && flagged.reason ? { reason: flagged.reason } : {}),
      },
    });
  });
  app.get('/metrics', async (_req, res) => {
    deps.beforeMetrics?.();
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });

  app.get('/api/stats', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(store.stats());
  });
  app.get('/api/recent', (req, res) => {
    const limit = Math.min(
      store.buffer.capacity,
      Math.max(1, Number(req.query.limit) || store.buffer.capacity),
    );
    res.set('Cache-Control', 'no-store').json(store.since(0, limit));
  });
  app.get('/api/model', async (_req, res, next) => {
    try {
      res.set('Cache-Control', 'no-store').json(await deps.modelInfo());
    } catch (error) {
      next(error);
    }
  });
  app.get('/api/caller/:number', (req, res) => {
    const caller = req.params.number;
    res.set('Cache-Control', 'no-store');
    if (!PH_MOBILE_PATTERN.test(caller)) {
      res.status(400).json({ error: 'a caller is a PH mobile number: "09" and 9 digits' });
      return;
    }
    const calls = store.callers.get(caller);
    if (!calls) {
      res.status(404).json({ error: 'no recent calls from this number on this dashboard' });
      return;
    }
    const view: CallerHistoryView = { caller, calls, limit: store.callers.callsPerCaller };
    res.json(view);
  });
  app.get('/api/flagged', (_req, res) => {
    const panel: FlaggedPanel = store.flaggedPanel();
    res.set('Cache-Control', 'no-store').json(panel);
  });
  app.get('/api/stream', (req, res) => hub.handle(req, res));
  app.get('/api/export', (req, res) => {
    const format = req.query.format === 'csv' ? 'csv' : req.query.format === 'jsonl' ? 'jsonl' : undefined;
    if (!format) {
      res.status(400).json({ error: 'format must be csv or jsonl' });
      return;
    }
    const records = store.buffer.toArray().map(toScoredRecord);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res
      .status(200)
      .set({
        'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'Content-Disposition': `attachment; filename="scam-results-${stamp}.${format}"`,
        'Cache-Control': 'no-store',
      })
      .send(format === 'csv' ? toCsv(records) : toJsonl(records));
  });
  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  if (deps.webRoot && existsSync(join(deps.webRoot, 'index.html'))) {
    const root = deps.webRoot;
    app.use(
      '/assets',
      express.static(join(root, 'assets'), {
        immutable: true,
        maxAge: '1y',
        index: false,
        fallthrough: false,
      }),
    );
    app.use(express.static(root, { index: 'index.html', maxAge: 0 }));
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('The page is not built: run `npm run build` at the repository root.\n');
    });
  }
  return app;
}
