import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRUTH_HEADER } from '@scam-detector/core';
import { committedOffsets } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import {
  BROKERS,
  coverage,
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  paceEvents,
  processorEnv,
  REPO,
  readTopic,
  startService,
  testEvents,
  testTransport,
  waitForAssignment,
  wrongResults,
} from './harness.js';

describe('processor replicas in one consumer group (real broker)', () => {
  it('two processor processes split the partitions and together score every event of a 20k run correctly', async () => {
    const topics = await freshTopics(6);
    const { path, model } = await modelFile(1);
    const a = startService(PROCESSOR_MAIN, processorEnv(topics, path));
    const b = startService(PROCESSOR_MAIN, processorEnv(topics, path));
    expect(await waitForAssignment([a, b], 6)).toEqual([3, 3]);

    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    const producer = await transport.producer();
    await producer.send(testEvents(topics.input, 20_000, 7));
    await output.waitFor(20_000);

    const results = output.results();
    const { seqs, duplicates } = coverage(results);
    expect(seqs.size).toBe(20_000);
    expect(duplicates).toBe(0);
    expect(wrongResults(results, [model])).toEqual([]);
    for (const [i, record] of output.records.entries()) {
      const result = results[i];
      expect(record.key?.toString()).toBe(result?.call.caller);
      expect(record.headers[TRUTH_HEADER]?.toString()).toBe(String(result?.truth_label));
    }
    const scoredByA = await a.metric('processor_events_scored_total');
    const scoredByB = await b.metric('processor_events_scored_total');
    expect(scoredByA).toBeGreaterThan(0);
    expect(scoredByB).toBeGreaterThan(0);
    expect(scoredByA + scoredByB).toBe(20_000);
    // Once traffic stops, the last acknowledged batches are committed too: the group shows no lag.
    await expect
      .poll(
        async () =>
          [...(await committedOffsets(BROKERS, topics.group, topics.input)).values()].reduce(
            (a, b) => a + b,
            0,
          ),
        {
          timeout: 30_000,
        },
      )
      .toBe(20_000);
  });

  it('SIGKILL of one of two processors mid-run loses nothing: every input has a result (duplicates reported)', async () => {
    const topics = await freshTopics(6);
    const { path, model } = await modelFile(2);
    const a = startService(PROCESSOR_MAIN, processorEnv(topics, path));
    const b = startService(PROCESSOR_MAIN, processorEnv(topics, path));
    await waitForAssignment([a, b], 6);

    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    const producer = await transport.producer();
    const events = testEvents(topics.input, 50_000, 8);
    const producing = paceEvents(producer, events, 10_000);
    await output.waitFor(15_000);
    b.kill('SIGKILL');
    expect(await b.exited).toBe('SIGKILL');
    expect((await producing).sent).toBe(50_000);

    // The survivor takes over the dead member's partitions after the session timeout and re-reads from their
    // last committed offsets.
    await waitForAssignment([a], 6);
    await output.waitFor(50_000);
    await expect
      .poll(() => coverage(output.results()).seqs.size, { timeout: 120_000, interval: 500 })
      .toBe(50_000);
    const results = output.results();
    const { duplicates } = coverage(results);
    expect(wrongResults(results, [model])).toEqual([]);
    expect(a.child.exitCode).toBeNull();

    const report = { name: 'sigkill_one_of_two_duplicates', value: duplicates, unit: 'results', of: 50_000 };
    console.log(JSON.stringify(report));
    mkdirSync(join(REPO, 'artifacts/test-results'), { recursive: true });
    writeFileSync(
      join(REPO, 'artifacts/test-results/sigkill-duplicates.json'),
      `${JSON.stringify(report)}\n`,
    );
  });
});
