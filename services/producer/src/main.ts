#!/usr/bin/env node
import {
  ConfigError,
  createLogger,
  describeWorldStart,
  parseWorldStart,
  type WorldStart,
  worldStartMs,
} from '@scam-detector/core';
import {
  createKafkajsTransport,
  KafkaAccessError,
  type KafkaSecurity,
  readKafkaSecurity,
  unavailableReason,
  untilAvailable,
} from '@scam-detector/transport';
import { Command, InvalidArgumentError, Option } from 'commander';
import { countingProducer, createProducerApp, createProducerMetrics, patientProducer } from './app.js';
import { readProducerConfig } from './config.js';
import { runProducer } from './producer.js';
import { createEventSource, PROFILES, type ProfileName } from './profiles.js';
import { runWorldProducer } from './world-stream.js';

/** Exit codes: 0 done (count reached or stopped by a signal), 1 failure, 2 invalid configuration or flags. */
const EXIT = { ok: 0, failure: 1, config: 2 } as const;

let config: ReturnType<typeof readProducerConfig>;
let security: KafkaSecurity;
try {
  config = readProducerConfig();
  security = readKafkaSecurity(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  createLogger('producer').fatal({ problems: error.problems }, error.message);
  process.exit(EXIT.config);
}

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const worldStart = (value: string): WorldStart => {
  try {
    return parseWorldStart(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const whole = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};

const program = new Command('scam-producer')
  .description('Send synthetic call events to Kafka at a steady rate, keyed by caller. Flags win over env.')
  .option(
    '--rate <events/s>',
    'events per second of the default and prototype profiles (PRODUCER_RATE)',
    positive,
    config.PRODUCER_RATE,
  )
  .option(
    '--count <n>',
    'send this many events, then exit; 0 = until SIGTERM (PRODUCER_COUNT)',
    whole,
    config.PRODUCER_COUNT,
  )
  .addOption(
    new Option('--profile <name>', 'event stream (PRODUCER_PROFILE)')
      .choices(PROFILES)
      .default(config.PRODUCER_PROFILE),
  )
  .option(
    '--speedup <x>',
    'world profile: simulated seconds per wall-clock second, 1 = real time (PRODUCER_SPEEDUP)',
    positive,
    config.PRODUCER_SPEEDUP,
  )
  .addOption(
    new Option(
      '--start <when>',
      'world profile: where the simulated clock starts: now, a local time HH:MM (UTC+8) or an ISO instant (PRODUCER_WORLD_START)',
    )
      .argParser(worldStart)
      .default(config.PRODUCER_WORLD_START, process.env.PRODUCER_WORLD_START || 'now'),
  )
  .option('--seed <n>', 'seed of the stream (PRODUCER_SEED)', whole, config.PRODUCER_SEED)
  .option(
    '--callers <n>',
    'caller population of the default profile (PRODUCER_CALLERS)',
    whole,
    config.PRODUCER_CALLERS,
  )
  .option('--topic <name>', 'topic to write to (INPUT_TOPIC)', config.INPUT_TOPIC)
  .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.config));

program.parse();
const opts = program.opts<{
  rate: number;
  count: number;
  profile: ProfileName;
  speedup: number;
  start: WorldStart;
  seed: number;
  callers: number;
  topic: string;
}>();

const logger = createLogger('producer', config.LOG_LEVEL);
if (opts.profile === 'world' && program.getOptionValueSource('rate') === 'cli') {
  // Said once, at start: a rate asked of the world profile on the command line would otherwise silently not be the
  // rate produced (PRODUCER_RATE alone is not warned about: the chart sets it whatever the profile).
  logger.warn(
    { rate: opts.rate, speedup: opts.speedup },
    'the world profile ignores --rate: it is paced by its simulated clock (--speedup); use --profile default for a fixed rate',
  );
}
const transport = createKafkajsTransport({
  brokers: config.KAFKA_BROKERS,
  clientId: 'scam-detector-producer',
  logger,
  maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES,
  security,
});
const abort = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  // `on`, not `once`: a second signal (Ctrl-C under npm arrives twice) must not kill a stop in progress.
  process.on(signal, () => {
    if (abort.signal.aborted) return;
    logger.info({ signal }, 'stopping');
    abort.abort();
    setTimeout(() => {
      logger.error('shutdown deadline passed');
      process.exit(EXIT.failure);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
  });
}

const metrics = createProducerMetrics();
if (opts.profile !== 'world') metrics.targetRate.set(opts.rate);
let connected = false;
/** Why it is not producing yet (broker unreachable, topic missing), for /readyz. */
let waiting: string | undefined;
const server = createProducerApp({
  registry: metrics.registry,
  connected: () => connected,
  waiting: () => waiting,
}).listen(config.HTTP_PORT, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
  logger.info({ port }, `producer listening on port ${port} (/healthz, /readyz, /metrics)`);
});
server.on('error', (error) => {
  logger.fatal({ err: error, port: config.HTTP_PORT }, 'cannot listen');
  process.exit(EXIT.failure);
});
server.unref();

try {
  // Wait for the broker and the topic (it may be created after this producer starts): the schedule starts
  // once they are there, so nothing is generated that could not be sent.
  let said: string | undefined;
  const connecting = await untilAvailable(
    async () => {
      await transport.checkTopics([opts.topic]);
      return transport.producer();
    },
    {
      signal: abort.signal,
      onRetry(error, attempt, delayMs) {
        // Kafka refusing access (wrong password, untrusted certificate) is reported and retried, not a crash loop.
        if (error instanceof KafkaAccessError) {
          if (error.message !== said) logger.error({ err: error, problem: error.problem }, error.message);
          said = error.message;
          waiting = error.message;
          return;
        }
        waiting = unavailableReason(error);
        if (waiting !== said) logger.warn({ attempt, retry_in_ms: delayMs }, `${waiting}; retrying`);
        said = waiting;
      },
    },
  );
  waiting = undefined;
  if (!connecting) {
    logger.info({ sent: 0 }, 'done');
    process.exit(EXIT.ok);
  }
  // A broker that stops answering while producing (a restart, an outage) is waited for, batch in hand.
  let outage: string | undefined;
  const patient = patientProducer(connecting, {
    signal: abort.signal,
    onWaiting(reason) {
      if (reason === undefined) {
        logger.info({ outage }, 'Kafka answers again; producing');
        outage = undefined;
        waiting = undefined;
        connected = true;
        return;
      }
      connected = false;
      waiting = reason;
      if (outage === undefined) logger.warn(`${reason}; holding the batch in hand and retrying`);
      outage = reason;
    },
  });
  const producer = countingProducer(patient, metrics);
  connected = true;
  // The world's clock starts where it was told to, resolved now (a local time of day: its latest instant).
  const startMs = worldStartMs(opts.start, Date.now());
  logger.info(
    {
      ...opts,
      start: opts.profile === 'world' ? describeWorldStart(startMs) : undefined,
      brokers: config.KAFKA_BROKERS,
    },
    'producing',
  );
  const count = opts.count === 0 ? undefined : opts.count;
  const result =
    opts.profile === 'world'
      ? await runWorldProducer(
          producer,
          { seed: opts.seed, speedup: opts.speedup, topic: opts.topic, startMs, ...(count ? { count } : {}) },
          abort.signal,
        )
      : await runProducer(
          producer,
          createEventSource({
            profile: opts.profile,
            seed: opts.seed,
            callers: opts.callers,
            topic: opts.topic,
          }),
          { rate: opts.rate, count },
          abort.signal,
        );
  await producer.close();
  logger.info({ sent: result.sent, seconds: result.elapsedMs / 1000, rate: Math.round(result.rate) }, 'done');
  process.exit(EXIT.ok);
} catch (error) {
  if (abort.signal.aborted && waiting !== undefined) {
    // Stopped while no broker answered: nothing more can be sent; this is a clean stop, not a failure.
    logger.warn({ reason: waiting }, 'stopped while Kafka was unreachable: the batch in hand was not sent');
    process.exit(EXIT.ok);
  }
  logger.fatal({ err: error }, 'producer failed');
  await transport.close().catch(() => undefined);
  process.exit(EXIT.failure);
}
