/**
 * The pipeline's Kafka port: the only way services touch a broker. Two adapters implement it: kafkajs
 * (production, `kafkajs.ts`) and, later, an in-memory bus for the embedded demo and tests; one conformance
 * suite runs against both. Keep it small: every method here is one more thing both adapters must get right.
 *
 * Delivery semantics, stated once for every adapter: AT-LEAST-ONCE.
 * - `consume` hands the handler one batch of records of one partition, in offset order.
 * - The handler returns the records to produce for that batch (results, dead letters, anything).
 * - The transport sends them and waits until the broker has acknowledged every one of them; only then does
 *   it mark the batch's input offsets consumed and commit them.
 * - If the handler throws, a send fails, the consumer stops, the process dies or the partition is taken away
 *   before that point, the batch's offsets are not committed and the batch is delivered again, to this member
 *   or another one. Downstream readers must therefore tolerate duplicates (same input offset, same result).
 * - Records produced with the same key go to the same partition, so per-key order is kept downstream.
 * - A consumer that stops mid-batch abandons the rest of it: nothing unprocessed is ever committed.
 */

/** Kafka headers as read: raw bytes, one value per key (the last one when a key repeats). */
export type ConsumedHeaders = Record<string, Buffer>;

/** One record read from a topic. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as the decimal string the broker sent. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: ConsumedHeaders;
  /** The record's timestamp, epoch milliseconds. */
  timestampMs: number;
}

/** One record to write. Strings are sent as UTF-8. */
export interface ProducedRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Writes to this partition instead of the key's (a changelog follows its input partition). */
  partition?: number;
}

export interface Batch {
  topic: string;
  partition: number;
  /** Never empty; in offset order. */
  records: readonly ConsumedRecord[];
  /** Records in the partition after this batch's last one when it was fetched (consumer lag). */
  lag: number;
  /** Tells the group this member is alive (throttled by the adapter): a handler that waits long (a restore)
   *  calls it meanwhile, so the group does not take its partitions away. Absent where there is no group. */
  heartbeat?(): Promise<void>;
}

/** Turns one batch into the records to produce. Throwing fails the batch: it is delivered again. */
export type BatchHandler = (batch: Batch) => Promise<readonly ProducedRecord[]> | readonly ProducedRecord[];

export interface PartitionAssignment {
  topic: string;
  partitions: number[];
}

/** What a consumer reports, for readiness, metrics and logs. Every callback is optional. */
export interface ConsumerListener {
  /** This member joined the group and now owns these partitions (possibly none). */
  assigned?(assignment: PartitionAssignment[]): void;
  /** The group is rebalancing: partitions are about to be revoked and reassigned. */
  rebalancing?(): void;
  /** A batch's output was acknowledged by the broker and its offsets marked for commit (called before the
   *  commit itself, which may still fail). */
  batchDone?(info: {
    topic: string;
    partition: number;
    records: number;
    durationMs: number;
    lag: number;
  }): void;
  /** The broker answered one of this consumer's requests (fetch, heartbeat, commit...): the link works.
   *  Frequent (every request): keep it cheap. */
  answered?(): void;
  /** The consumer failed; `willRestart` says whether the adapter restarts it by itself. */
  crashed?(error: Error, willRestart: boolean): void;
}

export interface ConsumeOptions {
  group: string;
  topics: readonly string[];
  /** Where a group without committed offsets starts: the earliest record (default) or only new ones. */
  fromBeginning?: boolean;
  /** Upper bound on records per handler call; bigger fetches are split. Default 2000. */
  maxBatchRecords?: number;
  /** Batches of different partitions handled at the same time (order within a partition is always kept).
   *  Default 1. */
  concurrency?: number;
  listener?: ConsumerListener;
}

export interface Subscription {
  /** Partitions this member owns right now. */
  assignment(): PartitionAssignment[];
  /** Stops fetching, lets the handler call in flight finish (its batch is committed only if it was produced),
   *  leaves the group. Idempotent. */
  stop(): Promise<void>;
  /** Settles when the consumer has stopped for good: resolves after `stop()`, rejects when it crashed and
   *  will not restart (the service should then exit non-zero and be restarted). */
  readonly stopped: Promise<void>;
}

export interface Producer {
  /** Sends the records and resolves once the broker has acknowledged all of them. Large arrays are split into
   *  requests under the broker's size limit. When no broker answers (longer than the client's own retries), it
   *  rejects with a `TransportUnavailableError` ('BROKER_UNREACHABLE'): the same send may be retried later. */
  send(records: readonly ProducedRecord[]): Promise<void>;
  /** Waits for sends in flight, then disconnects. */
  close(): Promise<void>;
}

export interface Transport {
  /**
   * One quick look (no retries): resolves when a broker answers and every topic exists with a leader for each
   * partition; rejects with a `TransportUnavailableError` saying which of the two is missing. Services call it
   * through `untilAvailable` before they consume or produce, so that they wait for a broker or a topic that is
   * not there yet (Strimzi creates topics some time after Kafka is ready) instead of failing.
   */
  checkTopics(topics: readonly string[]): Promise<void>;
  producer(): Promise<Producer>;
  consume(options: ConsumeOptions, handler: BatchHandler): Promise<Subscription>;
  /** Stops every consumer and producer this transport made. */
  close(): Promise<void>;
}

/** A topic to create: a compacted one keeps the last record of every key (a changelog). */
export interface TopicSpec {
  topic: string;
  partitions: number;
  compacted?: boolean;
  /** Replication factor when the adapter creates it; default: the broker's own (default.replication.factor). */
  replicationFactor?: number;
}

/** A partition's offsets: `start` is the first record still there, `end` the next offset to be written. */
export interface PartitionOffsets {
  partition: number;
  start: string;
  end: string;
}

/** Where to read one partition from; it is read up to its end as it was when the read began. */
export interface PartitionRead {
  partition: number;
  /** The first offset to read; below the partition's start reads from the start. */
  from: string;
}

/** What a read reached, per partition: the next offset to read (the end it was read to). */
export interface PartitionReadResult {
  partition: number;
  next: string;
  records: number;
}

/**
 * The topic side of the port (a second interface, so the consume/produce port stays small): what state kept in
 * a changelog needs. Two adapters (kafkajs, in-memory) and one conformance suite, like the transport.
 */
export interface TopicAdmin {
  /** Creates the topic unless it exists; says whether it was created and how many partitions it has. Never
   *  changes an existing topic (a partition count that does not match is the caller's error to report). */
  ensureTopic(spec: TopicSpec): Promise<{ created: boolean; partitions: number }>;
  /** Every partition's start and end offsets, in partition order. Fails when the topic does not exist. */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * Reads the given partitions of a topic, each from its `from` to the end it had when the read began, without
   * a consumer group's offsets (nothing is committed), handing records to `handler` in offset order per
   * partition. Resolves once every partition reached its end; a handler that throws fails the read.
   */
  readPartitions(
    topic: string,
    reads: readonly PartitionRead[],
    handler: (records: readonly ConsumedRecord[]) => Promise<void> | void,
  ): Promise<PartitionReadResult[]>;
  close(): Promise<void>;
}
