import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTopics } from '@scam-detector/transport';
import { vi } from 'vitest';
import { KAFKA_SH } from './harness.js';

const run = promisify(execFile);

/**
 * Ports for brokers and proxies a test starts besides the shared broker. TEST_PORT_RANGE="first-last" confines
 * them to a range (machines shared by several people give each a range); otherwise the OS picks free ones.
 */
let nextInRange = 0;
export async function extraPorts(count: number): Promise<number[]> {
  const range = process.env.TEST_PORT_RANGE?.match(/^(\d+)-(\d+)$/);
  if (range) {
    const first = Number(range[1]);
    const size = Number(range[2]) - first + 1;
    return Array.from({ length: count }, () => first + (nextInRange++ % size));
  }
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
          });
        }),
    ),
  );
}

export interface ExtraBrokerOptions {
  port: number;
  controllerPort: number;
  /** A second listener on `port` of its own, advertised as `advertisedPort` (a proxy in front of it). */
  proxied?: { port: number; advertisedPort: number };
  /** Topics `up` creates (6 partitions each). */
  topics: { input: string; output: string; dlq: string };
}

export interface ExtraBroker {
  bootstrap: string;
  up(): Promise<void>;
  down(): Promise<void>;
  /** Stops it and deletes its run dir. */
  clean(): Promise<void>;
}

/** A broker of its own (scripts/kafka/kafka.sh with its own run dir and ports), for tests that stop and start
 *  a broker or put a proxy in front of it without disturbing the shared one. */
export async function extraBroker(options: ExtraBrokerOptions): Promise<ExtraBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'it-broker-'));
  const env = {
    ...process.env,
    KAFKA_HOME_DIR: join(dir, 'run'),
    KAFKA_PORT: String(options.port),
    KAFKA_CONTROLLER_PORT: String(options.controllerPort),
    KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
    KAFKA_START_TIMEOUT: '300', // seconds; ~15 s on a quiet machine, minutes on an overloaded one
    INPUT_TOPIC: options.topics.input,
    OUTPUT_TOPIC: options.topics.output,
    DLQ_TOPIC: options.topics.dlq,
    ...(options.proxied
      ? {
          KAFKA_PROXIED_PORT: String(options.proxied.port),
          KAFKA_PROXIED_ADVERTISED_PORT: String(options.proxied.advertisedPort),
        }
      : {}),
  };
  const kafka = (command: string) => run('bash', [KAFKA_SH, command], { env, maxBuffer: 16 << 20 });
  return {
    bootstrap: `127.0.0.1:${options.port}`,
    up: async () => {
      // On a loaded machine kafka.sh's topic tool (a JVM with short timeouts) can give up on a broker that has
      // just started ("Timed out waiting for a node assignment") although the broker is up: then create the
      // topics through kafkajs, which waits for their leaders.
      try {
        await kafka('up');
      } catch (error) {
        await kafka('status').catch(() => {
          throw error;
        });
        const { input, output, dlq } = options.topics;
        await vi.waitFor(() => createTopics([`127.0.0.1:${options.port}`], [input, output, dlq], 6), {
          timeout: 120_000,
          interval: 1000,
        });
      }
    },
    down: async () => {
      await kafka('down');
    },
    clean: async () => {
      await kafka('clean').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
