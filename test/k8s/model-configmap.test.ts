import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, type Model } from '@scam-detector/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  coverage,
  freshTopics,
  PROCESSOR_MAIN,
  processorEnv,
  readTopic,
  startService,
  testEvents,
  testTransport,
  wrongResults,
} from '../../services/processor/test/integration/harness.js';
import { mustRun, namespaceWithRelease, ROOT, run, serviceAccountKubeconfig } from './support.js';

/**
 * The cluster path end to end, minus the kubelet: the trainer and the processor run as local processes that
 * authenticate with their chart ServiceAccounts' tokens, against the real API server and the local broker.
 */
const MODEL = 'rel-scam-detector-model';
const TRAINER_MAIN = join(ROOT, 'services/trainer/dist/main.js');
let namespace: string;
let dir: string;
let trainerEnv: NodeJS.ProcessEnv;
let processorKube: NodeJS.ProcessEnv;

async function trainInto(seed: number): Promise<string> {
  const out = await mustRun(
    process.execPath,
    [
      TRAINER_MAIN,
      'train',
      '--prototype',
      '--samples',
      '3000',
      '--folds',
      '3',
      '--seed',
      String(seed),
      '--out',
      join(dir, `model-${seed}.json`),
      '--configmap',
      MODEL,
      '--json',
    ],
    { env: { ...trainerEnv, KUBE_NAMESPACE: namespace } },
  );
  return (JSON.parse(out) as { model_version: string }).model_version;
}

async function modelInConfigMap(): Promise<Model> {
  const text = await mustRun('kubectl', [
    'get',
    'configmap',
    MODEL,
    '--namespace',
    namespace,
    '-o',
    'jsonpath={.data.model\\.json}',
  ]);
  return decodeModel(text);
}

/** A processor process reading its model from the ConfigMap, as the processor ServiceAccount. */
function startConfigMapProcessor(topics: Awaited<ReturnType<typeof freshTopics>>) {
  return startService(
    PROCESSOR_MAIN,
    processorEnv(topics, '/nonexistent', {
      MODEL_SOURCE: 'configmap',
      MODEL_CONFIGMAP: MODEL,
      KUBE_NAMESPACE: namespace,
      KUBECONFIG: processorKube.KUBECONFIG as string,
    }),
  );
}

beforeAll(async () => {
  execFileSync(join(ROOT, 'scripts/kafka/kafka.sh'), ['up'], { stdio: 'inherit' });
  namespace = await namespaceWithRelease('model-cm', '127.0.0.1:9092');
  dir = await mkdtemp(join(tmpdir(), 'model-cm-'));
  trainerEnv = await serviceAccountKubeconfig(
    namespace,
    'rel-scam-detector-trainer',
    join(dir, 'trainer.kubeconfig'),
  );
  processorKube = await serviceAccountKubeconfig(
    namespace,
    'rel-scam-detector-processor',
    join(dir, 'processor.kubeconfig'),
  );
});

afterAll(async () => {
  await run('kubectl', ['delete', 'namespace', namespace, '--wait=false']);
  await rm(dir, { recursive: true, force: true });
});

describe('the model ConfigMap between the trainer and a running processor', () => {
  it('waits for the model, scores with it, hot-swaps a retrained one with no restart and no loss, and rejects a broken one', async () => {
    const topics = await freshTopics();
    const processor = startConfigMapProcessor(topics);
    // No ConfigMap yet: the processor waits (it neither crashes nor consumes).
    await vi.waitFor(() => expect(processor.lines.join('\n')).toContain('model ConfigMap not found'), {
      timeout: 30_000,
    });
    expect((await processor.readyz()).ready).toBe(false);

    const first = await trainInto(1);
    await vi.waitFor(async () => expect((await processor.readyz()).ready).toBe(true), {
      timeout: 60_000,
      interval: 250,
    });
    expect((await processor.readyz()).model_version).toBe(first);
    const models = [await modelInConfigMap()];

    const transport = testTransport();
    const producer = await transport.producer();
    const output = await readTopic(transport, topics.output);
    await producer.send(testEvents(topics.input, 2000, 1, 0));
    await output.waitFor(2000);

    // Retrain while events keep flowing.
    const producing = (async () => {
      for (let chunk = 1; chunk <= 10; chunk++) {
        await producer.send(testEvents(topics.input, 300, 100 + chunk, 2000 + (chunk - 1) * 300));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const second = await trainInto(2);
    expect(second).not.toBe(first);
    models.push(await modelInConfigMap());
    await producing;
    await output.waitFor(5000);
    await vi.waitFor(async () => expect((await processor.readyz()).model_version).toBe(second), {
      timeout: 30_000,
    });

    // A broken model in the ConfigMap is rejected; the retrained one keeps serving.
    const broken = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: MODEL },
      data: { 'model.json': '{"format": "scam-detector/knn-model", "trunc' },
    });
    const replaced = await run('kubectl', ['replace', '--namespace', namespace, '-f', '-'], {
      env: trainerEnv,
      input: broken,
    });
    expect(replaced.code).toBe(0);
    await vi.waitFor(() => expect(processor.lines.join('\n')).toMatch(/MODEL_NOT_JSON/), { timeout: 30_000 });
    await producer.send(testEvents(topics.input, 1000, 999, 5000));
    await output.waitFor(6000);

    const results = output.results();
    const { seqs, duplicates } = coverage(results);
    expect(seqs.size).toBe(6000);
    expect(duplicates).toBe(0);
    expect(wrongResults(results, models)).toEqual([]);
    const versions = new Set(results.map((r) => r.model_version));
    expect(versions).toEqual(new Set([first, second]));
    expect(results.filter((r) => r.call.seq >= 5000).every((r) => r.model_version === second)).toBe(true);
    // One process throughout: no restart.
    expect(processor.child.exitCode).toBeNull();
    expect(processor.lines.filter((l) => l.includes('"processor started"'))).toHaveLength(1);
  });

  it('keeps following the ConfigMap after its watch breaks (API server restarted): it re-lists and picks up the next model', async () => {
    const topics = await freshTopics();
    const processor = startConfigMapProcessor(topics);
    const before = await trainInto(4);
    await vi.waitFor(async () => expect((await processor.readyz()).model_version).toBe(before), {
      timeout: 60_000,
      interval: 250,
    });

    const pidFile = join(ROOT, '.cache/k8s/run/pids/kube-apiserver.pid');
    // The pid file holds "<pid> <binary>".
    process.kill(Number(readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0]), 'SIGKILL');
    await vi.waitFor(() => expect(processor.lines.join('\n')).toContain('model ConfigMap watch'), {
      timeout: 30_000,
      interval: 200,
    });
    execFileSync(join(ROOT, 'scripts/k8s/control-plane.sh'), ['up'], { stdio: 'inherit' });

    const after = await trainInto(5);
    await vi.waitFor(async () => expect((await processor.readyz()).model_version).toBe(after), {
      timeout: 90_000,
      interval: 250,
    });
    expect(processor.child.exitCode).toBeNull();
  });
});
