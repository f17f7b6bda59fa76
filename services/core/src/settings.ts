import { parsers, type Setting } from './config.js';
import { DEFAULT_TOPICS } from './contract.js';

/**
 * The one declaration of every environment variable the services read. Each service picks its share with
 * `settingsFor(service)`; the README's configuration table and the Helm chart's env are tested against this.
 */
export const SETTINGS = {
  LOG_LEVEL: {
    doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    default: 'info',
    services: ['trainer', 'producer', 'processor', 'dashboard'],
    parse: parsers.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
  KAFKA_BROKERS: {
    doc: 'Kafka bootstrap servers, comma-separated host:port.',
    default: 'localhost:9092',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.brokers,
  },
  INPUT_TOPIC: {
    doc: 'Topic the producer writes call events to and the processor reads.',
    default: DEFAULT_TOPICS.raw,
    services: ['producer', 'processor'],
    parse: parsers.topic,
  },
  OUTPUT_TOPIC: {
    doc: 'Topic of scored results.',
    default: DEFAULT_TOPICS.scored,
    services: ['processor', 'dashboard'],
    parse: parsers.topic,
  },
  DLQ_TOPIC: {
    doc: 'Dead-letter topic: inputs that cannot be scored, unchanged, with the reason in headers.',
    default: DEFAULT_TOPICS.dlq,
    services: ['processor', 'dashboard'],
    parse: parsers.topic,
  },
  CONSUMER_GROUP: {
    doc: 'Consumer group shared by all processor replicas.',
    default: 'processor_group',
    services: ['processor'],
    parse: parsers.string,
  },
  MODEL_PATH: {
    doc: 'Model file the processor loads at start and watches for replacements.',
    default: 'models/model.json',
    services: ['processor'],
    parse: parsers.string,
  },
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;

/** The declarations a service reads, typed, e.g. `readConfig(pickSettings(['KAFKA_BROKERS']), 'processor')`. */
export function pickSettings<const N extends SettingName>(names: readonly N[]): Pick<typeof SETTINGS, N> {
  const picked = {} as Pick<typeof SETTINGS, N>;
  for (const name of names) picked[name] = SETTINGS[name];
  return picked;
}
