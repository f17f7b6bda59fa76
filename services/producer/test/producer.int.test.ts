import {
  localHour,
  parseCallEvent,
  SCAM_SCENARIOS,
  SCENARIO_HEADER,
  SCENARIOS,
  TRUTH_HEADER,
} from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import {
  BROKERS,
  freshTopics,
  PRODUCER_MAIN,
  readTopic,
  startService,
  testTransport,
} from '../../processor/test/integration/harness.js';

describe('producer service (real broker)', () => {
  it('--count N sends exactly N valid events keyed by caller with the truth header, then exits 0', async () => {
    const topics = await freshTopics(6);
    const producer = startService(
      PRODUCER_MAIN,
      { KAFKA_BROKERS: BROKERS.join(','), INPUT_TOPIC: topics.input, PRODUCER_PROFILE: 'default' },
      ['--rate', '5000', '--count', '5000', '--callers', '300'],
    );
    expect(await producer.exited).toBe(0);
    const input = await readTopic(testTransport(), topics.input);
    await input.waitFor(5000);
    expect(input.records).toHaveLength(5000);
    const callers = new Set<string>();
    for (const record of input.records) {
      const parsed = parseCallEvent(record.value);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(record.key?.toString()).toBe(parsed.event.caller);
      expect(['0', '1']).toContain(record.headers[TRUTH_HEADER]?.toString());
      callers.add(parsed.event.caller);
    }
    expect(callers.size).toBeLessThanOrEqual(300);
  });

  it('runs until SIGTERM without --count, then exits 0 having sent what it said', async () => {
    const topics = await freshTopics(1);
    const producer = startService(
      PRODUCER_MAIN,
      { KAFKA_BROKERS: BROKERS.join(','), INPUT_TOPIC: topics.input, PRODUCER_PROFILE: 'prototype' },
      ['--rate', '1000'],
    );
    const input = await readTopic(testTransport(), topics.input);
    await input.waitFor(500);
    producer.kill('SIGTERM');
    expect(await producer.exited).toBe(0);
    const done = JSON.parse(producer.lines.find((l) => l.includes('"done"')) ?? '{}') as { sent: number };
    expect(done.sent).toBeGreaterThanOrEqual(500);
    await input.waitFor(done.sent);
    expect(input.records.every((r) => JSON.parse(r.value?.toString() ?? '{}').num_digits === 11)).toBe(true);
    expect(input.records.every((r) => r.headers[TRUTH_HEADER] === undefined)).toBe(true);
  });

  it('world profile (the default): the simulated world in event-time order from the start it was given (a local night), callee in the value, truth and scenario in headers only', async () => {
    const topics = await freshTopics(1);
    // 03:00 in Manila, the quietest hour: the test passes whatever the hour it runs at, night included.
    const producer = startService(
      PRODUCER_MAIN,
      { KAFKA_BROKERS: BROKERS.join(','), INPUT_TOPIC: topics.input },
      ['--count', '3000', '--speedup', '20000', '--seed', '7', '--start', '03:00'],
    );
    expect(await producer.exited).toBe(0);
    const input = await readTopic(testTransport(), topics.input);
    await input.waitFor(3000);
    expect(input.records).toHaveLength(3000);
    let previousTs = 0;
    const scenarios = new Set<string>();
    for (const record of input.records) {
      const parsed = parseCallEvent(record.value);
      if (!parsed.ok) throw new Error(parsed.detail);
      expect(record.key?.toString()).toBe(parsed.event.caller);
      expect(parsed.event.callee).toMatch(/^09\d{9}$/);
      expect(parsed.event.ts).toBeGreaterThanOrEqual(previousTs);
      previousTs = parsed.event.ts;
      const scenario = record.headers[SCENARIO_HEADER]?.toString() ?? '';
      expect(SCENARIOS).toContain(scenario);
      scenarios.add(scenario);
      expect(record.headers[TRUTH_HEADER]?.toString()).toBe(
        SCAM_SCENARIOS.includes(scenario as never) ? '1' : '0',
      );
      expect(record.value?.toString()).not.toContain(scenario);
    }
    expect(scenarios.has('ordinary')).toBe(true);
    // The first event is at or after 03:00 local, within the simulated hour that followed.
    const first = parseCallEvent(input.records[0]?.value ?? null);
    if (!first.ok) throw new Error(first.detail);
    expect(localHour(first.event.ts * 1000)).toBe(3);
    expect(producer.lines.join('\n')).toMatch(/"start":"\d{4}-\d\d-\d\d 03:00 UTC\+8"/);
  });

  it('stops at start-up naming a bad world start, on the command line or in PRODUCER_WORLD_START', async () => {
    const flag = startService(PRODUCER_MAIN, {}, ['--start', '25:00']);
    expect(await flag.exited).toBe(2);
    expect(flag.lines.join('\n')).toMatch(
      /--start <when>' argument '25:00' is invalid\. must be "now", a local time of day HH:MM/,
    );
    const env = startService(PRODUCER_MAIN, { PRODUCER_WORLD_START: 'tonight' });
    expect(await env.exited).toBe(2);
    const fatal = env.lines.map((l) => JSON.parse(l)).find((l) => l.level === 60);
    expect(fatal?.problems?.[0]).toMatch(
      /^PRODUCER_WORLD_START="tonight" is invalid: must be "now", a local time of day HH:MM/,
    );
  });

  it('stops at start-up naming a bad variable', async () => {
    const producer = startService(PRODUCER_MAIN, { PRODUCER_RATE: 'fast' });
    expect(await producer.exited).toBe(2);
    const fatal = producer.lines.map((l) => JSON.parse(l)).find((l) => l.level === 60);
    expect(fatal?.problems).toEqual(['PRODUCER_RATE="fast" is invalid: must be a number']);
  });
});
