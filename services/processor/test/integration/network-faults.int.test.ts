import { setTimeout as sleep } from 'node:timers/promises';
import { createEventSource } from '@scam-detector/producer';
import type { ConsumedRecord, Producer } from '@scam-detector/transport';
import { committedOffsets, createTopics, deleteTopicsAndGroups, endOffsets } from '@scam-detector/transport';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type ExtraBroker, extraBroker, extraPorts } from './brokers.js';
import {
  modelFile,
  PROCESSOR_MAIN,
  PRODUCER_MAIN,
  PRODUCER_PORT,
  paceEvents,
  processorEnv,
  readTopic,
  startService,
  type Topics,
  testEvents,
  testTransport,
  topicsOf,
  unique,
  waitForAssignment,
} from './harness.js';
import { type Toxic, Toxiproxy } from './toxiproxy.js';

/**
 * A real fault injector between the processor and the broker: Toxiproxy listens on 127.0.0.1 in front of a
 * listener of a broker of this file's own, and that listener advertises the proxy's address, so every
 * connection the processor opens (bootstrap, then the partition leader it is told about) goes through the
 * proxy. The test's own producer and reader use the broker's plain listener, so the stream stays paced at
 * RATE events/s and the outcome is read undisturbed.
 */
const RATE = 1000;
/** Seconds of clean traffic before the fault and after it. */
const BEFORE_S = 5;
const AFTER_S = 5;
const PROXY = 'kafka';

interface Fault {
  fault: string;
  seconds: number;
  toxics: Toxic[];
}

const FAULTS = {
  latency: {
    fault: 'latency 200 ms ± 50 ms (every answer)',
    seconds: 10,
    toxics: [
      { name: 'latency', type: 'latency', stream: 'downstream', attributes: { latency: 200, jitter: 50 } },
    ],
  },
  bandwidth: {
    fault: 'bandwidth 100 KB/s each way',
    seconds: 10,
    toxics: [
      { name: 'bw-down', type: 'bandwidth', stream: 'downstream', attributes: { rate: 100 } },
      { name: 'bw-up', type: 'bandwidth', stream: 'upstream', attributes: { rate: 100 } },
    ],
  },
  reset: {
    fault: 'every connection reset 3 s after it opens',
    seconds: 15,
    toxics: [{ name: 'reset', type: 'reset_peer', stream: 'downstream', attributes: { timeout: 3000 } }],
  },
  unreachable: {
    fault: 'broker unreachable 30 s (timeout toxic: nothing passes)',
    seconds: 30,
    toxics: [
      { name: 'cut-down', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } },
      { name: 'cut-up', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } },
    ],
  },
} satisfies Record<string, Fault>;

interface Sample {
  atS: number;
  ready: boolean;
  problems: string[];
  sinceAnswerS: number;
  /** processor_consumer_lag summed: the lag as of the processor's last fetch response. */
  lag: number;
  /** The group's lag as the broker sees it: end offsets minus committed offsets. */
  groupLag: number;
}

async function groupLag(brokers: string[], group: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    endOffsets(brokers, topic),
    committedOffsets(brokers, group, topic),
  ]);
  let total = 0;
  for (const [partition, end] of ends) total += end - Math.max(0, committed.get(partition) ?? 0);
  return total;
}

let broker: ExtraBroker;
let toxiproxy: Toxiproxy;
let direct: string[];
let proxied: string;

