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
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callEvent, callerPopulation, createLogger, createRandom, generateCall } from '@scam-detector/core';
import {
  createKafkajsTransport,
  type KafkaSecurity,
  PLAINTEXT,
  type ProducedRecord,
  readKafkaSecurity,
} from '@scam-detector/transport';
import { Kafka, logLevel } from 'kafkajs';

const env = process.env;
const modelPath = resolve(env.MODEL_PATH ?? 'models/model.json');
const drainEvents = Number(env.DRAIN_EVENTS ?? 100_000);
const secureHome = resolve(env.KAFKA_SECURE_HOME ?? '.cache/kafka/run-secure');
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
const emit = (name: string, value: number, unit: string) =>
  process.stdout.write(`${JSON.stringify({ name, value: Number(value.toFixed(3)), unit })}\n`);

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
  const id = randomBytes(4).toString('hex');
  const topics = { input: `bench-raw-${id}`, output: `bench-scored-${id}`, dlq: `bench-dlq-${id}` };
  const group = `bench-processor-${id}`;
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
  const random = createRandom(2026);
  const callers = callerPopulation(createRandom(7), 5000);
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const producer = await transport.producer();
    log(`${mode.name}: preloading ${drainEvents} events`);
    for (let sent = 0; sent < drainEvents; sent += 10_000) {
      const now = Date.now();
      await producer.send(
        Array.from({ length: Math.min(10_000, drainEvents - sent) }, (): ProducedRecord => {
          const caller = callers[random.int(0, callers.length - 1)] as string;
          return {
            topic: topics.input,
            key: caller,
            value: JSON.stringify(callEvent(generateCall(random), caller, now)),
          };
        }),
      );
    }
    await producer.close();

    let port = 0;
    child = spawn(process.execPath, [resolve(import.meta.dirname, 'main.js')], {
      env: {
        ...env,
        ...mode.processorEnv,
        KAFKA_BROKERS: mode.brokers.join(','),
        LOG_LEVEL: 'info',
        INPUT_TOPIC: topics.input,
        OUTPUT_TOPIC: topics.output,
        DLQ_TOPIC: topics.dlq,
        CONSUMER_GROUP: group,
        MODEL_PATH: modelPath,
        HTTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"processor started"')) port = JSON.parse(line).port;
      }
    });
    const metrics = async (): Promise<Map<string, number>> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const values = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line.startsWith('#') || line.length === 0) continue;
        const at = line.lastIndexOf(' ');
        values.set(line.slice(0, at), Number(line.slice(at + 1)));
      }
      return values;
    };
    const poll = async (condition: (m: Map<string, number>) => boolean, everyMs: number) => {
      for (;;) {
        if (port !== 0) {
          const m = await metrics().catch(() => undefined);
          if (m && condition(m)) return m;
        }
        await sleep(everyMs);
      }
    };
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
    child?.kill('SIGTERM');
    await transport.close();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  }
}

emit('drain_events', drainEvents, 'events');
for (const mode of modes) await drain(mode);
