import { CallerStates, type CallInput, createLogger } from '@scam-detector/core';
import type { Producer, TopicAdmin } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import {
  ChangelogConfigError,
  ensureChangelog,
  PartitionStateWriter,
  type RestoreResult,
  restorePartition,
} from '../../src/state/changelog.js';
import type { PartitionStateStore, StateStoreProvider } from '../../src/state/types.js';

/**
 * Durable caller state, end to end: states written through the changelog and the local store come back exactly
 * (byte for byte) whatever happened to the local store. Run on the in-memory bus and store (unit) and on the
 * real broker with the on-disk store (integration).
 */
export interface RestoreContext {
  admin(): TopicAdmin;
  /** A producer of the same bus or broker, closed when the test finishes. */
  producer(): Promise<Producer>;
  /** A fresh input topic with that many partitions. */
  inputTopic(partitions: number): Promise<string>;
  /** A fresh changelog name (not created); deleted when the test finishes. */
  changelogName(): string;
  /** The local store as a processor finds it at start-up (the same storage every call, until `lose`). */
  provider(): StateStoreProvider;
  /** Deletes the local storage entirely (a new pod, a lost volume). */
  lose(): Promise<void>;
  /** Damages one committed state of a partition behind the store's back (stores closed). */
  corrupt(partition: number): Promise<void>;
}

