// Must come before 'kafkajs': it replaces a quadratic kafkajs internal before kafkajs loads it.
import './kafkajs-patch.js';
import { randomBytes } from 'node:crypto';
import type { Logger } from '@scam-detector/core';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  type KafkaMessage,
  type Producer as KafkaProducer,
  type LogEntry,
  logLevel,
  type Message,
  Partitioners,
} from 'kafkajs';
import { TransportUnavailableError } from './availability.js';
import { chunkRecords, DEFAULT_MAX_REQUEST_BYTES } from './chunk.js';
import { kafkajsLevel } from './kafkajs-log.js';
import {
  explainKafkaError,
  isConnectionFailure,
  KafkaAccessError,
  type KafkaSecurity,
  PLAINTEXT,
} from './security.js';
import type {
  BatchHandler,
  ConsumedHeaders,
  ConsumedRecord,
  ConsumeOptions,
  PartitionAssignment,
  PartitionOffsets,
  PartitionReadResult,
  ProducedRecord,
  Producer,
  Subscription,
  TopicAdmin,
  Transport,
} from './types.js';
import { silenceTimeoutNegativeWarning } from './warnings.js';

export interface KafkajsTransportOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** Budget of one produce request; keep it under the broker's message.max.bytes (1 MiB by default). */
  maxRequestBytes?: number;
  /** Group session timeout: how long a dead member keeps its partitions. kafkajs default 30 s. */
  sessionTimeoutMs?: number;
  /** Upper bound of the retry back-off (connection, produce, consumer restart). */
  maxRetryTimeMs?: number;
  /**
   * How often a consumer commits the offsets of batches whose output is acknowledged; 0 commits after every
   * batch (kafkajs's autoCommit), which puts a commit round trip on every batch's path. With an interval, a
   * crash or rebalance redelivers at most that much acknowledged work (duplicates, never loss); a stop
   * commits everything acknowledged. Default 0.
   */
  commitIntervalMs?: number;
  /** TLS, mutual TLS or SASL_SSL (readKafkaSecurity); plain text when absent. */
  security?: KafkaSecurity;
}

/** kafkajs's connection options for a security setting. */
function securityOptions(security: KafkaSecurity = PLAINTEXT): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security.protocol === 'PLAINTEXT') return {};
  const ssl = security.ssl ?? true;
  return security.sasl ? { ssl, sasl: security.sasl } : { ssl };
}

/** Runs a connect-time step; a failure caused by security is rethrown as a KafkaAccessError naming it. */
async function explained<T>(security: KafkaSecurity | undefined, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw explainKafkaError(error, security);
  }
}

const DEFAULT_MAX_BATCH_RECORDS = 2000;

// Every kafkajs client made through this module (the transport, the admin helpers) gets the filter.
silenceTimeoutNegativeWarning();

function kafkajsLogCreator(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...rest } = log;
      child[kafkajsLevel(level, log)](rest, message);
    };
}

function toHeaders(headers: IHeaders | undefined): ConsumedHeaders {
  const result: ConsumedHeaders = {};
  if (!headers) return result;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    result[name] = typeof value === 'string' ? Buffer.from(value) : value;
  }
  return result;
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: toHeaders(message.headers),
    timestampMs: Number(message.timestamp),
  };
}

