import type {
  BatchHandler,
  ConsumedHeaders,
  ConsumedRecord,
  ConsumeOptions,
  ConsumerListener,
  PartitionAssignment,
  PartitionOffsets,
  PartitionRead,
  PartitionReadResult,
  ProducedRecord,
  Producer,
  Subscription,
  TopicAdmin,
  TopicSpec,
  Transport,
} from './types.js';

/**
 * A small in-memory bus for the one-command demo and for tests — not a Kafka replacement. It keeps what the
 * pipeline relies on: partitioned topics, per-key partitioning, consumer groups with partition assignment
 * and rebalancing, committed offsets, and redelivery of whatever was not committed. Sends are acknowledged
 * at once; a member handles one batch at a time.
 */
export interface MemoryBusOptions {
  /** Partitions of a topic created on first use. Default 6, like the real topics. */
  partitions?: number;
}

interface Group {
  members: Member[];
  /** "topic/partition" -> next offset to read. */
  committed: Map<string, number>;
}

interface Member {
  id: number;
  topics: readonly string[];
  fromBeginning: boolean;
  assignment: PartitionAssignment[];
  listener: ConsumerListener | undefined;
}

const DEFAULT_MAX_BATCH_RECORDS = 2000;
const RETRY_DELAY_MS = 100;
const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

function toBuffer(value: string | Buffer | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** FNV-1a over the key bytes: the same key always lands in the same partition. */
function partitionFor(key: Buffer, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of key) hash = Math.imul(hash ^ byte, 16777619);
  return (hash >>> 0) % partitions;
}

export class MemoryBus {
  readonly #partitions: number;
  readonly #topics = new Map<string, ConsumedRecord[][]>();
  readonly #groups = new Map<string, Group>();
  #nextMemberId = 1;
  #roundRobin = 0;
  #changed = Promise.withResolvers<void>();

  constructor(options: MemoryBusOptions = {}) {
    this.#partitions = options.partitions ?? 6;
  }

  createTopic(name: string, partitions = this.#partitions): void {
    if (!this.#topics.has(name))
      this.#topics.set(
        name,
        Array.from({ length: partitions }, () => []),
      );
  }

  partitionsOf(topic: string): ConsumedRecord[][] {
    this.createTopic(topic);
    return this.#topics.get(topic) as ConsumedRecord[][];
  }

  hasTopic(name: string): boolean {
    return this.#topics.has(name);
  }

  append(record: ProducedRecord): void {
    const partitions = this.partitionsOf(record.topic);
    const key = toBuffer(record.key);
    if (record.partition !== undefined && !(record.partition >= 0 && record.partition < partitions.length)) {
      throw new RangeError(`${record.topic} has no partition ${record.partition}`);
    }
    const partition =
      record.partition ??
      (key === null ? this.#roundRobin++ % partitions.length : partitionFor(key, partitions.length));
    const log = partitions[partition] as ConsumedRecord[];
    const headers: ConsumedHeaders = {};
    for (const [name, value] of Object.entries(record.headers ?? {}))
      headers[name] = toBuffer(value) as Buffer;
    log.push({
      topic: record.topic,
      partition,
      offset: String(log.length),
      key,
      value: toBuffer(record.value),
      headers,
      timestampMs: Date.now(),
    });
    this.wake();
  }

  /** Resolves at the next append, rebalance or wake-up. */
  changed(): Promise<void> {
    return this.#changed.promise;
  }

  /** Wakes every consumer waiting for records (so a stopping one notices). */
  wake(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
  }

  group(name: string): Group {
    let group = this.#groups.get(name);
    if (!group) {
      group = { members: [], committed: new Map() };
      this.#groups.set(name, group);
    }
    return group;
  }

  join(groupName: string, options: ConsumeOptions): Member {
    const member: Member = {
      id: this.#nextMemberId++,
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? true,
      assignment: [],
      listener: options.listener,
    };
    for (const topic of options.topics) this.createTopic(topic);
    this.group(groupName).members.push(member);
    this.#rebalance(groupName);
    return member;
  }

  leave(groupName: string, member: Member): void {
    const group = this.group(groupName);
    group.members = group.members.filter((m) => m !== member);
    this.#rebalance(groupName);
  }

  /** Round-robin over every partition of the subscribed topics, members in join order. */
  #rebalance(groupName: string): void {
    const group = this.group(groupName);
    const topics = [...new Set(group.members.flatMap((m) => m.topics))].sort();
    const all = topics.flatMap((topic) =>
      this.partitionsOf(topic).map((_, partition) => ({ topic, partition })),
    );
    const shares = new Map<Member, Map<string, number[]>>(group.members.map((m) => [m, new Map()]));
    all.forEach(({ topic, partition }, i) => {
      const candidates = group.members.filter((m) => m.topics.includes(topic));
      const owner = candidates[i % candidates.length];
      if (!owner) return;
      const share = shares.get(owner) as Map<string, number[]>;
      share.set(topic, [...(share.get(topic) ?? []), partition]);
      const key = partitionKey(topic, partition);
      if (!group.committed.has(key)) {
        group.committed.set(
          key,
          owner.fromBeginning ? 0 : (this.partitionsOf(topic)[partition]?.length ?? 0),
        );
      }
    });
    for (const member of group.members) {
      member.listener?.rebalancing?.();
      member.assignment = [...(shares.get(member) ?? new Map<string, number[]>()).entries()].map(
        ([topic, partitions]) => ({ topic, partitions }),
      );
      member.listener?.assigned?.(member.assignment);
    }
    this.wake();
  }
}