const logger = createLogger('restore-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const PARTITIONS = 3;
const HOUR_MS = 3_600_000;
/** The caller-state record's event-time watermark (ms): its third float64 (services/core/src/caller-state.ts). */
const lastActivityMs = (state: Uint8Array): number => Buffer.from(state).readDoubleLE(16);

/** Callers of one partition, their feature states, and the changes a processor would write. */
class PartitionWorld {
  states = new CallerStates();
  offset = 0;

  constructor(readonly partition: number) {}

  /** Applies one call for each of `count` callers starting at `first`, at event time `atMs`; returns the changes. */
  calls(first: number, count: number, atMs: number): Map<string, Uint8Array> {
    const changes = new Map<string, Uint8Array>();
    for (let i = first; i < first + count; i++) {
      const caller = `+44${this.partition}${String(i).padStart(7, '0')}`;
      const event: CallInput = {
        ts: (atMs + i * 1000) / 1000,
        call_duration: 1 + ((i * 37 + this.offset) % 400),
        hour_of_day: (i + this.offset) % 24,
        num_digits: 12,
        freq_calls: 0,
        callee: `+4477${String((i * 7919 + this.offset) % 5000).padStart(6, '0')}`,
      };
      this.states.update(caller, event, this.offset++);
      changes.set(caller, this.states.read(caller) as Uint8Array);
    }
    return changes;
  }

  forget(callers: readonly string[]): void {
    // CallerStates has no delete: rebuild without them.
    const keep = new CallerStates();
    for (const [caller, state] of this.expected()) if (!callers.includes(caller)) keep.write(caller, state);
    this.states = keep;
  }

  expected(): Map<string, Uint8Array> {
    const result = new Map<string, Uint8Array>();
    for (const caller of this.callers) {
      const state = this.states.read(caller);
      if (state) result.set(caller, state);
    }
    return result;
  }

  readonly callers = new Set<string>();
}

async function contents(store: PartitionStateStore): Promise<Map<string, Uint8Array>> {
  const result = new Map<string, Uint8Array>();
  for await (const [caller, state] of store.entries()) result.set(caller, state);
  return result;
}

export function restoreSuite(name: string, makeContext: () => RestoreContext, timeoutMs: number): void {
  describe(`durable caller state (${name})`, () => {
    /** Writes rounds of calls for every partition through the changelog, evicting idle callers on the way. */
    async function writeHistory(context: RestoreContext) {
      const input = await context.inputTopic(PARTITIONS);
      const changelogTopic = context.changelogName();
      const admin = context.admin();
      expect(await ensureChangelog(admin, { changelogTopic, inputTopic: input })).toEqual({
        created: true,
        partitions: PARTITIONS,
      });
      const producer = await context.producer();
      const provider = context.provider();
      const worlds: PartitionWorld[] = [];
      const evicted: string[] = [];
      const start = Date.UTC(2026, 0, 5);
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const { store, result } = await restorePartition({
          admin,
          provider,
          changelogTopic,
          partition,
          logger,
        });
        expect(result).toMatchObject({ partition, reason: 'missing', records: 0, checkpoint: '0' });
        const writer = new PartitionStateWriter(store, producer, changelogTopic, result.checkpoint);
        const world = new PartitionWorld(partition);
        // Callers 0-199 call on day 1; 100-299 on each of days 2 and 3 (so 0-99 go idle); then eviction.
        for (const [first, day] of [
          [0, 0],
          [100, 1],
          [100, 2],
        ] as const) {
          const changes = world.calls(first, 200, start + day * 24 * HOUR_MS);
          for (const caller of changes.keys()) world.callers.add(caller);
          await writer.write(changes);
        }
        const gone = await writer.evictIdle(start + 3 * 24 * HOUR_MS, 36 * HOUR_MS, lastActivityMs);
        expect(gone).toHaveLength(100);
        world.forget(gone);
        evicted.push(...gone);
        await store.close();
        worlds.push(world);
      }
      return { admin, changelogTopic, evicted, worlds, producer };
    }

    async function restoreAll(
      context: RestoreContext,
      admin: TopicAdmin,
      changelogTopic: string,
      worlds: PartitionWorld[],
    ): Promise<RestoreResult[]> {
      const results: RestoreResult[] = [];
      const provider = context.provider();
      for (const world of worlds) {
        const { store, result } = await restorePartition({
          admin,
          provider,
          changelogTopic,
          partition: world.partition,
          logger,
        });
        try {
          const restored = await contents(store);
          const expected = world.expected();
          expect(restored.size, `partition ${world.partition}`).toBe(expected.size);
          for (const [caller, state] of expected) expect(restored.get(caller), caller).toEqual(state);
          expect(await store.checkpoint()).toBe(
            (await admin.partitionOffsets(changelogTopic))[world.partition]?.end,
          );
          results.push(result);
        } finally {
          await store.close();
        }
      }
      return results;
    }

    it(
      'refuses a changelog whose partitions differ from the input’s, naming both',
      async () => {
        const context = makeContext();
        const admin = context.admin();
        const inputTopic = await context.inputTopic(PARTITIONS);
        const changelogTopic = context.changelogName();
        await admin.ensureTopic({ topic: changelogTopic, partitions: 2, compacted: true });
        const failure = ensureChangelog(admin, { changelogTopic, inputTopic });
        await expect(failure).rejects.toBeInstanceOf(ChangelogConfigError);
        await expect(failure).rejects.toThrow(
          `the state changelog ${changelogTopic} has 2 partitions but the input ${inputTopic} has 3`,
        );
      },
      timeoutMs,
    );

    it(
      'restores every caller exactly from the changelog alone when the local store is lost, evicted callers gone',
      async () => {
        const context = makeContext();
        const { admin, changelogTopic, evicted, worlds } = await writeHistory(context);
        await context.lose();
        const results = await restoreAll(context, admin, changelogTopic, worlds);
        // Every record of the changelog was read: 3 rounds of 200 states and 100 tombstones per partition.
        expect(results.map((r) => [r.reason, r.records])).toEqual(Array(PARTITIONS).fill(['missing', 700]));
        expect(evicted).toHaveLength(300);
      },
      timeoutMs,
    );

    it(
      'restores an intact local store from its checkpoint, reading only the changelog’s tail',
      async () => {
        const context = makeContext();
        const { admin, changelogTopic, worlds, producer } = await writeHistory(context);
        // Another owner carried on with partition 1 meanwhile: 50 more states in the changelog, not in our store.
        const world = worlds[1] as PartitionWorld;
        const changes = world.calls(150, 50, Date.UTC(2026, 0, 9));
        await producer.send(
          [...changes].map(([caller, state]) => ({
            topic: changelogTopic,
            partition: 1,
            key: caller,
            value: Buffer.from(state),
          })),
        );
        const results = await restoreAll(context, admin, changelogTopic, worlds);
        expect(results.map((r) => [r.reason, r.records])).toEqual([
          ['intact', 0],
          ['intact', 50],
          ['intact', 0],
        ]);
      },
      timeoutMs,
    );

    it(
      'detects a corrupt local store, wipes it and restores it exactly from the changelog',
      async () => {
        const context = makeContext();
        const { admin, changelogTopic, worlds } = await writeHistory(context);
        await context.corrupt(2);
        const results = await restoreAll(context, admin, changelogTopic, worlds);
        expect(results.map((r) => [r.reason, r.records])).toEqual([
          ['intact', 0],
          ['intact', 0],
          ['corrupt', 700],
        ]);
      },
      timeoutMs,
    );

    it(
      'rebuilds a local store that is ahead of its changelog (the changelog was recreated)',
      async () => {
        const context = makeContext();
        const { admin, changelogTopic, worlds } = await writeHistory(context);
        const store = await context.provider().open(0);
        store.put('+449999999', Uint8Array.of(1, 2, 3)); // a caller the changelog never had
        await store.commit('1000000');
        await store.close();
        const results = await restoreAll(context, admin, changelogTopic, worlds);
        expect(results.map((r) => [r.reason, r.records])).toEqual([
          ['ahead', 700],
          ['intact', 0],
          ['intact', 0],
        ]);
      },
      timeoutMs,
    );
  });
}
