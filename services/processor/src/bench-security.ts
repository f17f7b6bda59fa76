#!/usr/bin/env node
/**
 * The drain figure over plain text and over SASL_SSL, in the same run; prints JSON lines {"name","value","unit"}.
 * For each broker: preload DRAIN_EVENTS events on fresh topics, start one processor process, measure events/s
 * from its assignment until its own counter says all are scored, and its CPU time per event.
 * Environment: KAFKA_BROKERS (the plain broker), KAFKA_SECURE_BROKERS and KAFKA_SECURE_HOME (the SASL_SSL broker of
 * `make test-security`: its CA and the admin user's password file), MODEL_PATH, DRAIN_EVENTS (100000).
 * On the secured broker every client logs in as its super user `admin`: the authorizer still runs on every
 * request, the ACL grants themselves are the security suite's business.
 */
import { join, resolve } from 'node:path';
import { createLogger, createRandom } from '@scam-detector/core';
import {
  createKafkajsTransport,
  type KafkaSecurity,
  PLAINTEXT,
  type ProducedRecord,
  readKafkaSecurity,
} from '@scam-detector/transport';
import { Kafka, logLevel } from 'kafkajs';
import { benchCalls, benchOutput, benchTopics, startBenchProcessor } from './bench-harness.js';

const env = process.env;
const modelPath = resolve(env.MODEL_PATH ?? 'models/model.json');
const drainEvents = Number(env.DRAIN_EVENTS ?? 100_000);
const secureHome = resolve(env.KAFKA_SECURE_HOME ?? '.cache/kafka/run-secure');
const { log, emit } = benchOutput('bench');

interface Mode {
  name: 'plaintext' | 'sasl_ssl';
  brokers: string[];
  security: KafkaSecurity;
  processorEnv: Record<string, string>;
}

const secureEnv = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SSL_CA_FILE: join(secureHome, 'tls/ca.crt'),
  KAFKA_SSL_CERT_FILE: '',
  KAFKA_SSL_KEY_FILE: '',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'admin',
  KAFKA_SASL_PASSWORD_FILE: join(secureHome, 'users/admin.password'),
} as const;

const modes: Mode[] = [
  {
    name: 'plaintext',
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    security: PLAINTEXT,
    processorEnv: {},
  },
  {
    name: 'sasl_ssl',
    brokers: (env.KAFKA_SECURE_BROKERS ?? '127.0.0.1:9192').split(','),
    security: readKafkaSecurity(secureEnv),
    processorEnv: { ...secureEnv },
  },
];

async function drain(mode: Mode): Promise<void> {
  const { topics, group } = benchTopics('bench');
  const admin = new Kafka({
    clientId: 'bench-admin',
    brokers: mode.brokers,
    logLevel: logLevel.NOTHING,
    ...(mode.security.protocol === 'PLAINTEXT' ? {} : { ssl: mode.security.ssl, sasl: mode.security.sasl }),
  }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
  });
  const transport = createKafkajsTransport({
    brokers: mode.brokers,
    clientId: 'bench',
    logger: createLogger('bench', 'silent'),
    security: mode.security,
  });
  const nextCall = benchCalls(createRandom(2026));
  let processor: ReturnType<typeof startBenchProcessor> | undefined;
  try {
    const producer = await transport.producer();
    log(`${mode.name}: preloading ${drainEvents} events`);
    for (let sent = 0; sent < drainEvents; sent += 10_000) {
      const now = Date.now();
      await producer.send(
        Array.from({ length: Math.min(10_000, drainEvents - sent) }, (): ProducedRecord => {
          const { caller, event } = nextCall(now);
          return { topic: topics.input, key: caller, value: JSON.stringify(event) };
        }),
      );
    }
    await producer.close();

    processor = startBenchProcessor(
      { topics, group, modelPath },
      { ...mode.processorEnv, KAFKA_BROKERS: mode.brokers.join(',') },
    );
    const { poll } = processor;
    const ready = await poll((m) => (m.get('processor_assigned_partitions') ?? 0) > 0, 20);
    const began = performance.now();
    const end = await poll((m) => (m.get('processor_events_scored_total') ?? 0) >= drainEvents, 50);
    const cpu = (m: Map<string, number>) => m.get('process_cpu_seconds_total') ?? 0;
    emit(
      `drain_events_per_second_${mode.name}`,
      (drainEvents * 1000) / (performance.now() - began),
      'events/s',
    );
    emit(`drain_cpu_per_event_${mode.name}`, ((cpu(end) - cpu(ready)) * 1e6) / drainEvents, 'µs/event');
  } finally {
    processor?.child.kill('SIGTERM');
    await transport.close();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  }
}

emit('drain_events', drainEvents, 'events');
for (const mode of modes) await drain(mode);
