import { CoreV1Api, type KubeConfig, type V1ConfigMap, Watch } from '@kubernetes/client-node';

export interface ConfigMapWatchHandlers {
  /** The ConfigMap as it now is; null when it does not exist (yet, or any more). */
  changed(configMap: V1ConfigMap | null): void;
  /** The watch failed; it re-lists and watches again by itself after a pause. */
  failed(error: unknown, retryInMs: number): void;
}

export interface ConfigMapWatchOptions {
  namespace: string;
  name: string;
  /** First pause after a failure; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Follows one ConfigMap by name: list (field selector on the name, which the RBAC of a single resourceName
 * allows), then watch from the list's resourceVersion. Any failure — a dropped connection, 410 Gone when the
 * version is too old, a forbidden — leads to a fresh list after a backoff, so it never stops by itself.
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
    this.#options = { backoffMs: 1_000, maxBackoffMs: 30_000, ...options };
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
    const fieldSelector = `metadata.name=${name}`;
    try {
      const list = await this.#kc
        .makeApiClient(CoreV1Api)
        .listNamespacedConfigMap({ namespace, fieldSelector });
      handlers.changed(list.items[0] ?? null);
      let resourceVersion = list.metadata?.resourceVersion;
      this.#abort = await new Watch(this.#kc).watch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
        { fieldSelector, resourceVersion, allowWatchBookmarks: true },
        (phase, object: V1ConfigMap & { code?: number }) => {
          this.#failures = 0;
          if (phase === 'BOOKMARK') resourceVersion = object.metadata?.resourceVersion;
          else if (phase === 'ADDED' || phase === 'MODIFIED') handlers.changed(object);
          else if (phase === 'DELETED') handlers.changed(null);
          else if (phase === 'ERROR')
            this.#abort?.abort(new Error(`watch error ${object.code ?? ''}`.trim()));
        },
        (error: unknown) => this.#retry(handlers, error ?? new Error('watch closed by the server')),
      );
    } catch (error) {
      this.#retry(handlers, error);
    }
  }

  #retry(handlers: ConfigMapWatchHandlers, error: unknown): void {
    if (this.#closed) return;
    const { backoffMs, maxBackoffMs } = this.#options;
    // A server closing an idle watch is routine: re-list at once the first time.
    const delay = this.#failures === 0 ? 0 : Math.min(backoffMs * 2 ** (this.#failures - 1), maxBackoffMs);
    this.#failures++;
    handlers.failed(error, delay);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#listAndWatch(handlers).catch((e: unknown) => handlers.failed(e, delay));
    }, delay);
  }
}
