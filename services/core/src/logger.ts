import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON logs to stdout, one line each, level from LOG_LEVEL; errors are printed whole (code, cause).
 *
 * Written synchronously (as Node itself writes to a pipe on Linux): pino's default asynchronous stdout
 * registers an exit handler that flushes what is buffered with a loop that retries every write error, so a
 * process whose stdout reader has gone (piped into `head`, a dead log shipper) spun forever in that loop on
 * SIGTERM instead of exiting. Synchronously, a broken pipe is seen at the write itself: pino stops logging
 * and the process exits on time.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 1, sync: true }),
  );
}