/** Sends records in order, in requests under the size budget, one request at a time. */
async function sendChunked(
  producer: KafkaProducer,
  records: readonly ProducedRecord[],
  maxBytes: number,
): Promise<void> {
  for (const chunk of chunkRecords(records, maxBytes)) {
    const byTopic = new Map<string, Message[]>();
    for (const record of chunk) {
      let messages = byTopic.get(record.topic);
      if (!messages) {
        messages = [];
        byTopic.set(record.topic, messages);
      }
      const message: Message = { key: record.key, value: record.value };
      if (record.headers) message.headers = record.headers;
      if (record.partition !== undefined) message.partition = record.partition;
      messages.push(message);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}

/** The production adapter of the transport port, on kafkajs 2.2.4. */
export function createKafkajsTransport(options: KafkajsTransportOptions): Transport {
  const maxRetryTime = options.maxRetryTimeMs ?? 5000;
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...securityOptions(options.security),
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(options.logger),
    retry: { initialRetryTime: 300, maxRetryTime, retries: 8 },
  });
  const closers = new Set<() => Promise<void>>();

  async function createProducer(): Promise<Producer> {
    // Idempotent: a retried request never writes a record twice. One request in flight keeps kafkajs's
    // per-partition sequence numbers in order.
    const producer = kafka.producer({
      // murmur2 on the key, as the Java client: a caller lands on the same partition whoever produced it.
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 300, maxRetryTime, retries: Number.MAX_SAFE_INTEGER },
    });
    await explained(options.security, () => producer.connect());
    // Sends made while a request is in flight are merged into the next request: handlers of different
    // partitions running at the same time share one round trip. Records keep the order of the send() calls.
    let queue: {
      records: readonly ProducedRecord[];
      resolve: () => void;
      reject: (error: unknown) => void;
    }[] = [];
    let flushing: Promise<void> | undefined;
    let closed = false;
    const flush = async (): Promise<void> => {
      while (queue.length > 0) {
        const waiting = queue;
        queue = [];
        try {
          await sendChunked(
            producer,
            waiting.flatMap((w) => w.records),
            maxRequestBytes,
          );
          for (const w of waiting) w.resolve();
        } catch (error) {
          const explained = explainKafkaError(error, options.security);
          // No broker answered for longer than kafkajs's own retries: the port's error for "try again later".
          const reason =
            !(explained instanceof KafkaAccessError) && isConnectionFailure(error)
              ? new TransportUnavailableError(
                  'BROKER_UNREACHABLE',
                  `no Kafka broker answers at ${options.brokers.join(',')} (${(error as Error).message})`,
                  [],
                  { cause: error },
                )
              : explained;
          for (const w of waiting) w.reject(reason);
        }
      }
      flushing = undefined;
    };
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      closers.delete(close);
      await flushing;
      await producer.disconnect();
    };
    closers.add(close);
    return {
      send(records) {
        if (closed) return Promise.reject(new Error('producer is closed'));
        if (records.length === 0) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          queue.push({ records, resolve, reject });
          flushing ??= flush();
        });
      },
      close,
    };
  }

  /** One look, no retries, no kafkajs log lines (the caller reports the outcome once, in its own words). */
  async function checkTopics(topics: readonly string[]): Promise<void> {
    const admin = new Kafka({
      clientId: `${options.clientId}-check`,
      brokers: [...options.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 0 },
      ...securityOptions(options.security),
    }).admin();
    try {
      await explained(options.security, () => admin.connect());
    } catch (error) {
      // Refused for a reason of security (credentials, certificates, ACLs): say that, not "unreachable".
      if (error instanceof KafkaAccessError) throw error;
      throw new TransportUnavailableError(
        'BROKER_UNREACHABLE',
        `no Kafka broker answers at ${options.brokers.join(',')} (${(error as Error).message})`,
        [],
        { cause: error },
      );
    }
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
        missing.push(...metadata.filter((t) => t.partitions.some((p) => p.leader < 0)).map((t) => t.name));
      }
      if (missing.length > 0) {
        throw new TransportUnavailableError(
          'TOPICS_MISSING',
          `waiting for topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} to exist on ${options.brokers.join(',')}`,
          missing,
        );
      }
    } catch (error) {
      if (error instanceof TransportUnavailableError) throw error;
      const access = explainKafkaError(error, options.security);
      if (access instanceof KafkaAccessError) throw access; // e.g. an ACL denies describing the topics
      const protocol = (error as { type?: string }).type;
      throw protocol === 'UNKNOWN_TOPIC_OR_PARTITION' || protocol === 'LEADER_NOT_AVAILABLE'
        ? new TransportUnavailableError(
            'TOPICS_MISSING',
            `waiting for topics ${topics.join(', ')} to be ready`,
            [...topics],
            { cause: error },
          )
        : new TransportUnavailableError(
            'BROKER_UNREACHABLE',
            `the Kafka broker at ${options.brokers.join(',')} does not answer (${(error as Error).message})`,
            [],
            { cause: error },
          );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async function consume(consumeOptions: ConsumeOptions, handler: BatchHandler): Promise<Subscription> {
    const listener = consumeOptions.listener ?? {};
    const maxBatchRecords = consumeOptions.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    // Made on the first batch that produces something: a consumer whose handler produces nothing (the dashboard)
    // needs no producer, and so no write permission anywhere (an idempotent producer's InitProducerId needs one).
    let outputProducer: Promise<Producer> | undefined;
    const output = {
      send: async (records: readonly ProducedRecord[]) => {
        if (records.length === 0) return;
        // A failed connect is forgotten, so the batch's redelivery tries again.
        outputProducer ??= createProducer().catch((error: unknown) => {
          outputProducer = undefined;
          throw error;
        });
        await (await outputProducer).send(records);
      },
      close: async () => {
        if (outputProducer) await (await outputProducer.catch(() => undefined))?.close();
      },
    };
    const consumer: Consumer = kafka.consumer({
      groupId: consumeOptions.group,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      // The broker answers a fetch as soon as there is data; this only bounds an idle fetch, and with it how
      // long a stop waits for the fetch in flight.
      maxWaitTimeInMs: 1000,
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      // Every failure restarts the consumer: a retriable one (broker gone, send failed) by kafkajs's own rule,
      // anything else as well, since the batch was not committed and will simply be delivered again.
      retry: { initialRetryTime: 300, maxRetryTime, retries: 8, restartOnFailure: async () => true },
    });
    let assignment: PartitionAssignment[] = [];
    let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
    const stopped = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    stopped.catch(() => undefined); // a caller that never awaits it must not crash the process
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      assignment = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions: [...partitions].sort((a, b) => a - b),
      }));
      listener.assigned?.(assignment);
    });
    consumer.on(consumer.events.REBALANCING, () => listener.rebalancing?.());
    if (listener.answered) {
      // Fetch responses, heartbeats and commits are the broker answering (kafkajs's REQUEST event is not
      // emitted for a consumer's connections).
      const answered = listener.answered.bind(listener);
      for (const event of [
        consumer.events.FETCH,
        consumer.events.HEARTBEAT,
        consumer.events.COMMIT_OFFSETS,
      ]) {
        consumer.on(event, () => answered());
      }
    }
    consumer.on(consumer.events.CRASH, (event) => {
      const error = explainKafkaError(event.payload.error, options.security, {
        group: consumeOptions.group,
      }) as Error;
      listener.crashed?.(error, event.payload.restart);
      if (!event.payload.restart) {
        halting = true; // no more commits from a consumer that is gone
        assignment = [];
        settle?.reject(error);
      }
    });

    try {
      await explained(options.security, async () => {
        await consumer.connect();
        await consumer.subscribe({
          topics: [...consumeOptions.topics],
          fromBeginning: consumeOptions.fromBeginning ?? true,
        });
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      await output.close().catch(() => undefined);
      throw error;
    }

    const commitIntervalMs = options.commitIntervalMs ?? 0;
    const throttledCommits = commitIntervalMs > 0;
    /** Per partition, the next offset to commit: everything before it has acknowledged output. */
    const acknowledged = new Map<string, { topic: string; partition: number; offset: string }>();
    let halting = false;
    let handling = 0;
    let uncommitted = false;
    let wakeIdle: (() => void) | undefined;

    const eachBatch = async ({
      batch,
      resolveOffset,
      heartbeat,
      isRunning,
      isStale,
      commitOffsetsIfNecessary,
    }: EachBatchPayload) => {
      const { topic, partition, messages } = batch;
      const highWatermark = Number(batch.highWatermark);
      handling++;
      try {
        for (let start = 0; start < messages.length; start += maxBatchRecords) {
          // Stopping or revoked: abandon the rest of the batch; it is not resolved, so not committed.
          if (halting || !isRunning() || isStale()) return;
          const began = performance.now();
          const slice = messages.slice(start, start + maxBatchRecords);
          const records = slice.map((message) => toRecord(topic, partition, message));
          const last = records[records.length - 1] as ConsumedRecord;
          const lag = Math.max(0, highWatermark - Number(last.offset) - 1);
          const produced = await handler({ topic, partition, records, lag, heartbeat });
          await output.send(produced);
          // Acknowledged downstream: only now may these offsets be committed.
          resolveOffset(last.offset);
          acknowledged.set(`${topic}\0${partition}`, {
            topic,
            partition,
            offset: String(BigInt(last.offset) + 1n),
          });
          uncommitted = true;
          // Said before the commit and the heartbeat, which can fail (a broker restarting) after the output was
          // acknowledged: what listens (durable state) must know the output is out, whatever comes next.
          listener.batchDone?.({
            topic,
            partition,
            records: records.length,
            durationMs: performance.now() - began,
            lag,
          });
          if (throttledCommits) await commitOffsetsIfNecessary();
          await heartbeat();
        }
      } finally {
        handling--;
        if (handling === 0) wakeIdle?.();
      }
    };

    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: !throttledCommits,
      autoCommitInterval: throttledCommits ? commitIntervalMs : null,
      partitionsConsumedConcurrently: consumeOptions.concurrency ?? 1,
      eachBatch,
    });

    /** Commits everything acknowledged on the partitions this member still owns (another owner's position is
     *  not ours to move). A failure only means redelivery: the new owner starts from the last commit. */
    const commitOwned = async (why: string): Promise<void> => {
      const owned = new Set(assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}\0${p}`)));
      const offsets = [...acknowledged].filter(([key]) => owned.has(key)).map(([, offset]) => offset);
      uncommitted = false;
      if (offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets);
      } catch (error) {
        options.logger.warn({ err: error, why }, 'commit failed; uncommitted batches will be redelivered');
      }
    };
    // Batches commit as they go (at most every interval); this covers the tail when traffic stops, so an idle
    // group shows no lag and a restart redelivers nothing.
    const idleCommits = throttledCommits
      ? setInterval(() => {
          if (uncommitted && handling === 0 && !halting) void commitOwned('idle');
        }, commitIntervalMs)
      : undefined;
    idleCommits?.unref();

    /** With throttled commits: finish the batches in flight, then commit everything acknowledged. */
    const commitAcknowledged = async (): Promise<void> => {
      halting = true;
      clearInterval(idleCommits);
      if (handling > 0) await new Promise<void>((resolve) => (wakeIdle = resolve));
      await commitOwned('stop');
    };

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        closers.delete(stop);
        try {
          if (throttledCommits) await commitAcknowledged();
          await consumer.disconnect(); // stops fetching, waits for the batch in flight (autoCommit: commits it)
        } finally {
          assignment = [];
          await output.close();
          settle?.resolve();
        }
      })();
      return stopping;
    };
    closers.add(stop);
    return { assignment: () => assignment, stop, stopped };
  }

  return {
    checkTopics,
    producer: createProducer,
    consume,
    async close() {
      await Promise.allSettled([...closers].map((close) => close()));
    },
  };
}

/** Runs `work` with a connected admin client, disconnecting afterwards whatever happens. */
async function withAdmin<T>(
  brokers: readonly string[],
  work: (admin: Admin) => Promise<T>,
  security?: KafkaSecurity,
): Promise<T> {
  const admin = new Kafka({
    clientId: 'scam-detector-admin',
    brokers: [...brokers],
    ...securityOptions(security),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates topics that do not exist yet (tests, tools). Not part of the port: an adapter-specific helper. */
export async function createTopics(
  brokers: readonly string[],
  topics: readonly string[],
  partitions: number,
): Promise<void> {
  return withAdmin(brokers, async (admin) => {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
    // kafkajs's own waitForLeaders gives up on "This server does not host this topic-partition", which a broker
    // answers for a moment after creating a topic (longer right after a restart or under load): poll instead.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
        const ready = metadata.every(
          (t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0),
        );
        if (ready) return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
}

/** Deletes topics and consumer groups a test created (best effort: missing ones are ignored). */
export async function deleteTopicsAndGroups(
  brokers: readonly string[],
  topics: readonly string[],
  groups: readonly string[] = [],
  security?: KafkaSecurity,
): Promise<void> {
  return withAdmin(
    brokers,
    async (admin) => {
      if (groups.length > 0) await admin.deleteGroups([...groups]).catch(() => undefined);
      if (topics.length > 0) await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
    },
    security,
  );
}

/** Committed offsets of a group per partition (-1 when none), for tests and tools. */
export async function committedOffsets(
  brokers: readonly string[],
  group: string,
  topic: string,
): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const [result] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((result?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  });
}

/** The end offset (high watermark) of each partition of a topic, for tests and tools. */
export async function endOffsets(brokers: readonly string[], topic: string): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  });
}

/**
 * How far a consumer group is behind on each partition of a topic, as the broker sees it: the end offset minus
 * the group's committed offset (minus the log start offset when the group has committed nothing there yet, as
 * a group that starts from the earliest record would). Unlike a consumer's own lag it keeps growing while no
 * member runs. For monitoring (the dashboard's /metrics); one short-lived admin connection per call.
 */
export async function consumerGroupLag(
  brokers: readonly string[],
  group: string,
  topic: string,
  security?: KafkaSecurity,
): Promise<Map<number, { lag: number; endOffset: number }>> {
  return withAdmin(
    brokers,
    async (admin) => {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
      const committedOf = new Map(
        (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
      );
      return new Map(
        ends.map((p) => {
          const done = committedOf.get(p.partition) ?? -1;
          const from = done >= 0 ? done : Number(p.low);
          const endOffset = Number(p.high);
          return [p.partition, { lag: Math.max(0, endOffset - from), endOffset }] as const;
        }),
      );
    },
    security,
  );
}

export interface KafkajsTopicAdminOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  maxRetryTimeMs?: number;
  /** As the transport's: TLS, mutual TLS or SASL_SSL; plain text when absent. */
  security?: KafkaSecurity;
}

/**
 * The topic side of the port on kafkajs. kafkajs has no manual partition assignment, so `readPartitions` reads
 * with a consumer of a throwaway group (never committed, deleted afterwards) that seeks each wanted partition
 * and pauses the others. A fresh group joins after the broker's `group.initial.rebalance.delay.ms` (3 s by
 * default; 0 on the test broker).
 */
export function createKafkajsTopicAdmin(options: KafkajsTopicAdminOptions): TopicAdmin {
  const maxRetryTime = options.maxRetryTimeMs ?? 5000;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(options.logger),
    ...securityOptions(options.security),
    retry: { initialRetryTime: 300, maxRetryTime, retries: 8 },
  });
  let admin: Promise<Admin> | undefined;
  const connected = (): Promise<Admin> => {
    admin ??= (async () => {
      const client = kafka.admin();
      await client.connect();
      return client;
    })();
    admin.catch(() => {
      admin = undefined;
    });
    return admin;
  };

  /** Retries what a broker answers for a moment after a topic is created or a leader moves ("not the leader for
   *  that topic-partition", "does not host this topic-partition"), which kafkajs's own retries can outlast. */
  const patiently = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() > deadline) throw error;
        options.logger.debug({ err: error, what }, 'retrying');
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const partitionOffsets = async (topic: string): Promise<PartitionOffsets[]> => {
    const client = await connected();
    // A missing topic fails at once (kafkajs would retry "unknown topic" for its whole retry budget).
    if (!(await client.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
    const offsets = await patiently(`offsets of ${topic}`, () => client.fetchTopicOffsets(topic));
    return offsets
      .map((p) => ({ partition: p.partition, start: p.low, end: p.high }))
      .sort((a, b) => a.partition - b.partition);
  };

  return {
    async ensureTopic(spec) {
      const client = await connected();
      const created = await client.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            // -1: the broker's default.replication.factor (3 on a production cluster), not one copy.
            replicationFactor: spec.replicationFactor ?? -1,
            configEntries: spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
          },
        ],
      });
      // As createTopics above: a new topic's partitions answer "not hosted here" for a moment; wait for leaders.
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const { topics } = await client.fetchTopicMetadata({ topics: [spec.topic] });
          const partitions = topics[0]?.partitions ?? [];
          if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) {
            // Leaders are named before they serve: the topic is ready once its offsets can be listed.
            await patiently(`offsets of ${spec.topic}`, () => client.fetchTopicOffsets(spec.topic));
            return { created, partitions: partitions.length };
          }
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        if (Date.now() > deadline) throw new Error(`topic ${spec.topic} has no leaders after 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    partitionOffsets,
    async readPartitions(topic, reads, handler) {
      const offsets = await partitionOffsets(topic);
      const state = new Map<number, { next: bigint; end: bigint; records: number }>();
      for (const read of reads) {
        const range = offsets[read.partition];
        if (!range) throw new RangeError(`${topic} has no partition ${read.partition}`);
        const from = BigInt(read.from) > BigInt(range.start) ? BigInt(read.from) : BigInt(range.start);
        state.set(read.partition, { next: from, end: BigInt(range.end), records: 0 });
      }
      const results = (): PartitionReadResult[] =>
        [...state].map(([partition, s]) => ({
          partition,
          next: String(s.next > s.end ? s.next : s.end),
          records: s.records,
        }));
      const remaining = new Set([...state].filter(([, s]) => s.next < s.end).map(([partition]) => partition));
      if (remaining.size === 0) return results();

      const groupId = `${options.clientId}-read-${randomBytes(6).toString('hex')}`;
      const consumer = kafka.consumer({
        groupId,
        maxWaitTimeInMs: 500,
        retry: { initialRetryTime: 300, maxRetryTime, retries: 8, restartOnFailure: async () => false },
      });
      const finished = Promise.withResolvers<void>();
      finished.promise.catch(() => undefined); // awaited below; a failure before that must not go unhandled
      const advance = (partition: number, lastOffset: string | null | undefined): void => {
        const s = state.get(partition);
        if (!s || lastOffset == null) return;
        const next = BigInt(lastOffset) + 1n;
        if (next > s.next) s.next = next;
        if (s.next >= s.end && remaining.delete(partition)) {
          consumer.pause([{ topic, partitions: [partition] }]);
          if (remaining.size === 0) finished.resolve();
        }
      };
      // Also after batches whose records were all filtered out (compaction, control records): eachBatch does not
      // see those, the instrumentation event does.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
        advance(payload.partition, payload.lastOffset),
      );
      consumer.on(consumer.events.CRASH, ({ payload }) => finished.reject(payload.error));
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            const s = state.get(batch.partition);
            if (!s || !remaining.has(batch.partition)) return;
            const records = batch.messages
              .filter((m) => BigInt(m.offset) >= s.next && BigInt(m.offset) < s.end)
              .map((m) => toRecord(topic, batch.partition, m));
            if (records.length > 0) {
              try {
                await handler(records);
              } catch (error) {
                // The handler's verdict is final (bad data does not get better by retrying): fail the read now.
                remaining.clear();
                finished.reject(error);
                return;
              }
              s.records += records.length;
            }
            resolveOffset(batch.lastOffset());
            await heartbeat();
          },
        });
        const others = offsets.map((o) => o.partition).filter((p) => !remaining.has(p));
        if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
        for (const partition of remaining) {
          consumer.seek({ topic, partition, offset: String(state.get(partition)?.next) });
        }
        await finished.promise;
        return results();
      } finally {
        await consumer.disconnect().catch(() => undefined);
        const client = await connected().catch(() => undefined);
        await client?.deleteGroups([groupId]).catch(() => undefined);
      }
    },
    async close() {
      const client = await admin?.catch(() => undefined);
      admin = undefined;
      await client?.disconnect();
    },
  };
}
