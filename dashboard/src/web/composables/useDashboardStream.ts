import { computed, getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue';
import type {
  FlaggedCaller,
  FlaggedStatus,
  ResultView,
  SeriesPoint,
  SnapshotMessage,
  Stats,
  UpdateMessage,
} from '../../shared/wire.js';

/** The page's side of the connection: open, reconnecting (the stream broke; it retries by itself). */
export type LinkState = 'connecting' | 'live' | 'reconnecting';

/** What the page shows as its connection state. */
export type ConnectionView = 'connecting' | 'live' | 'reconnecting' | 'no_broker' | 'replay' | 'replay_done';

export interface StreamOptions {
  url?: string;
  /** For tests: a stand-in for window.EventSource. */
  EventSourceImpl?: typeof EventSource;
  /** Most results the page keeps (the server's buffer size wins when it says). */
  capacity?: number;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * Owns the stream from the server and all live state of the page. Large collections live in shallowRefs and
 * are replaced once per message (at most 10 a second), never mutated per event. Paused, the table's results
 * stop changing while what arrives is held (up to the capacity) and merged on resume; counters and charts
 * keep moving. The connection is closed when the owning scope is disposed.
 */
export function useDashboardStream(options: StreamOptions = {}) {
  const url = options.url ?? '/api/stream';
  const EventSourceImpl = options.EventSourceImpl ?? globalThis.EventSource;
  let capacity = options.capacity ?? 1000;

  const link = ref<LinkState>('connecting');
  /** Newest first. */
  const events = shallowRef<ResultView[]>([]);
  const held = shallowRef<ResultView[]>([]);
  const paused = ref(false);
  const stats = shallowRef<Stats | null>(null);
  const series = shallowRef<SeriesPoint[]>([]);
  /** Results the server did not send this page (it pushes at most a few hundred per update). */
  const skipped = ref(0);
  const reconnects = ref(0);
  /** The flagged-callers panel: its state, and its rows, the most recently first flagged first. */
  const flaggedStatus = shallowRef<FlaggedStatus | null>(null);
  const flagged = shallowRef<FlaggedCaller[]>([]);
  /** The panel's rows by caller, where deltas are applied; `flagged` is rebuilt from it once per message. */
  const flaggedByCaller = new Map<string, FlaggedCaller>();

  let instance: string | undefined;
  let lastSeq = 0;
  let source: EventSource | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let backoffMs = 1000;
  let disposed = false;

  /** Adds results (oldest first) newer than what the page has, newest first, keeping at most `capacity`. */
  function take(incoming: readonly ResultView[]): void {
    const fresh: ResultView[] = [];
    for (let i = incoming.length - 1; i >= 0; i--) {
      const view = incoming[i] as ResultView;
      if (view.seq > lastSeq) fresh.push(view);
    }
    if (fresh.length === 0) return;
    lastSeq = (fresh[0] as ResultView).seq;
    if (paused.value) held.value = fresh.concat(held.value).slice(0, capacity);
    else events.value = fresh.concat(events.value).slice(0, capacity);
  }

  function setFlagged(rows: readonly FlaggedCaller[]): void {
    flaggedByCaller.clear();
    for (const row of rows) flaggedByCaller.set(row.caller, row);
  }

  function publishFlagged(): void {
    flagged.value = [...flaggedByCaller.values()].sort(
      (a, b) => b.first_flagged_ts - a.first_flagged_ts || (a.caller < b.caller ? -1 : 1),
    );
  }

  function onSnapshot(message: SnapshotMessage): void {
    capacity = message.buffer_size || capacity;
    if (message.instance !== instance) {
      // A new server (or the first connection): start over from its buffer.
      instance = message.instance;
      lastSeq = 0;
      events.value = [];
      held.value = [];
    }
    take(message.events);
    stats.value = message.stats;
    series.value = message.series;
    // Every snapshot carries the whole panel: it replaces what the page had.
    const { callers, ...status } = message.flagged;
    flaggedStatus.value = status;
    setFlagged(callers);
    publishFlagged();
    link.value = 'live';
    backoffMs = 1000;
  }

  function onUpdate(message: UpdateMessage): void {
    if (message.instance !== instance) return; // from a stream being replaced
    take(message.events);
    skipped.value += message.skipped;
    stats.value = message.stats;
    flaggedStatus.value = message.flagged;
    if (message.flagged_callers) {
      setFlagged(message.flagged_callers);
      publishFlagged();
    } else if (message.flagged_delta) {
      for (const caller of message.flagged_delta.remove) flaggedByCaller.delete(caller);
      for (const row of message.flagged_delta.upsert) flaggedByCaller.set(row.caller, row);
      publishFlagged();
    }
    // The series is one point per second: redraw the charts when a second completes, not ten times in it.
    if (message.series.at(-1)?.t !== series.value.at(-1)?.t) series.value = message.series;
  }

  function connect(): void {
    if (disposed) return;
    const current = new EventSourceImpl(url);
    source = current;
    current.addEventListener('snapshot', (event) => {
      onSnapshot(JSON.parse((event as MessageEvent<string>).data) as SnapshotMessage);
    });
    current.addEventListener('update', (event) => {
      onUpdate(JSON.parse((event as MessageEvent<string>).data) as UpdateMessage);
    });
    current.addEventListener('error', () => {
      if (source !== current) return;
      link.value = 'reconnecting';
      // A broken stream reconnects by itself; a refused one (server down, HTTP 503) is closed: retry here.
      if (current.readyState === EventSourceImpl.CLOSED) {
        current.close();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => {
          reconnects.value++;
          connect();
        }, backoffMs);
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
      }
    });
  }

  function pause(): void {
    paused.value = true;
  }

  function resume(): void {
    if (held.value.length > 0) events.value = held.value.concat(events.value).slice(0, capacity);
    held.value = [];
    paused.value = false;
  }

  function close(): void {
    disposed = true;
    clearTimeout(retryTimer);
    source?.close();
    source = undefined;
  }

  const connection = computed<ConnectionView>(() => {
    if (link.value !== 'live') return link.value;
    const state = stats.value?.source.state;
    if (state === 'no_broker') return 'no_broker';
    if (state === 'connecting') return 'connecting';
    if (state === 'replaying') return 'replay';
    if (state === 'replay_done') return 'replay_done';
    return 'live';
  });

  connect();
  if (getCurrentScope()) onScopeDispose(close);

  return {
    link,
    connection,
    events,
    held,
    paused,
    stats,
    series,
    skipped,
    reconnects,
    flagged,
    flaggedStatus,
    pause,
    resume,
    close,
  };
}

export type DashboardStream = ReturnType<typeof useDashboardStream>;
