import { setTimeout as sleep } from 'node:timers/promises';
import { createTopics, deleteTopicsAndGroups } from '@scam-detector/transport';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { extraBroker, extraPorts } from './brokers.js';
import {
  BROKERS,
  type ChildService,
  DASHBOARD_MAIN,
  DASHBOARD_PORT,
  modelFile,
  PROCESSOR_MAIN,
  PRODUCER_MAIN,
  processorEnv,
  readTopic,
  startService,
  type Topics,
  testTransport,
  topicsOf,
  unique,
} from './harness.js';

/** Events the producer sends in each scenario (at 500/s: a few seconds of traffic). */
const EVENTS = 3000;
/** How long after the services the topics (or the broker) appear: the scenario. */
const LATE_MS = 10_000;

const topicNames = (): Topics => ({
  input: unique('it-raw'),
  output: unique('it-scored'),
  dlq: unique('it-dlq'),
  group: unique('it-group'),
  verdicts: unique('it-verdicts'),
});

/** The producer, the processor and the dashboard, as separate processes, all on `brokers`. */
async function startAll(brokers: string, topics: Topics, dashboardEnv: Record<string, string> = {}) {
  const model = await modelFile(21);
  const kafka = { KAFKA_BROKERS: brokers };
  const processor = startService(PROCESSOR_MAIN, {
    ...processorEnv(topics, model.path),
    ...kafka,
  });
  // The paced profile, named: the world (the producer's default) ignores --rate and follows its simulated clock,
  // which at a night hour makes a trickle; this test is about start order, not the world.
  const producer = startService(
    PRODUCER_MAIN,
    { ...kafka, INPUT_TOPIC: topics.input, HTTP_PORT: '0', PRODUCER_PROFILE: 'default' },
    ['--rate', '500', '--count', String(EVENTS), '--seed', '5'],
  );
  const dashboard = startService(
    DASHBOARD_MAIN,
    {
      ...kafka,
      OUTPUT_TOPIC: topics.output,
      DLQ_TOPIC: topics.dlq,
      CALLER_VERDICTS_TOPIC: topics.verdicts,
      MODEL_PATH: model.path,
      ...dashboardEnv,
    },
    ['--port', '0'],
    DASHBOARD_PORT,
  );
  return { processor, producer, dashboard };
}

/** Every service is alive, says once in its log what it waits for, and is not ready, with that reason. */
async function expectWaiting(
  services: { processor: ChildService; producer: ChildService; dashboard: ChildService },
  reason: RegExp,
) {
  for (const service of Object.values(services)) await service.waitForLine(reason);
  const processorReady = await services.processor.readyz();
  expect(processorReady.ready).toBe(false);
  expect(processorReady.problems.some((p) => reason.test(p))).toBe(true);
  const dashboardReady = await services.dashboard.get('/readyz');
  expect(dashboardReady.status).toBe(503);
  expect(JSON.stringify(dashboardReady.body)).toMatch(reason);
  for (const service of Object.values(services)) {
    expect(service.child.exitCode).toBeNull();
    // One line per reason, not one per retry.
    expect(
      service.lines.filter((l) => reason.test(l) && l.includes('"level":40')).length,
    ).toBeLessThanOrEqual(2);
  }
}

/** The producer finishes, and every event it sent is scored exactly once and counted on the dashboard. */
async function expectEverythingScoredAndShown(
  brokers: string[],
  topics: Topics,
  services: { processor: ChildService; producer: ChildService; dashboard: ChildService },
) {
  expect(await services.producer.exited).toBe(0);
  const output = await readTopic(testTransport(brokers), topics.output);
  await output.waitFor(EVENTS);
  const distinct = new Set(output.records.map((r) => JSON.stringify(JSON.parse(String(r.value)).call)));
  expect(distinct.size).toBe(EVENTS);
  await vi.waitFor(
    async () => {
      const stats = (await services.dashboard.get('/api/stats')).body as { total_scored: number };
      expect(stats.total_scored).toBeGreaterThanOrEqual(EVENTS);
    },
    { timeout: 60_000, interval: 500 },
  );
  expect((await services.processor.readyz()).ready).toBe(true);
  expect((await services.dashboard.get('/readyz')).status).toBe(200);
}

describe('any start order', () => {
  it('services started before their topics exist wait for them, then every event is scored and shown', async () => {
    const topics = topicNames();
    onTestFinished(() => deleteTopicsAndGroups(BROKERS, topicsOf(topics), [topics.group]));
    const started = Date.now();
    const services = await startAll(BROKERS.join(','), topics);
    await expectWaiting(services, /waiting for topics? .*to exist/);
    await sleep(Math.max(0, started + LATE_MS - Date.now())); // the scenario: topics appear 10 s later
    await createTopics(BROKERS, [topics.input, topics.output, topics.dlq], 6);
    await expectEverythingScoredAndShown(BROKERS, topics, services);
  });

  it('services started before the broker wait for it, then every event is scored and shown', async () => {
    const topics = topicNames();
    const [port, controllerPort] = await extraPorts(2);
    const broker = await extraBroker({
      port: port as number,
      controllerPort: controllerPort as number,
      topics,
    });
    onTestFinished(() => broker.clean());
    const started = Date.now();
    // The broker and its topics are new, so the dashboard may read them from the beginning: all of it is new.
    const services = await startAll(broker.bootstrap, topics, { DASHBOARD_FROM_BEGINNING: 'true' });
    await expectWaiting(services, /no Kafka broker answers/);
    await sleep(Math.max(0, started + LATE_MS - Date.now())); // the scenario: the broker starts 10 s later
    await broker.up(); // also creates the three topics
    await expectEverythingScoredAndShown([broker.bootstrap], topics, services);
  }, 600_000); // formatting and starting a broker JVM takes ~15 s here, minutes on an overloaded machine
});
