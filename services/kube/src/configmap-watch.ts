import { CoreV1Api, type KubeConfig, type V1ConfigMap, Watch } from '@kubernetes/client-node';

export interface ConfigMapWatchHandlers {
  /** The ConfigMap as it now is; null when it does not exist (yet, or any more). */
  changed(configMap: V1ConfigMap | null): void;
  /** The watch failed; it re-lists and watches again by itself after a pause. */
  failed(error: unknown, retryInMs: number): void;
  /** A watch ended quietly (server timeout, idle connection) and was resumed at once from resourceVersion. */
  resumed?(resourceVersion: string | undefined): void;
}

export interface ConfigMapWatchOptions {
  namespace: string;
  name: string;
  /** First pause after a failure; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * How long the API server keeps one watch open (its timeoutSeconds) before ending it quietly; the watch is
   * then resumed at once from the last resourceVersion. The client's inactivity timer is set above it.
   */
  watchSeconds?: number;
}

/** A watch that ends sooner than this without an event counts as a failure (no tight reconnect loop). */
const MIN_QUIET_WATCH_MS = 1_000;

/**
 * Follows one ConfigMap by name: list (field selector on the name, which the RBAC of a single resourceName
 * allows), then watch from the list's resourceVersion. A watch that ends quietly (the server's timeout, an idle
 * connection) is routine: it is resumed at once from the last resourceVersion seen, with no warning. 410 Gone
 * (that version is too old) re-lists at once. Only errors — a refused connection, a forbidden, an error event —
 * are reported and lead to a fresh list after a backoff, so it never stops by itself.
 */
export class ConfigMapWatch {
  readonly #kc: KubeConfig;
  readonly #options: Required<ConfigMapWatchOptions>;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #failures = 0;

  constructor(kc: KubeConfig, options: ConfigMapWatchOptions) {
    this.#kc = kc;
    this.#options = { backoffMs: 1_000, maxBackoffMs: 30_000, watchSeconds: 300, ...options };
  }

  /** Resolves after the first list has been delivered (or has failed and a retry is scheduled). */
  async start(handlers: ConfigMapWatchHandlers): Promise<void> {
    await this.#listAndWatch(handlers);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  async #listAndWatch(handlers: ConfigMapWatchHandlers): Promise<void> {
    if (this.#closed) return;
    const { namespace, name } = this.#options;
    try {
      const list = await this.#kc
        .makeApiClient(CoreV1Api)
        .listNamespacedConfigMap({ namespace, fieldSelector: `metadata.name=${name}` });
      handlers.changed(list.items[0] ?? null);
      await this.#watch(handlers, list.metadata?.resourceVersion);
    } catch (error) {
      this.#retry(handlers, error);
    }
  }

  /** Watches from resourceVersion; a quiet end resumes from the last version seen, an error re-lists. */
  async #watch(handlers: ConfigMapWatchHandlers, from: string | undefined): Promise<void> {
    if (this.#closed) return;
    const { namespace, name, watchSeconds } = this.#options;
    let resourceVersion = from;
    let gone = false;
    let events = 0;
    const startedAt = Date.now();
    const watch = new Watch(this.#kc);
    // The client aborts a watch that sends nothing for requestTimeoutMs (30 s in @kubernetes/client-node 1.x;
    // a plain property, private only in its typings); the server ends its own at timeoutSeconds, so the
    // client's timer must only catch a connection that really died.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = (watchSeconds + 30) * 1_000;
    this.#abort = await watch.watch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
      {
        fieldSelector: `metadata.name=${name}`,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: watchSeconds,
      },
      (phase, object: V1ConfigMap & { code?: number }) => {
        events++;
        if (phase === 'ERROR') {
          gone = object.code === 410;
          this.#abort?.abort(new Error(`watch error ${object.code ?? ''}`.trim()));
          return;
        }
        this.#failures = 0;
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (phase === 'ADDED' || phase === 'MODIFIED') handlers.changed(object);
        else if (phase === 'DELETED') handlers.changed(null);
      },
      (error: unknown) => {
        if (this.#closed) return;
        if (gone) return this.#again(handlers, () => this.#listAndWatch(handlers));
        const quiet = error === null || error === undefined || isTimeout(error);
        if (quiet && (events > 0 || Date.now() - startedAt >= MIN_QUIET_WATCH_MS)) {
          handlers.resumed?.(resourceVersion);
          return this.#again(handlers, () => this.#watch(handlers, resourceVersion));
        }
        this.#retry(handlers, error ?? new Error('watch closed by the server at once'));
      },
    );
  }

  /** Runs next on a fresh stack, at once; an exception in it is a failure like any other. */
  #again(handlers: ConfigMapWatchHandlers, next: () => Promise<void>): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      next().catch((error: unknown) => this.#retry(handlers, error));
    }, 0);
  }

  #retry(handlers: ConfigMapWatchHandlers, error: unknown): void {
    if (this.#closed) return;
    const { backoffMs, maxBackoffMs } = this.#options;
    const delay = Math.min(backoffMs * 2 ** this.#failures, maxBackoffMs);
    this.#failures++;
    handlers.failed(error, delay);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#listAndWatch(handlers).catch((e: unknown) => handlers.failed(e, delay));
    }, delay);
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}
