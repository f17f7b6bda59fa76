import { afterAll, describe, expect, it } from 'vitest';
import {
  CHART,
  eventually,
  kubectlJson,
  mustRun,
  run,
  toolEnv,
  trainerJobsSucceeded,
  uniqueName,
} from './support.js';

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

async function install(namespace: string, args: string[]): Promise<string> {
  // The server validates every object strictly first (unknown fields are an error, not silently dropped).
  const rendered = await mustRun('helm', ['template', 'rel', CHART, '--namespace', namespace, ...args]);
  const dryRun = await run(
    'kubectl',
    ['apply', '--namespace', namespace, '--dry-run=server', '--validate=strict', '-f', '-'],
    { input: rendered },
  );
  expect(dryRun.stderr).toBe('');
  expect(dryRun.code).toBe(0);
  // What helm prints: the release's NOTES.
  return mustRun('helm', [
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

/**
 * A StorageClass with nothing to provision and `count` PersistentVolumes of it, which the controller-manager binds
 * to claims as they come (kwok's node mounts nothing, so a hostPath PV is as good as any); removed afterwards.
 */
async function staticStorage(count: number): Promise<string> {
  const name = uniqueName('static');
  const objects = [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
    },
    ...Array.from({ length: count }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${name}-${i}`, labels: { 'test-storage': name } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: name,
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/tmp/${name}-${i}` },
      },
    })),
  ];
  await mustRun('kubectl', ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  cleanups.push(async () => {
    await run('kubectl', ['delete', 'pv', '-l', `test-storage=${name}`, '--wait=false']);
    await run('kubectl', ['delete', 'storageclass', name, '--wait=false']);
  });
  return name;
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

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const namespace of namespaces)
    await run('kubectl', ['delete', 'namespace', namespace, '--wait=false']);
  for (const cleanup of cleanups) await cleanup();
});

type ClaimList = { items: { metadata: { name: string }; status: { phase: string } }[] };
const claims = async (namespace: string) =>
  (
    await kubectlJson<ClaimList>([
      'get',
      'pvc',
      '--namespace',
      namespace,
      '-l',
      'app.kubernetes.io/component=processor',
    ])
  ).items;

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
    // The processors' state changelog: compacted, partition N for partition N of calls_raw.
    const changelog = await kubectlJson<{ spec: { partitions: number; config: Record<string, unknown> } }>([
      'get',
      'kafkatopic',
      '--namespace',
      namespace,
      'rel-scam-detector-processor-group-caller-state-changelog',
    ]);
    expect(changelog.spec.partitions).toBe(topic.spec.partitions);
    expect(changelog.spec.config['cleanup.policy']).toBe('compact');
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

  it('installs processors with a PersistentVolumeClaim each (a StatefulSet), and make scale scales them with their claims', async () => {
    const namespace = await restrictedNamespace('chart-claims');
    const storageClass = await staticStorage(4);
    const notes = await install(namespace, [
      '--set',
      'kafka.strimzi.enabled=false',
      '--set',
      'kafka.external.bootstrapServers=kafka.example.internal:9092',
      '--set',
      'processor.state.storage.type=persistentVolumeClaim',
      '--set',
      `processor.state.storage.storageClass=${storageClass}`,
    ]);
    // One bound claim per processor, each pod admitted (Restricted) and Running with it.
    const bound = (await claims(namespace)).filter((c) => c.status.phase === 'Bound');
    expect(bound.map((c) => c.metadata.name).sort()).toEqual([
      'state-rel-scam-detector-processor-0',
      'state-rel-scam-detector-processor-1',
    ]);
    const pods = await componentPods(namespace, 'processor');
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([
      'rel-scam-detector-processor-0',
      'rel-scam-detector-processor-1',
    ]);
    expect(pods.every((p) => p.status.phase === 'Running')).toBe(true);
    // The NOTES name the StatefulSet; make scale finds it by its labels, as it finds the Deployment.
    expect(notes).toContain(
      `kubectl -n ${namespace} scale statefulset/rel-scam-detector-processor --replicas=3`,
    );
    const scale = (replicas: number) =>
      mustRun(
        'make',
        ['--no-print-directory', 'scale', `NAMESPACE=${namespace}`, 'RELEASE=rel', `REPLICAS=${replicas}`],
        {
          env: toolEnv(),
        },
      );
    expect(await scale(3)).toContain('statefulset.apps/rel-scam-detector-processor scaled');
    await eventually('three Running processors with three bound claims', async () => {
      const running = (await componentPods(namespace, 'processor')).filter(
        (p) => p.status.phase === 'Running',
      );
      const boundNow = (await claims(namespace)).filter((c) => c.status.phase === 'Bound');
      return running.length === 3 && boundNow.length === 3 ? true : undefined;
    });
    // Scaled in, the claims of the ordinals that went are deleted (whenScaled: Delete): their partitions' state
    // lives on in the changelog, from which the remaining processor restores them.
    await scale(1);
    const left = await eventually('one processor and one claim', async () => {
      const [podsNow, claimsNow] = [await componentPods(namespace, 'processor'), await claims(namespace)];
      return podsNow.length === 1 && claimsNow.length === 1 ? claimsNow : undefined;
    });
    expect(left.map((c) => c.metadata.name)).toEqual(['state-rel-scam-detector-processor-0']);
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
