import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  freshTopics,
  modelFile,
  PROCESSOR_MAIN,
  processorEnv,
  readTopic,
  startService,
  testEvents,
  testTransport,
  waitForAssignment,
} from './harness.js';

describe('processor start-up', () => {
  it('stops with exit code 2 naming every bad variable', async () => {
    const processor = startService(PROCESSOR_MAIN, { HTTP_PORT: 'eighty', INPUT_TOPIC: 'no spaces allowed' });
    expect(await processor.exited).toBe(2);
    const fatal = processor.lines.map((l) => JSON.parse(l)).find((l) => l.level === 60);
    expect(fatal.problems).toHaveLength(2);
    expect(fatal.problems[0]).toMatch(/^INPUT_TOPIC="no spaces allowed" is invalid/);
    expect(fatal.problems[1]).toMatch(/^HTTP_PORT="eighty" is invalid/);
  });

  it('does not consume without a valid model, and starts as soon as a valid one appears', async () => {
    const topics = await freshTopics(2);
    const dir = await mkdtemp(join(tmpdir(), 'it-nomodel-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'model.json');
    await writeFile(path, '{"format":"not a model"}');
    const processor = startService(PROCESSOR_MAIN, processorEnv(topics, path));
    const transport = testTransport();
    const output = await readTopic(transport, topics.output);
    await (await transport.producer()).send(testEvents(topics.input, 100, 1));
    // After its topic checks (the verdicts topic is created first).
    await vi.waitFor(
      () => {
        expect(processor.lines.some((l) => l.includes('not consuming until one is loaded'))).toBe(true);
      },
      { timeout: 30_000, interval: 100 },
    );
    const notReady = await processor.readyz();
    expect(notReady).toMatchObject({ ready: false, model_version: null, assigned_partitions: 0 });
    expect(processor.lines.some((l) => l.includes('model rejected; waiting for a valid one'))).toBe(true);
    expect(await processor.metric('processor_events_in_total')).toBe(0);
    expect(output.records).toHaveLength(0);

    const { json } = await modelFile(1);
    await writeFile(path, json);
    await waitForAssignment([processor], 2);
    await output.waitFor(100);
    expect(output.records).toHaveLength(100);
  });
});
