import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BehaviourScorer,
  CallerStates,
  EXPLAINED_FEATURES,
  featureRecord,
  SCENARIO_HEADER,
  simulateWorld,
  TRUTH_HEADER,
  truthHeaders,
  writeFileAtomic,
} from '@scam-detector/core';
import type { ProducedRecord } from '@scam-detector/transport';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sealedBehaviourModel } from '../models.js';
import {
  freshTopics,
  PROCESSOR_MAIN,
  processorEnv,
  readTopic,
  startService,
  testTransport,
  waitForAssignment,
} from './harness.js';

/** The caller's features the explanation carries, from a full feature vector. */
const explained = (features: Float64Array) => {
  const all = featureRecord(features) as Record<string, number>;
  return Object.fromEntries(EXPLAINED_FEATURES.map((name) => [name, all[name]]));
};

describe('per-caller features through the real processor (real broker)', () => {
  it('explains every call with exactly the features the feature module computes for the same stream (train/serve parity), scores them with the behavioural model, old-format and late events included', async () => {
    const topics = await freshTopics(6);
    const dir = await mkdtemp(join(tmpdir(), 'it-behaviour-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const behaviour = sealedBehaviourModel(8);
    const modelPath = join(dir, 'model.json');
    await writeFileAtomic(modelPath, behaviour.json);
    const processor = startService(PROCESSOR_MAIN, processorEnv(topics, modelPath));
    await waitForAssignment([processor], 6);
    const scorer = new BehaviourScorer(behaviour.model);
    // A small simulated world from 08:00 (busy), in event-time order: what the trainer streams through
    // CallerStates.update, one store for all callers.
    const world = simulateWorld({
      seed: 21,
      days: 1,
      subscribers: 3000,
      bulkLines: 6,
      wangiriCampaignsPerDay: 40,
    });
    const events: Record<string, unknown>[] = [];
    const headers: Record<string, string>[] = [];
    for (const { event, truth } of world) {
      if (event.hour_of_day < 8) continue;
      const seq = events.length;
      // Every 10th call in the old contract (no callee), as the prototype's clients send them.
      const { callee, ...old } = event;
      events.push(seq % 10 === 9 ? { ...old, seq } : { ...event, seq });
      headers.push(truthHeaders(truth));
      if (events.length === 4000) break;
    }
    // Then a call 10 minutes behind its caller's latest one: later than the lateness bound.
    const busiest = events.at(-1) as Record<string, unknown>;
    events.push({ ...busiest, ts: (busiest.ts as number) - 600, seq: events.length });
    headers.push(headers.at(-1) as Record<string, string>);

    const reference = new CallerStates();
    const expected = events.map((e) => {
      const result = reference.update(e.caller as string, e as never);
      return {
        features: explained(result.features),
        late: result.late,
        score: scorer.score(result.features),
      };
    });
    expect(expected.at(-1)?.late).toBe(true);

    const output = await readTopic(testTransport(), topics.output);
    const producer = await testTransport().producer();
    const records: ProducedRecord[] = events.map((event, i) => ({
      topic: topics.input,
      key: event.caller as string,
      value: JSON.stringify(event),
      headers: headers[i] as Record<string, string>,
    }));
    for (let i = 0; i < records.length; i += 500) await producer.send(records.slice(i, i + 500));
    await output.waitFor(records.length);

    const bySeq = new Map(
      output.records.map((r) => [JSON.parse(r.value?.toString() ?? '{}').call.seq as number, r]),
    );
    expect(bySeq.size).toBe(records.length);
    let differing = 0;
    let scenarios = 0;
    for (const [seq, want] of expected.entries()) {
      const record = bySeq.get(seq);
      const result = JSON.parse(record?.value?.toString() ?? '{}');
      const same =
        JSON.stringify(result.explanation.features) === JSON.stringify(want.features) &&
        (result.explanation.late === true) === want.late &&
        result.model_version === behaviour.version &&
        result.predicted_label === want.score.label &&
        Math.abs(result.predicted_proba[1] - want.score.probability) <= 1e-6;
      if (!same) differing++;
      if (record?.headers[SCENARIO_HEADER]?.toString() === headers[seq]?.[SCENARIO_HEADER]) scenarios++;
      expect(record?.headers[TRUTH_HEADER]?.toString()).toBe(headers[seq]?.[TRUTH_HEADER]);
    }
    expect(differing).toBe(0);
    // The behavioural model tells the scenarios apart: it flags calls, and not all of them.
    const flagged = [...bySeq.values()].filter(
      (r) => JSON.parse(r.value?.toString() ?? '{}').predicted_label === 1,
    );
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.length).toBeLessThan(records.length / 2);
    expect(scenarios).toBe(records.length);
    // A caller with many distinct callees went past the exact set into the sketch, and it still matched.
    expect(Math.max(...expected.map((e) => e.features.distinct_callees_24h as number))).toBeGreaterThan(20);
    expect(await processor.metric('processor_late_events_total')).toBe(1);
    expect(await processor.metric('processor_caller_states')).toBe(reference.size);
  });
});
