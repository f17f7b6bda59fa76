import { type ConfigOf, KAFKA_SECURITY_SETTINGS, pickSettings, readConfig } from '@scam-detector/core';

export const PRODUCER_SETTINGS = pickSettings([
  'LOG_LEVEL',
  'KAFKA_BROKERS',
  ...KAFKA_SECURITY_SETTINGS,
  'INPUT_TOPIC',
  'KAFKA_MAX_REQUEST_BYTES',
  'HTTP_PORT',
  'SHUTDOWN_TIMEOUT_MS',
  'PRODUCER_RATE',
  'PRODUCER_COUNT',
  'PRODUCER_PROFILE',
  'PRODUCER_SPEEDUP',
  'PRODUCER_WORLD_START',
  'PRODUCER_SEED',
  'PRODUCER_CALLERS',
]);

export type ProducerConfig = ConfigOf<typeof PRODUCER_SETTINGS>;

export function readProducerConfig(env: Record<string, string | undefined> = process.env): ProducerConfig {
  return readConfig(PRODUCER_SETTINGS, 'producer', env);
}
