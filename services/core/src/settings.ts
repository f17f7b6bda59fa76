import { parsers, type Setting } from './config.js';
import { DEFAULT_TOPICS, DEFAULT_VERDICTS_TOPIC } from './contract.js';
import { parseWorldStart } from './world.js';

/**
 * The one declaration of every environment variable the services read. Each service picks its share with
 * `settingsFor(service)`; the configuration table (docs/configuration.md) and the Helm chart's env are tested against this.
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
  KAFKA_SECURITY_PROTOCOL: {
    doc: 'How the services talk to Kafka: PLAINTEXT (no encryption, no authentication: local broker, embedded mode), SSL (TLS; with KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE also mutual TLS, the client certificate names the user) or SASL_SSL (TLS plus a SASL user name and password).',
    default: 'PLAINTEXT',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.oneOf('PLAINTEXT', 'SSL', 'SASL_SSL'),
  },
  KAFKA_SSL_CA_FILE: {
    doc: "PEM file of the CA that signed the brokers' certificates (Strimzi: the cluster CA's ca.crt). Empty trusts the system's CAs. Used with SSL and SASL_SSL.",
    default: '',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.string,
  },
  KAFKA_SSL_CERT_FILE: {
    doc: "PEM file of this client's certificate for mutual TLS (Strimzi: user.crt of the KafkaUser's Secret); set together with KAFKA_SSL_KEY_FILE. Empty: no client certificate.",
    default: '',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.string,
  },
  KAFKA_SSL_KEY_FILE: {
    doc: 'PEM file of the private key of KAFKA_SSL_CERT_FILE (Strimzi: user.key). Empty: no client certificate.',
    default: '',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.string,
  },
  KAFKA_SASL_MECHANISM: {
    doc: 'SASL mechanism with SASL_SSL: scram-sha-512 (what Strimzi issues), scram-sha-256 or plain.',
    default: 'scram-sha-512',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.oneOf('scram-sha-512', 'scram-sha-256', 'plain'),
  },
  KAFKA_SASL_USERNAME: {
    doc: 'SASL user name with SASL_SSL (Strimzi: the KafkaUser name).',
    default: '',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.string,
  },
  KAFKA_SASL_PASSWORD_FILE: {
    doc: "File holding the SASL password with SASL_SSL (Strimzi: the KafkaUser Secret's password key, mounted). The password itself is never taken from the environment or the command line.",
    default: '',
    services: ['producer', 'processor', 'dashboard'],
    parse: parsers.string,
  },
  INPUT_TOPIC: {
    doc: "Topic the producer writes call events to and the processor reads (the dashboard reports the processors' lag on it).",
    default: DEFAULT_TOPICS.raw,
    services: ['producer', 'processor', 'dashboard'],
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
  CALLER_VERDICTS_TOPIC: {
    doc: "Compacted topic of caller verdicts, keyed by caller: one record each time a caller is flagged or cleared, a tombstone when it is evicted for idleness. The dashboard's flagged-callers panel reads it whole.",
    default: DEFAULT_VERDICTS_TOPIC,
    services: ['processor', 'dashboard'],
    parse: parsers.topic,
  },
  CONSUMER_GROUP: {
    doc: "Consumer group shared by all processor replicas; the dashboard's /metrics reports its lag (dashboard_consumer_group_lag).",
    default: 'processor_group',
    services: ['processor', 'dashboard'],
    parse: parsers.string,
  },
  MODEL_PATH: {
    doc: 'Model file the processor loads at start and watches for replacements; the dashboard reads its metadata (version, k, training figures) for /api/model when the file is there.',
    default: 'models/model.json',
    services: ['processor', 'dashboard'],
    parse: parsers.string,
  },
  HTTP_PORT: {
    doc: 'Port of the HTTP server with /healthz, /readyz and /metrics.',
    default: { processor: '8081', producer: '8082' },
    services: ['processor', 'producer'],
    parse: parsers.integer(0, 65_535),
  },
  KAFKA_SESSION_TIMEOUT_MS: {
    doc: 'Consumer group session timeout: how long a dead processor keeps its partitions before they move.',
    default: '30000',
    services: ['processor'],
    parse: parsers.integer(6_000, 300_000),
  },
  KAFKA_MAX_REQUEST_BYTES: {
    doc: "Budget of one produce request; sends are split under it. Keep it below the broker's message.max.bytes (1 MiB by default).",
    default: '1000000',
    services: ['producer', 'processor'],
    parse: parsers.integer(16_384, 100_000_000),
  },
  KAFKA_COMMIT_INTERVAL_MS: {
    doc: 'How often the processor commits offsets of batches whose output the broker acknowledged; 0 commits after every batch. A crash or rebalance may redeliver (duplicate, never lose) up to this much work; a graceful stop commits everything.',
    default: '500',
    services: ['processor'],
    parse: parsers.integer(0, 60_000),
  },
  BATCH_MAX_RECORDS: {
    doc: 'Most input records the processor validates, scores and produces in one step (bigger fetches are split).',
    default: '2000',
    services: ['processor'],
    parse: parsers.integer(1, 100_000),
  },
  PROCESSOR_CONCURRENCY: {
    doc: 'Input partitions one processor works on at the same time; their output shares produce requests. Order within a partition is always kept.',
    default: '6',
    services: ['processor'],
    parse: parsers.integer(1, 64),
  },
  CALLER_STATE: {
    doc: 'Per-caller feature state: durable (a local store backed by a compacted changelog topic, restored before a partition is processed; docs/pipeline.md) or memory (lost on restart and on a rebalance).',
    default: 'durable',
    services: ['processor'],
    parse: parsers.oneOf('memory', 'durable'),
  },
  CHANGELOG_TOPIC: {
    doc: "Changelog topic of caller state (CALLER_STATE=durable), created with the input's partition count; another count stops the processor. Empty: <CONSUMER_GROUP>-caller-state-changelog.",
    default: '',
    services: ['processor'],
    parse: (raw: string): string => (raw === '' ? '' : parsers.topic(raw)),
  },
  STATE_DIR: {
    doc: 'Directory of the local caller-state store (LevelDB per input partition; CALLER_STATE=durable). Empty: in memory, so a restart restores from the changelog alone.',
    default: '',
    services: ['processor'],
    parse: parsers.string,
  },
  STATE_HOT_SET_SIZE: {
    doc: 'Caller states the local store under STATE_DIR keeps in memory per partition, in front of the disk.',
    default: '100000',
    services: ['processor'],
    parse: parsers.integer(100, 100_000_000),
  },
  MODEL_RELOAD_DEBOUNCE_MS: {
    doc: 'Quiet time after the last change to MODEL_PATH before the processor re-reads it.',
    default: '250',
    services: ['processor'],
    parse: parsers.integer(0, 60_000),
  },
  SHUTDOWN_TIMEOUT_MS: {
    doc: 'Deadline for a graceful shutdown on SIGTERM/SIGINT; past it the process exits with code 1.',
    default: '10000',
    services: ['processor', 'producer'],
    parse: parsers.integer(100, 120_000),
  },
  PRODUCER_RATE: {
    doc: 'Events per second the producer sends (the --rate flag wins over it).',
    default: '100',
    services: ['producer'],
    parse: parsers.number(0.001, 1_000_000),
  },
  PRODUCER_COUNT: {
    doc: 'Events to send before exiting; 0 sends until SIGTERM (the --count flag wins over it).',
    default: '0',
    services: ['producer'],
    parse: parsers.integer(0, Number.MAX_SAFE_INTEGER),
  },
  PRODUCER_PROFILE: {
    doc: 'Event stream: "world" (the simulated telecom world in event time, with callee, truth and scenario headers; paced by PRODUCER_SPEEDUP, not PRODUCER_RATE), "default" (generator features, repeating callers, truth header) or "prototype" (the old producer: 11 digits, unique callers, no truth).',
    default: 'world',
    services: ['producer'],
    parse: parsers.oneOf('world', 'default', 'prototype'),
  },
  PRODUCER_SPEEDUP: {
    doc: 'World profile: simulated seconds per wall-clock second (1 = real time, about 1.4 calls/s; 60 = a simulated day in 24 min, about 85 calls/s). Event `ts` is simulated time, so above 1 it runs ahead of the wall clock.',
    default: '60',
    services: ['producer'],
    parse: parsers.number(0.001, 100_000),
  },
  PRODUCER_WORLD_START: {
    doc: 'World profile: where the simulated clock starts. "now" (the wall clock), a local time of day HH:MM in the world\'s zone (UTC+8; the latest such instant, e.g. 03:00 for a quiet night, 09:00 for a busy morning) or an ISO 8601 instant with its zone. The hour decides how busy the first simulated hours are.',
    default: 'now',
    services: ['producer'],
    parse: parseWorldStart,
  },
  PRODUCER_SEED: {
    doc: 'Seed of the event stream: the same seed sends the same events.',
    default: '42',
    services: ['producer'],
    parse: parsers.integer(0, 2 ** 32 - 1),
  },
  PRODUCER_CALLERS: {
    doc: 'Size of the caller population of the default profile (callers repeat).',
    default: '5000',
    services: ['producer'],
    parse: parsers.integer(1, 10_000_000),
  },
  MODEL_SOURCE: {
    doc: 'Where the processor gets its model: "file" (MODEL_PATH, watched) or "configmap" (MODEL_CONFIGMAP, watched through the Kubernetes API).',
    default: 'file',
    services: ['processor'],
    parse: parsers.oneOf('file', 'configmap'),
  },
  MODEL_CONFIGMAP: {
    doc: 'ConfigMap holding the model (key model.json) when MODEL_SOURCE=configmap; the training Job writes it.',
    default: 'scam-detector-model',
    services: ['processor'],
    parse: parsers.string,
  },
  KUBE_NAMESPACE: {
    doc: "Namespace of the model ConfigMap; empty means the pod's own namespace (or the kubeconfig context's).",
    default: '',
    services: ['trainer', 'processor'],
    parse: parsers.string,
  },
  PORT: {
    doc: "Port of the dashboard's HTTP server (page, JSON API, SSE stream, /healthz, /readyz, /metrics).",
    default: '8080',
    services: ['dashboard'],
    parse: parsers.integer(0, 65_535),
  },
  DASHBOARD_BUFFER_SIZE: {
    doc: 'Recent results the dashboard keeps in memory: what a new page gets at once and what an export holds.',
    default: '1000',
    services: ['dashboard'],
    parse: parsers.integer(10, 100_000),
  },
  DASHBOARD_FROM_BEGINNING: {
    doc: 'Read OUTPUT_TOPIC and DLQ_TOPIC from the earliest record instead of only new ones (every dashboard instance reads everything either way).',
    default: 'false',
    services: ['dashboard'],
    parse: parsers.boolean,
  },
  DASHBOARD_MAX_STREAMS: {
    doc: 'Most browser streams (SSE connections) served at once; more get HTTP 503 and retry.',
    default: '100',
    services: ['dashboard'],
    parse: parsers.integer(1, 10_000),
  },
  DASHBOARD_PUSH_INTERVAL_MS: {
    doc: 'Time between two pushes to a page; 100 ms is the fastest allowed (at most 10 updates/s per client).',
    default: '100',
    services: ['dashboard'],
    parse: parsers.integer(100, 60_000),
  },
  REPLAY_FILE: {
    doc: 'Serve a recording instead of Kafka (no broker needed): CSV with the old dashboard columns or JSONL of scored events. The --replay flag wins over it. Empty reads Kafka.',
    default: '',
    services: ['dashboard'],
    parse: parsers.string,
  },
  REPLAY_SPEED: {
    doc: 'Replay pace: 1 is the original speed, 10 ten times faster, 0 as fast as possible (the --speed flag wins over it).',
    default: '1',
    services: ['dashboard'],
    parse: parsers.number(0, 1_000_000),
  },
  REPLAY_LOOP: {
    doc: 'Start the recording again when it ends (the --loop flag sets it).',
    default: 'false',
    services: ['dashboard'],
    parse: parsers.boolean,
  },
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;

/** The declarations a service reads, typed, e.g. `readConfig(pickSettings(['KAFKA_BROKERS']), 'processor')`. */
export function pickSettings<const N extends SettingName>(names: readonly N[]): Pick<typeof SETTINGS, N> {
  const picked = {} as Pick<typeof SETTINGS, N>;
  for (const name of names) picked[name] = SETTINGS[name];
  return picked;
}

/** The settings of a secured Kafka connection, read by every service that talks to Kafka. */
export const KAFKA_SECURITY_SETTINGS = [
  'KAFKA_SECURITY_PROTOCOL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD_FILE',
] as const satisfies readonly SettingName[];
