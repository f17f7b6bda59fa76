import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@scam-detector/core';
import {
  createKafkajsTopicAdmin,
  createKafkajsTransport,
  createTopics,
  deleteTopicsAndGroups,
} from '@scam-detector/transport';
import { ClassicLevel } from 'classic-level';
import { onTestFinished } from 'vitest';
import { DiskStateStoreProvider } from '../../src/state/disk-store.js';
import { BROKERS, unique } from '../integration/harness.js';
import { restoreSuite } from './restore-suite.js';

const logger = createLogger('restore-int', process.env.TEST_LOG_LEVEL ?? 'silent');

restoreSuite(
  'real broker, on-disk store',
  () => {
    let directory: string | undefined;
    const dir = (): string => {
      if (!directory) throw new Error('no directory yet');
      return directory;
    };
    const providers: DiskStateStoreProvider[] = [];
    const ready = mkdtemp(join(tmpdir(), 'restore-int-')).then((made) => {
      directory = made;
      onTestFinished(() => rm(made, { recursive: true, force: true }));
    });
    onTestFinished(async () => {
      await Promise.all(providers.map((p) => p.close()));
    });
    // Each call is a fresh process's view of the same directory.
    const provider = (): DiskStateStoreProvider => {
      const made = new DiskStateStoreProvider({ directory: '', hotSetSize: 50 });
      Object.assign(made, {
        open: async (partition: number) => {
          await ready;
          const real = new DiskStateStoreProvider({ directory: dir(), hotSetSize: 50 });
          providers.push(real);
          return real.open(partition);
        },
        wipe: async (partition: number) => {
          await ready;
          return new DiskStateStoreProvider({ directory: dir() }).wipe(partition);
        },
      });
      return made;
    };
    return {
      admin: () => {
        const admin = createKafkajsTopicAdmin({ brokers: BROKERS, clientId: unique('restore'), logger });
        onTestFinished(() => admin.close());
        return admin;
      },
      producer: async () => {
        const transport = createKafkajsTransport({ brokers: BROKERS, clientId: unique('restore'), logger });
        onTestFinished(() => transport.close());
        return transport.producer();
      },
      inputTopic: async (partitions) => {
        const name = unique('restore-input');
        await createTopics(BROKERS, [name], partitions);
        onTestFinished(() => deleteTopicsAndGroups(BROKERS, [name]));
        return name;
      },
      changelogName: () => {
        const name = unique('restore-changelog');
        onTestFinished(() => deleteTopicsAndGroups(BROKERS, [name]));
        return name;
      },
      provider,
      lose: async () => {
        await ready;
        await rm(dir(), { recursive: true, force: true });
      },
      // One state's last byte flipped behind the store's back: LevelDB reads it, its checksum does not match.
      corrupt: async (partition) => {
        await ready;
        const db = new ClassicLevel<string, Buffer>(join(dir(), `partition-${partition}`), {
          valueEncoding: 'buffer',
        });
        await db.open();
        for await (const [key, value] of db.iterator({ gte: 's:', lt: 's;', limit: 1 })) {
          const damaged = Buffer.from(value);
          damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0xff;
          await db.put(key, damaged, { sync: true });
        }
        await db.close();
      },
    };
  },
  120_000,
);
