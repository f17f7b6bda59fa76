import { setTimeout as sleep } from 'node:timers/promises';

/** Why a transport cannot be used yet: no broker answers, or topics do not exist (yet). */
export type UnavailableCode = 'BROKER_UNREACHABLE' | 'TOPICS_MISSING';

/** Thrown by `Transport.checkTopics`; `message` is a sentence fit for a log line and /readyz. */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
  constructor(
    readonly code: UnavailableCode,
    message: string,
    /** For TOPICS_MISSING: the topics that are missing or have no leader yet. */
    readonly topics: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface UntilAvailableOptions {
  /** Aborting stops the waiting: `untilAvailable` then resolves `undefined`. */
  signal?: AbortSignal;
  /** Called after every failed attempt, before the back-off; `delayMs` is the wait until the next one. */
  onRetry?(error: Error, attempt: number, delayMs: number): void;
  /** First back-off, doubled after each failure up to `maxDelayMs` (with ±20 % jitter). Default 500 ms. */
  initialDelayMs?: number;
  /** Default 5000 ms. */
  maxDelayMs?: number;
  /** Which failures are worth waiting out (default: every one); any other is rethrown at once. */
  retryIf?(error: Error): boolean;
}

/**
 * Runs `attempt` until it succeeds, backing off between failures: how a service waits for a broker that is
 * not up yet or for topics that are not created yet, and goes on by itself when they appear. Every error is
 * retried unless `retryIf` says otherwise (a broker can answer "no such topic" for a moment after creating one);
 * `onRetry` reports each one.
 * Resolves `undefined` when `signal` aborts first.
 */
export async function untilAvailable<T>(
  attempt: () => Promise<T>,
  options: UntilAvailableOptions = {},
): Promise<T | undefined> {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 5000;
  for (let n = 1; ; n++) {
    if (options.signal?.aborted) return undefined;
    try {
      return await attempt();
    } catch (error) {
      if (options.signal?.aborted) return undefined;
      if (options.retryIf && !options.retryIf(error instanceof Error ? error : new Error(String(error))))
        throw error;
      const base = Math.min(max, initial * 2 ** Math.min(n - 1, 30));
      const delayMs = Math.round(base * (0.8 + 0.4 * Math.random()));
      options.onRetry?.(error instanceof Error ? error : new Error(String(error)), n, delayMs);
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

/** A short reason for readiness and logs: the unavailable error's sentence, or the error's message. */
export function unavailableReason(error: Error): string {
  return error instanceof TransportUnavailableError
    ? error.message
    : `cannot consume or produce yet: ${error.message}`;
}
