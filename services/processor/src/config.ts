import { type ConfigOf, KAFKA_SECURITY_SETTINGS, pickSettings, readConfig } from '@scam-detector/core';

/** Every environment variable the processor reads; the declarations live in core's settings.ts. */
export const PROCESSOR_SETTINGS = pickSettings([
  'LOG_LEVEL',
  'KAFKA_BROKERS',
  ...KAFKA_SECURITY_SETTINGS,
  'INPUT_TOPIC',
  'OUTPUT_TOPIC',
  'DLQ_TOPIC',
  'CALLER_VERDICTS_TOPIC',
  'CONSUMER_GROUP',
  'MODEL_SOURCE',
  'MODEL_PATH',
  'MODEL_CONFIGMAP',
  'KUBE_NAMESPACE',
  'HTTP_PORT',
  'KAFKA_SESSION_TIMEOUT_MS',
  'KAFKA_MAX_REQUEST_BYTES',
  'KAFKA_COMMIT_INTERVAL_MS',
  'BATCH_MAX_RECORDS',
  'PROCESSOR_CONCURRENCY',
  'MODEL_RELOAD_DEBOUNCE_MS',
  'CALLER_STATE',
  'CHANGELOG_TOPIC',
  'STATE_DIR',
  'STATE_HOT_SET_SIZE',
  'SHUTDOWN_TIMEOUT_MS',
]);

export type ProcessorConfig = ConfigOf<typeof PROCESSOR_SETTINGS>;

/** Reads and validates the processor's configuration; throws a ConfigError naming every bad variable. */
export function readProcessorConfig(env: Record<string, string | undefined> = process.env): ProcessorConfig {
  return readConfig(PROCESSOR_SETTINGS, 'processor', env);
}
