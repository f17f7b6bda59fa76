import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs to stdout, one line each, level from LOG_LEVEL; errors are printed whole (code, cause). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