beforeAll(async () => {
  const [port, controllerPort, listenerPort, proxyPort, apiPort] = (await extraPorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  toxiproxy = await Toxiproxy.start(apiPort);
  await toxiproxy.createProxy(PROXY, `127.0.0.1:${proxyPort}`, `127.0.0.1:${listenerPort}`);
  const names = { input: unique('ft-raw'), output: unique('ft-scored'), dlq: unique('ft-dlq') };
  broker = await extraBroker({
    port,
    controllerPort,
    proxied: { port: listenerPort, advertisedPort: proxyPort },
    topics: names,
  });
  await broker.up();
  direct = [broker.bootstrap];
  proxied = `127.0.0.1:${proxyPort}`;
}, 600_000);

afterAll(async () => {
  await toxiproxy?.stop();
  await broker?.clean();
}, 120_000);

/** Counts what the broker acknowledged, so the test knows how much was sent when the fault ended. */
function counted(producer: Producer) {
  let sent = 0;
  return {
    sent: () => sent,
    producer: {
      async send(records) {
        await producer.send(records);
        sent += records.length;
      },
      close: () => producer.close(),
    } satisfies Producer,
  };
}

/** Sequence numbers seen in the output so far, parsed incrementally (the output grows while we look). */
function seqTracker(records: ConsumedRecord[]) {
  const seen = new Set<number>();
  let parsed = 0;
  let total = 0;
  const update = () => {
    for (; parsed < records.length; parsed++) {
      seen.add((JSON.parse(String(records[parsed]?.value)) as { call: { seq: number } }).call.seq);
      total++;
    }
  };
  return {
    /** True when every seq below `count` has a result. */
    covers(count: number): boolean {
      update();
      if (seen.size < count) return false;
      for (let seq = 0; seq < count; seq++) if (!seen.has(seq)) return false;
      return true;
    },
    missing(count: number): number {
      update();
      let missing = 0;
      for (let seq = 0; seq < count; seq++) if (!seen.has(seq)) missing++;
      return missing;
    },
    duplicates(): number {
      update();
      return total - seen.size;
    },
  };
}

async function runFault(spec: Fault) {
  const topics: Topics = {
    input: unique('ft-raw'),
    output: unique('ft-scored'),
    dlq: unique('ft-dlq'),
    group: unique('ft-group'),
    verdicts: unique('ft-verdicts'),
  };
  await vi.waitFor(() => createTopics(direct, [topics.input, topics.output, topics.dlq], 6), {
    timeout: 60_000,
    interval: 1000,
  });
  onTestFinished(() => deleteTopicsAndGroups(direct, topicsOf(topics), [topics.group]));
  const model = await modelFile(31);
  const processor = startService(
    PROCESSOR_MAIN,
    processorEnv(topics, model.path, { KAFKA_BROKERS: proxied }),
  );
  await waitForAssignment([processor], 6);

  const transport = testTransport(direct);
  const output = await readTopic(transport, topics.output);
  const seqs = seqTracker(output.records);
  const { producer, sent } = counted(await transport.producer());
  const total = RATE * (BEFORE_S + spec.seconds + AFTER_S);
  const sending = paceEvents(producer, testEvents(topics.input, total, 7), RATE);

  await sleep(BEFORE_S * 1000);
  for (const toxic of spec.toxics) await toxiproxy.addToxic(PROXY, toxic);
  const faultStart = performance.now();
  const samples: Sample[] = [];
  while (performance.now() - faultStart < spec.seconds * 1000) {
    const [readyz, sinceAnswerS, lag, broker] = await Promise.all([
      processor.readyz(),
      processor.metric('processor_kafka_seconds_since_answer'),
      processor.lagTotal(),
      groupLag(direct, topics.group, topics.input),
    ]);
    samples.push({
      atS: (performance.now() - faultStart) / 1000,
      ready: readyz.ready,
      problems: readyz.problems,
      sinceAnswerS,
      lag,
      groupLag: broker,
    });
    await sleep(1000);
  }
  for (const toxic of spec.toxics) await toxiproxy.removeToxic(PROXY, toxic.name);
  const removed = performance.now();
  const backlog = sent();
  await vi.waitFor(
    () => {
      if (!seqs.covers(backlog)) throw new Error(`${seqs.missing(backlog)} of ${backlog} not scored yet`);
    },
    { timeout: 240_000, interval: 250 },
  );
  const recoveryS = (performance.now() - removed) / 1000;
  await sending;
  await vi.waitFor(
    () => {
      if (!seqs.covers(total)) throw new Error(`${seqs.missing(total)} of ${total} not scored yet`);
    },
    { timeout: 120_000, interval: 250 },
  );
  const outcome = {
    fault: spec.fault,
    events: total,
    lost: seqs.missing(total),
    duplicates: seqs.duplicates(),
    recovery_s: Number(recoveryS.toFixed(1)),
    not_ready_samples: samples.filter((s) => !s.ready).length,
    samples: samples.length,
    max_lag: Math.max(0, ...samples.map((s) => s.lag)),
    max_group_lag: Math.max(0, ...samples.map((s) => s.groupLag)),
    max_seconds_since_answer: Math.max(0, ...samples.map((s) => s.sinceAnswerS)),
    crashes: await processor.metric('processor_consumer_crashes_total'),
  };
  // The fault table in docs/ is made of these lines.
  console.log(JSON.stringify({ name: 'network_fault', ...outcome }));
  await vi.waitFor(async () => expect((await processor.readyz()).ready).toBe(true), {
    timeout: 60_000,
    interval: 500,
  });
  return { ...outcome, samplesList: samples };
}

describe('the processor behind a faulty network (Toxiproxy), at 1,000 events/s', () => {
  it('under 200 ms latency with jitter: loses nothing and stays ready', async () => {
    const result = await runFault(FAULTS.latency);
    expect(result.lost).toBe(0);
    expect(result.not_ready_samples).toBe(0);
  });

  it('with 100 KB/s each way: loses nothing, stays ready, and the group lag shows the backlog building', async () => {
    const result = await runFault(FAULTS.bandwidth);
    expect(result.lost).toBe(0);
    expect(result.not_ready_samples).toBe(0);
    // The backlog sits in the slow link, not at the broker: every fetch response the processor gets is complete
    // up to the high watermark it names, so its own lag metric stays low; the group's committed offsets show it.
    expect(result.max_group_lag).toBeGreaterThan(RATE);
  });

  it('with connections reset every few seconds: loses nothing', async () => {
    const result = await runFault(FAULTS.reset);
    expect(result.lost).toBe(0);
  });

  it('with the broker unreachable for 30 s: loses nothing, says so in /readyz and metrics, then drains', async () => {
    const result = await runFault(FAULTS.unreachable);
    expect(result.lost).toBe(0);
    const cutOff = result.samplesList.filter((s) => s.atS > 20);
    expect(cutOff.length).toBeGreaterThan(0);
    for (const sample of cutOff) {
      expect(sample.ready).toBe(false);
      expect(sample.problems.join('; ')).toMatch(/no answer from Kafka|no partitions assigned|not consuming/);
      expect(sample.sinceAnswerS).toBeGreaterThan(15);
    }
  });
});

describe('the producer when the broker goes away for longer than kafkajs retries', () => {
  it('waits 45 s with its batch in hand, says so in /readyz, then sends everything it generated', async () => {
    const COUNT = 4000;
    const OUTAGE_S = 45;
    const SEED = 23;
    const input = unique('ft-raw');
    await vi.waitFor(() => createTopics(direct, [input], 6), { timeout: 60_000, interval: 1000 });
    onTestFinished(() => deleteTopicsAndGroups(direct, [input], []));
    const received = await readTopic(testTransport(direct), input);
    const producer = startService(
      PRODUCER_MAIN,
      { KAFKA_BROKERS: proxied, INPUT_TOPIC: input, PRODUCER_PROFILE: 'default' },
      ['--rate', '400', '--count', String(COUNT), '--seed', String(SEED), '--callers', '1000'],
      PRODUCER_PORT,
    );
    await received.waitFor(1000);

    // The broker refuses every connection (the proxy is disabled) for 45 s: kafkajs gives up after ~30 s.
    await toxiproxy.setEnabled(PROXY, false);
    const cut = performance.now();
    await vi.waitFor(
      async () => {
        const readyz = await producer.get('/readyz');
        if (readyz.status !== 503) throw new Error(`producer /readyz ${readyz.status}`);
        expect(JSON.stringify(readyz.body)).toMatch(/no Kafka broker answers/);
      },
      { timeout: 90_000, interval: 1000 },
    );
    await producer.waitForLine(/holding the batch in hand and retrying/, 5000);
    await sleep(Math.max(0, cut + OUTAGE_S * 1000 - performance.now()));
    expect(producer.child.exitCode).toBeNull();
    await toxiproxy.setEnabled(PROXY, true);

    expect(await producer.exited).toBe(0);
    await producer.waitForLine(/Kafka answers again/, 5000);
    // What the producer generated, event for event (its stream is seeded; only the timestamps differ).
    const withoutTs = (value: string) => {
      const { ts: _ts, ...rest } = JSON.parse(value) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const next = createEventSource({ profile: 'default', seed: SEED, callers: 1000, topic: input });
    const expected = Array.from({ length: COUNT }, () => withoutTs(String(next(0).value)));
    await received.waitFor(COUNT);
    const got = new Set(received.records.map((r) => withoutTs(String(r.value))));
    const lost = expected.filter((e) => !got.has(e)).length;
    console.log(
      JSON.stringify({
        name: 'producer_outage',
        outage_s: OUTAGE_S,
        events: COUNT,
        lost,
        duplicates: received.records.length - got.size,
      }),
    );
    expect(lost).toBe(0);
  }, 300_000);
});