function memorySubscription(bus: MemoryBus, options: ConsumeOptions, handler: BatchHandler): Subscription {
  const member = bus.join(options.group, options);
  const group = bus.group(options.group);
  const maxRecords = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
  let stopping = false;
  let cursor = 0;

  const owns = (topic: string, partition: number): boolean =>
    member.assignment.some((a) => a.topic === topic && a.partitions.includes(partition));

  /** The next batch of an owned partition with records past its committed offset, rotating fairly. */
  const nextBatch = () => {
    const owned = member.assignment.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    for (let i = 0; i < owned.length; i++) {
      const { topic, partition } = owned[(cursor + i) % owned.length] as { topic: string; partition: number };
      const log = bus.partitionsOf(topic)[partition] as ConsumedRecord[];
      const from = group.committed.get(partitionKey(topic, partition)) ?? 0;
      if (from < log.length) {
        cursor = (cursor + i + 1) % owned.length;
        const records = log.slice(from, from + maxRecords);
        return { topic, partition, records, lag: log.length - from - records.length };
      }
    }
    return undefined;
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      const batch = nextBatch();
      if (!batch) {
        await bus.changed();
        continue;
      }
      const started = performance.now();
      try {
        const produced = await handler(batch);
        for (const record of produced) bus.append(record);
        // Commit only what this member still owns, and never backwards (another member may have moved on).
        const key = partitionKey(batch.topic, batch.partition);
        const next = Number((batch.records[batch.records.length - 1] as ConsumedRecord).offset) + 1;
        if (owns(batch.topic, batch.partition) && next > (group.committed.get(key) ?? 0)) {
          group.committed.set(key, next);
          options.listener?.batchDone?.({
            topic: batch.topic,
            partition: batch.partition,
            records: batch.records.length,
            durationMs: performance.now() - started,
            lag: batch.lag,
          });
        }
      } catch (error) {
        // Nothing was committed: the same batch comes again, as it would from Kafka after a consumer restart.
        options.listener?.crashed?.(error as Error, true);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  };

  const running = loop();
  const stopped = Promise.withResolvers<void>();
  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      stopping = true;
      bus.wake();
      await running;
      bus.leave(options.group, member);
      stopped.resolve();
    })();
    return stopPromise;
  };
  return { assignment: () => member.assignment, stop, stopped: stopped.promise };
}

export function createMemoryTransport(bus: MemoryBus = new MemoryBus()): Transport {
  const subscriptions = new Set<Subscription>();
  return {
    // Topics of the in-memory bus are created on first use: they always exist.
    async checkTopics() {},
    async producer(): Promise<Producer> {
      return {
        async send(records) {
          for (const record of records) bus.append(record);
        },
        async close() {},
      };
    },
    async consume(options, handler) {
      const subscription = memorySubscription(bus, options, handler);
      subscriptions.add(subscription);
      return subscription;
    },
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      subscriptions.clear();
    },
  };
}

/**
 * The topic side of the port on the in-memory bus. Compaction is not simulated: a reader of a "compacted" topic
 * sees every record, which yields the same last value per key as a compacted read.
 */
export function createMemoryTopicAdmin(bus: MemoryBus): TopicAdmin {
  const offsetsOf = (topic: string): PartitionOffsets[] => {
    if (!bus.hasTopic(topic)) throw new Error(`topic ${topic} does not exist`);
    return bus
      .partitionsOf(topic)
      .map((log, partition) => ({ partition, start: '0', end: String(log.length) }));
  };
  return {
    async ensureTopic(spec: TopicSpec) {
      const created = !bus.hasTopic(spec.topic);
      if (created) bus.createTopic(spec.topic, spec.partitions);
      return { created, partitions: bus.partitionsOf(spec.topic).length };
    },
    async partitionOffsets(topic) {
      return offsetsOf(topic);
    },
    async readPartitions(topic, reads: readonly PartitionRead[], handler) {
      const offsets = offsetsOf(topic);
      const results: PartitionReadResult[] = [];
      for (const read of reads) {
        const range = offsets[read.partition];
        if (!range) throw new RangeError(`${topic} has no partition ${read.partition}`);
        const end = Number(range.end);
        const log = bus.partitionsOf(topic)[read.partition] as ConsumedRecord[];
        let records = 0;
        for (let from = Math.max(0, Number(read.from)); from < end; from += DEFAULT_MAX_BATCH_RECORDS) {
          const slice = log.slice(from, Math.min(end, from + DEFAULT_MAX_BATCH_RECORDS));
          records += slice.length;
          await handler(slice);
        }
        results.push({ partition: read.partition, next: String(Math.max(end, Number(read.from))), records });
      }
      return results;
    },
    async close() {},
  };
}
