import { writeFileAtomic } from '@scam-detector/core';
import { committedOffsets, endOffsets } from '@scam-detector/transport';
import { describe, expect, it } from 'vitest';
import { sealedModel } from '../models.js';
import {
  BROKERS,
  coverage,
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  paceEvents,
  processorEnv,
  readTopic,
  restartBrokerUnderProducer,
  type ScoredResult,
  soleProcessor,
  startService,
  testEvents,
  testTransport,
  waitForAssignment,
  wrongResults,
} from './harness.js';

/** The identity of an input in its result: the call as JSON (it travels through untouched). */
const identity = (call: unknown): string => JSON.stringify(call);

describe('recovery (real broker)', () => {
  it('broker stopped and restarted mid-run: producer and processor recover by themselves, nothing lost', async () => {
    const { topics, model, processor } = await soleProcessor(4);
    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    // The real producer service, as a process: 24,000 events at 2,000/s.
    const producer = await restartBrokerUnderProducer(topics.input, output, {
      rate: 2000,
      count: 24_000,
      seed: 11,
      after: 3000,
    });

    expect(await producer.exited).toBe(0);
    const input = await readTopic(transport, topics.input);
    await input.waitFor(24_000);
    const inputs = new Set(input.records.map((r) => identity(JSON.parse(r.value?.toString() ?? 'null'))));
    expect(inputs.size).toBe(24_000);
    await expect
      .poll(() => new Set(output.results().map((r) => identity(r.call))).size, {
        timeout: 180_000,
        interval: 500,
      })
      .toBe(24_000);
    const results = output.results();
    expect(results.every((r) => inputs.has(identity(r.call)))).toBe(true);
    expect(wrongResults(results, [model])).toEqual([]);
    expect(processor.child.exitCode).toBeNull();
    await expect.poll(async () => (await processor.readyz()).ready, { timeout: 60_000 }).toBe(true);
  });

  it('model file replaced mid-run: results switch to the new version, none lost, no restart; a broken file is ignored', async () => {
    const topics = await freshTopics(6);
    const first = await modelFile(5);
    const second = sealedModel(6, 3000);
    expect(second.version).not.toBe(first.model.version);
    const processor = startService(PROCESSOR_MAIN, processorEnv(topics, first.path));
    await waitForAssignment([processor], 6);
    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    const producer = await transport.producer();
    const events = testEvents(topics.input, 20_000, 12);
    const producing = paceEvents(producer, events, 4000);
    await output.waitFor(4000);
    await writeFileAtomic(first.path, second.json);
    await expect
      .poll(() => output.results().some((r) => r.model_version === second.version), { timeout: 60_000 })
      .toBe(true);
    await writeFileAtomic(first.path, second.json.replace('"k":', '"k_broken":'));
    await producing;
    await output.waitFor(events.length);

    const results = output.results();
    expect(coverage(results).seqs.size).toBe(events.length);
    expect(wrongResults(results, [first.model, second.model])).toEqual([]);
    const versions = new Set(results.map((r) => r.model_version));
    expect(versions).toEqual(new Set([first.model.version, second.version]));
    // Per caller (one partition, in order), results never go back to the old model after the new one.
    const lastByCaller = new Map<string, string>();
    const wentBack: ScoredResult[] = [];
    for (const result of results) {
      if (
        lastByCaller.get(result.call.caller) === second.version &&
        result.model_version !== second.version
      ) {
        wentBack.push(result);
      }
      lastByCaller.set(result.call.caller, result.model_version);
    }
    expect(wentBack).toEqual([]);
    // The last results (after the broken file was written) still come from the new model.
    expect(results.at(-1)?.model_version).toBe(second.version);
    await expect
      .poll(() => processor.metric('processor_model_loads_total{result="rejected"}'), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(processor.lines.some((l) => l.includes('model rejected; the previous model keeps serving'))).toBe(
      true,
    );
    expect(processor.child.exitCode).toBeNull();
    expect((await processor.readyz()).model_version).toBe(second.version);
  });

  it('graceful shutdown on SIGTERM: exits 0 within the deadline and commits only what it produced', async () => {
    const { topics, path, processor } = await soleProcessor(7);
    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    const producer = await transport.producer();
    await producer.send(testEvents(topics.input, 100_000, 13));
    await output.waitFor(2000);
    const signalled = performance.now();
    processor.kill('SIGTERM');
    expect(await processor.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(10_000);
    expect(processor.lines.some((l) => l.includes('stopped cleanly'))).toBe(true);
    // The stop committed exactly what had been produced: per partition (results are keyed by caller, like the
    // inputs, so input partition p feeds output partition p), the committed input offset equals the number of
    // results written.
    const committed = await committedOffsets(BROKERS, topics.group, topics.input);
    const written = await endOffsets(BROKERS, topics.output);
    expect([...written.values()].reduce((a, b) => a + b, 0)).toBeLessThan(100_000);
    for (let partition = 0; partition < 6; partition++) {
      expect(committed.get(partition) ?? -1, `partition ${partition}`).toBe(written.get(partition) ?? 0);
    }

    // A second processor finishes the work: everything is scored, and whatever the first one committed had
    // been produced (so nothing is missing).
    const successor = startService(PROCESSOR_MAIN, processorEnv(topics, path));
    await waitForAssignment([successor], 6);
    await expect
      .poll(() => coverage(output.results()).seqs.size, { timeout: 120_000, interval: 500 })
      .toBe(100_000);
  });
});
