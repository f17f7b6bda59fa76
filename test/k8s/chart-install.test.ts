import { afterAll, describe, expect, it } from 'vitest';
import { CHART, eventually, kubectlJson, mustRun, run, trainerJobsSucceeded, uniqueName } from './support.js';

type PodList = {
  items: { metadata: { name: string; labels: Record<string, string> }; status: { phase: string } }[];
};

const namespaces: string[] = [];

/** A namespace that enforces the Restricted pod security standard, as the issue demands. */
async function restrictedNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  namespaces.push(name);
  await mustRun('kubectl', ['create', 'namespace', name]);
  await mustRun('kubectl', [
    'label',
    'namespace',
    name,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
  ]);
  return name;
}

async function install(namespace: string, args: string[]): Promise<void> {
  // The server validates every object strictly first (unknown fields are an error, not silently dropped).
  const rendered = await mustRun('helm', ['template', 'rel', CHART, '--namespace', namespace, ...args]);
  const dryRun = await run(
    'kubectl',
    ['apply', '--namespace', namespace, '--dry-run=server', '--validate=strict', '-f', '-'],
    { input: rendered },
  );
  expect(dryRun.stderr).toBe('');
  expect(dryRun.code).toBe(0);
  await mustRun('helm', [
    'install',
    'rel',
    CHART,
    '--namespace',
    namespace,
    '--wait',
    '--wait-for-jobs',
    '--timeout',
    '180s',
    ...args,
  ]);
}

const componentPods = async (namespace: string, component: string) =>
  (
    await kubectlJson<PodList>([
      'get',
      'pods',
      '--namespace',
      namespace,
      '-l',
      `app.kubernetes.io/component=${component}`,
    ])
  ).items;

afterAll(async () => {
  for (const namespace of namespaces)
    await run('kubectl', ['delete', 'namespace', namespace, '--wait=false']);
});

describe('helm install on a real API server, in a Restricted namespace', () => {
  it('installs the default values: every object accepted, every pod admitted and Running, the training Job complete', async () => {
    const namespace = await restrictedNamespace('chart-default');
    await install(namespace, []);
    for (const component of ['processor', 'producer', 'dashboard']) {
      const pods = await componentPods(namespace, component);
      expect(pods.length, component).toBeGreaterThan(0);
      expect(
        pods.every((p) => p.status.phase === 'Running'),
        component,
      ).toBe(true);
    }
    expect(await componentPods(namespace, 'processor')).toHaveLength(2);
    expect(await trainerJobsSucceeded(namespace)).toEqual([1]);
    const kafka = await kubectlJson(['get', 'kafka', '--namespace', namespace, 'rel-scam-detector-kafka']);
    expect(kafka.apiVersion).toBe('kafka.strimzi.io/v1');

    // Scaling out: three processors, never more than the partitions that feed them.
    await mustRun('kubectl', [
      'scale',
      '--namespace',
      namespace,
      'deployment/rel-scam-detector-processor',
      '--replicas=3',
    ]);
    const running = await eventually('three Running processors', async () => {
      const pods = (await componentPods(namespace, 'processor')).filter((p) => p.status.phase === 'Running');
      return pods.length === 3 ? pods : undefined;
    });
    expect(running).toHaveLength(3);
    const topic = await kubectlJson<{ spec: { partitions: number } }>([
      'get',
      'kafkatopic',
      '--namespace',
      namespace,
      'rel-scam-detector-calls-raw',
    ]);
    expect(topic.spec.partitions).toBeGreaterThanOrEqual(3);
  });

  it('installs with an existing Kafka, KEDA scaling and three processors', async () => {
    const namespace = await restrictedNamespace('chart-external');
    await install(namespace, [
      '--set',
      'kafka.strimzi.enabled=false',
      '--set',
      'kafka.external.bootstrapServers=kafka.example.internal:9092',
      '--set',
      'processor.keda.enabled=true',
      '--set',
      'processor.replicas=3',
    ]);
    const kafkas = await kubectlJson<{ items: unknown[] }>([
      'get',
      'kafka,kafkanodepool,kafkatopic',
      '--namespace',
      namespace,
    ]);
    expect(kafkas.items).toHaveLength(0);
    const scaled = await kubectlJson<{ spec: { maxReplicaCount: number } }>([
      'get',
      'scaledobject',
      '--namespace',
      namespace,
      'rel-scam-detector-processor',
    ]);
    expect(scaled.spec.maxReplicaCount).toBe(6);
  });

  it('installs the 3-broker production profile', async () => {
    const namespace = await restrictedNamespace('chart-production');
    await install(namespace, ['-f', `${CHART}/values-production.yaml`]);
    const pool = await kubectlJson<{ spec: { replicas: number } }>([
      'get',
      'kafkanodepool',
      '--namespace',
      namespace,
      'rel-scam-detector-kafka-dual',
    ]);
    expect(pool.spec.replicas).toBe(3);
    expect(
      (await componentPods(namespace, 'processor')).filter((p) => p.status.phase === 'Running'),
    ).toHaveLength(3);
    expect(await componentPods(namespace, 'producer')).toHaveLength(0);
  });

  it('has the API server reject a pod spec that breaks the Restricted standard (the namespace really enforces it)', async () => {
    const namespace = await restrictedNamespace('chart-enforced');
    const result = await run('kubectl', [
      'run',
      'root-pod',
      '--namespace',
      namespace,
      '--image=scam-detector-dashboard:0.1.0',
      '--restart=Never',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted');
  });
});
