import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { SnapshotMessage, UpdateMessage } from '../shared/wire.js';
import type { ResultStore } from './store.js';

export interface StreamHubOptions {
  /** Time between pushes; 100 ms or more, so at most 10 updates/s per client. */
  intervalMs: number;
  maxStreams: number;
  /** Most results in one update; when more arrived, the newest are sent and the rest counted as skipped. */
  maxEventsPerUpdate?: number;
  /** A client whose socket has not drained for this long is disconnected. */
  slowClientTimeoutMs?: number;
  /** With nothing new, still push this often (keeps counters and the connection state fresh). */
  idleIntervalMs?: number;
  onDrop?: (reason: 'slow' | 'full') => void;
  onSkip?: () => void;
}

interface Client {
  res: Response;
  lastSeq: number;
  lastSentMs: number;
  /** Since when the socket's buffer has been full (0 = it is not). */
  congestedSinceMs: number;
  /** It missed a change of the flagged-callers panel (skipped while congested): its next update carries every
   *  row instead of a delta. */
  needsFullPanel: boolean;
}

/**
 * Pushes the store to browsers over Server-Sent Events. A new stream gets a snapshot at once (the buffer and
 * the aggregates), then at most one update per interval with what arrived since its last one. Each message is
 * built once per tick for all clients at the same point. A client whose socket is still full at a tick is
 * skipped (sampled: its next update carries the newest results and the current aggregates); one that stays
 * full past the timeout is disconnected. Either way at most one message waits per client, so a slow page
 * never grows server memory. The flagged-callers panel travels the same way: whole in the snapshot, then its
 * changes since the last tick in each update (every row instead, for a page that was skipped while it changed).
 */
export class StreamHub {
  readonly instance = randomBytes(6).toString('hex');
  readonly #clients = new Set<Client>();
  readonly #store: ResultStore;
  readonly #options: Required<Omit<StreamHubOptions, 'onDrop' | 'onSkip'>> & StreamHubOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: ResultStore, options: StreamHubOptions) {
    if (options.intervalMs < 100) throw new RangeError('intervalMs must be at least 100 (10 updates/s)');
    this.#store = store;
    this.#options = {
      maxEventsPerUpdate: 250,
      slowClientTimeoutMs: 15_000,
      idleIntervalMs: 1000,
      ...options,
    };
  }

  get clients(): number {
    return this.#clients.size;
  }

  snapshot(): SnapshotMessage {
    return {
      instance: this.instance,
      events: this.#store.buffer.toArray(),
      stats: this.#store.stats(),
      series: this.#store.series(),
      buffer_size: this.#store.buffer.capacity,
      flagged: this.#store.flaggedPanel(),
    };
  }

  /** Serves one SSE stream (GET handler). */
  handle(req: Request, res: Response): void {
    if (this.#clients.size >= this.#options.maxStreams) {
      this.#options.onDrop?.('full');
      res.status(503).set('Retry-After', '5').json({ error: 'too many open streams' });
      return;
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    // Panel changes made while nobody was connected are in this snapshot already: no delta is owed for them.
    if (this.#clients.size === 0) this.#store.flagged.takeDelta();
    const snapshot = this.snapshot();
    const client: Client = {
      res,
      lastSeq: snapshot.events.at(-1)?.seq ?? this.#store.lastSeq,
      lastSentMs: Date.now(),
      congestedSinceMs: 0,
      needsFullPanel: false,
    };
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    this.#clients.add(client);
    const remove = (): void => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stopTimer();
    };
    res.on('close', remove);
    res.on('error', remove);
    this.#startTimer();
  }

  #startTimer(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#options.intervalMs);
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One push round; the timer calls it, tests may too. */
  tick(nowMs = Date.now()): void {
    if (this.#clients.size === 0) return;
    const lastSeq = this.#store.lastSeq;
    // The flagged-callers panel's changes since the last tick, taken once for every page: each page gets them as
    // a delta, or, if it missed one, every row.
    const delta = this.#store.flagged.takeDelta();
    const panelChanged = delta !== undefined;
    let shared: { stats: string; series: string; flagged: string } | undefined;
    let deltaJson: string | undefined;
    let fullJson: string | undefined;
    const built = new Map<string, string>();
    for (const client of this.#clients) {
      if (client.res.writableNeedDrain) {
        if (panelChanged) client.needsFullPanel = true;
        client.congestedSinceMs ||= nowMs;
        if (nowMs - client.congestedSinceMs >= this.#options.slowClientTimeoutMs) {
          this.#options.onDrop?.('slow');
          this.#clients.delete(client);
          client.res.destroy();
        } else {
          this.#options.onSkip?.();
        }
        continue;
      }
      client.congestedSinceMs = 0;
      const fresh = lastSeq > client.lastSeq || panelChanged || client.needsFullPanel;
      if (!fresh && nowMs - client.lastSentMs < this.#options.idleIntervalMs) continue;
      const full = delta === 'full' || client.needsFullPanel;
      const key = `${client.lastSeq}/${full ? 'full' : 'delta'}`;
      let message = built.get(key);
      if (message === undefined) {
        shared ??= {
          stats: JSON.stringify(this.#store.stats()),
          series: JSON.stringify(this.#store.series()),
          flagged: JSON.stringify(this.#store.flagged.status()),
        };
        const events = this.#store.since(client.lastSeq, this.#options.maxEventsPerUpdate);
        const first = events[0]?.seq ?? lastSeq + 1;
        const skipped = Math.max(0, first - client.lastSeq - 1);
        let rows = '';
        if (full) {
          fullJson ??= JSON.stringify(this.#store.flagged.list());
          rows = `,"flagged_callers":${fullJson}`;
        } else if (delta !== undefined) {
          deltaJson ??= JSON.stringify(delta);
          rows = `,"flagged_delta":${deltaJson}`;
        }
        // Spliced by hand so the shared parts are stringified once per tick, not once per client.
        message = `event: update\ndata: {"instance":"${this.instance}","sent_ms":${nowMs},"events":${JSON.stringify(events)},"skipped":${skipped},"stats":${shared.stats},"series":${shared.series},"flagged":${shared.flagged}${rows}}\n\n`;
        built.set(key, message);
      }
      client.lastSeq = lastSeq;
      client.lastSentMs = nowMs;
      client.needsFullPanel = false;
      client.res.write(message);
    }
    if (this.#clients.size === 0) this.#stopTimer();
  }

  /** Ends every stream (shutdown). */
  close(): void {
    this.#stopTimer();
    for (const client of this.#clients) client.res.end();
    this.#clients.clear();
  }
}

export type { UpdateMessage };
