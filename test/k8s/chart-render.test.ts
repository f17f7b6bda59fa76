import { readFileSync } from 'node:fs';
import { defaultFor, SETTINGS } from '@scam-detector/core';
import { describe, expect, it } from 'vitest';
import { CHART, type K8sObject, renderChart, run } from './support.js';

type Probe = {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
};
type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; persistentVolumeClaim?: unknown }[];
};
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: PodSpec };
type TopicSpec = { topicName: string; partitions: number; replicas: number; config: Record<string, unknown> };
type WorkloadSpec = {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: PodTemplate;
  podManagementPolicy?: string;
  persistentVolumeClaimRetentionPolicy?: Record<string, string>;
  volumeClaimTemplates?: {
    metadata: { name: string; labels?: Record<string, string> };
    spec: { accessModes: string[]; storageClassName?: string; resources: { requests: { storage: string } } };
  }[];
};

/** The option that gives each processor its own PersistentVolumeClaim (and so makes it a StatefulSet). */
const PVC = 'processor.state.storage.type=persistentVolumeClaim';
const WORKLOADS = ['Deployment', 'StatefulSet'];

const appVersion = /appVersion:\s*"?([^"\n]+)"?/.exec(readFileSync(`${CHART}/Chart.yaml`, 'utf8'))?.[1];
const chartPackage = JSON.parse(readFileSync(`${CHART}/../../package.json`, 'utf8')) as { version: string };

/** Every pod template in the rendered objects, with the object that holds it. */
function podTemplates(objects: K8sObject[]): { owner: K8sObject; template: PodTemplate }[] {
  const found: { owner: K8sObject; template: PodTemplate }[] = [];
  for (const object of objects) {
    // biome-ignore lint/suspicious/noExplicitAny: walking arbitrary rendered manifests
    const spec = object.spec as Record<string, any> | undefined;
    if (object.kind === 'Pod')
      found.push({ owner: object, template: { metadata: object.metadata as never, spec: spec as never } });
    if (spec?.template?.spec) found.push({ owner: object, template: spec.template });
    if (spec?.jobTemplate?.spec?.template)
      found.push({ owner: object, template: spec.jobTemplate.spec.template });
  }
  return found;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

const topics = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'KafkaTopic').map((o) => o.spec as TopicSpec);
const topic = (objects: K8sObject[], name: string) => topics(objects).find((t) => t.topicName === name);
const processorOf = (objects: K8sObject[]) =>
  objects.find((o) => WORKLOADS.includes(o.kind) && o.metadata.name.endsWith('-processor')) as K8sObject & {
    spec: WorkloadSpec;
  };
const envOf = (container: Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

// Every invariant below holds for the default (processors in a Deployment, the store on an emptyDir) and for the
// StatefulSet option (a PersistentVolumeClaim per processor).
describe.each([
  ['default values', []],
  ['a PersistentVolumeClaim per processor: a StatefulSet', [PVC]],
])('the rendered chart (%s)', async (_name, set) => {
  const objects = await renderChart({ set });
  const templates = podTemplates(objects);
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('renders every part the product needs', () => {
    const kinds = objects.map((o) => o.kind);
    for (const kind of [
      'Kafka',
      'KafkaNodePool',
      'KafkaTopic',
      'Job',
      'CronJob',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'ServiceAccount',
      'NetworkPolicy',
      'Pod',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(
      byKind('KafkaTopic')
        .map((t) => (t.spec as { topicName: string }).topicName)
        .sort(),
    ).toEqual([
      'caller_verdicts',
      'calls_dlq',
      'calls_raw',
      'calls_scored',
      'processor_group-caller-state-changelog',
    ]);
    expect(objects.every((o) => o.apiVersion !== 'kafka.strimzi.io/v1beta2')).toBe(true);
  });

  it('labels every object with name, instance, version, managed-by, and a component on every workload', () => {
    for (const object of objects) {
      const labels = object.metadata.labels ?? {};
      expect(labels['app.kubernetes.io/name'], `${object.kind}/${object.metadata.name}`).toBe(
        'scam-detector',
      );
      expect(labels['app.kubernetes.io/instance']).toBe('rel');
      expect(labels['app.kubernetes.io/version']).toBe(appVersion);
      expect(labels['app.kubernetes.io/managed-by']).toBe('Helm');
    }
    for (const { owner, template } of templates) {
      expect(['producer', 'processor', 'dashboard', 'trainer', 'test'], owner.metadata.name).toContain(
        template.metadata.labels['app.kubernetes.io/component'],
      );
    }
  });

  it('has Deployment and StatefulSet selectors that match their pod labels and select only their component', () => {
    for (const workload of objects.filter((o) => WORKLOADS.includes(o.kind))) {
      const spec = workload.spec as WorkloadSpec;
      expect(matches(spec.selector.matchLabels, spec.template.metadata.labels)).toBe(true);
      expect(spec.selector.matchLabels['app.kubernetes.io/component']).toBe(
        spec.template.metadata.labels['app.kubernetes.io/component'],
      );
      expect(Object.keys(spec.selector.matchLabels)).not.toContain('app.kubernetes.io/version');
    }
    const pdb = byKind('PodDisruptionBudget')[0]?.spec as {
      selector: { matchLabels: Record<string, string> };
    };
    expect(matches(pdb.selector.matchLabels, processorOf(objects).spec.template.metadata.labels)).toBe(true);
  });

  it('has Services that select pods and target a port those pods really expose', () => {
    for (const service of byKind('Service')) {
      const spec = service.spec as {
        selector: Record<string, string>;
        ports: { targetPort: string | number }[];
      };
      const selected = templates.filter(
        ({ owner, template }) =>
          WORKLOADS.includes(owner.kind) && matches(spec.selector, template.metadata.labels),
      );
      expect(selected.length, service.metadata.name).toBe(1);
      const ports = selected[0]?.template.spec.containers.flatMap((c) => c.ports ?? []) ?? [];
      for (const port of spec.ports) {
        expect(
          ports.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort),
          `${service.metadata.name} -> ${port.targetPort}`,
        ).toBe(true);
      }
    }
  });

  it('probes the health endpoints on a port the container declares, which the service listens on', () => {
    for (const { owner, template } of templates.filter((t) => WORKLOADS.includes(t.owner.kind))) {
      for (const container of template.spec.containers) {
        const probes = [container.readinessProbe, container.livenessProbe, container.startupProbe].filter(
          (p) => p !== undefined,
        );
        expect(probes.length, owner.metadata.name).toBeGreaterThanOrEqual(2);
        expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
        expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
        for (const probe of probes) {
          const port = container.ports?.find((p) => p.name === probe.httpGet?.port);
          expect(port, `${owner.metadata.name} probe port`).toBeDefined();
          const listenVar = container.env?.find((e) => e.name === 'HTTP_PORT' || e.name === 'PORT');
          expect(Number(listenVar?.value)).toBe(port?.containerPort);
        }
      }
    }
  });

  it('sets only environment variables that the service reads, as declared in settings.ts', () => {
    const serviceOf: Record<string, string> = {
      processor: 'processor',
      producer: 'producer',
      dashboard: 'dashboard',
      trainer: 'trainer',
    };
    for (const { template } of templates) {
      const service = serviceOf[template.metadata.labels['app.kubernetes.io/component'] ?? ''];
      if (!service) continue;
      for (const container of template.spec.containers) {
        for (const variable of container.env ?? []) {
          const setting = (SETTINGS as Record<string, { services: readonly string[] }>)[variable.name];
          expect(setting, `${service} sets ${variable.name}, which no service declares`).toBeDefined();
          expect(setting?.services, `${variable.name} is not read by the ${service}`).toContain(service);
        }
      }
    }
  });

  it('sets every setting a service needs that has no default', () => {
    for (const { template } of templates) {
      const service = template.metadata.labels['app.kubernetes.io/component'] as 'processor';
      const set = new Set(template.spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name)));
      for (const [name, setting] of Object.entries(SETTINGS)) {
        if (
          (setting.services as readonly string[]).includes(service) &&
          defaultFor(setting, service) === undefined
        ) {
          expect(set.has(name), `${service} needs ${name}`).toBe(true);
        }
      }
    }
  });

  it('runs every pod under the Restricted pod security standard, with resources and a writable /tmp', () => {
    for (const { owner, template } of templates) {
      const pod = template.spec;
      expect(pod.securityContext?.runAsNonRoot, owner.metadata.name).toBe(true);
      expect(pod.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.resources?.requests, `${owner.metadata.name} requests`).toBeDefined();
        expect(container.resources?.limits?.memory, `${owner.metadata.name} memory limit`).toBeDefined();
      }
      if (owner.kind !== 'Pod') {
        expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
        expect(pod.containers[0]?.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
    }
  });

  it('pins every image to the chart appVersion, never latest', () => {
    expect(appVersion).toBe(chartPackage.version);
    for (const { template } of templates) {
      for (const container of template.spec.containers)
        expect(container.image).toMatch(
          new RegExp(`^scam-detector-(processor|producer|dashboard|trainer):${appVersion}$`),
        );
    }
  });

  it('limits the trainer to creating ConfigMaps and to its own, and the processor to reading its own', () => {
    const roles = byKind('Role');
    const trainer = roles.find((r) => r.metadata.name.endsWith('-trainer')) as unknown as {
      rules: { verbs: string[]; resources: string[]; resourceNames?: string[] }[];
    };
    const processor = roles.find((r) => r.metadata.name.endsWith('-processor')) as unknown as {
      rules: { verbs: string[]; resourceNames?: string[] }[];
    };
    expect(trainer.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['rel-scam-detector-model'],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
    expect(processor.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['rel-scam-detector-model'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
  });

  it('trains the install-time model with the fixed seed, and every retrain (the CronJob) with a new one', () => {
    const seedOf = (kind: string) => {
      const found = templates.find((t) => t.owner.kind === kind && t.owner.metadata.name.includes('trainer'));
      const container = found?.template.spec.containers[0] as unknown as { args: string[] } | undefined;
      const args = container?.args ?? [];
      return args[args.indexOf('--seed') + 1];
    };
    expect(seedOf('Job')).toBe('42');
    expect(seedOf('CronJob')).toBe('random');
  });

  it('keeps the dashboard off any Ingress by default', () => {
    expect(byKind('Ingress')).toHaveLength(0);
    const service = byKind('Service')[0];
    expect((service?.spec as { type: string } | undefined)?.type).toBe('ClusterIP');
  });

  it('creates the caller-state changelog compacted, with exactly the partitions (and replication) of calls_raw', () => {
    const raw = topic(objects, 'calls_raw');
    const changelog = topic(objects, 'processor_group-caller-state-changelog');
    expect(changelog, 'the changelog KafkaTopic').toBeDefined();
    expect(changelog?.config['cleanup.policy']).toBe('compact');
    expect(changelog?.config['retention.ms']).toBeUndefined();
    expect(changelog?.partitions).toBe(raw?.partitions);
    expect(changelog?.replicas).toBe(raw?.replicas);
    expect(changelog?.config['min.insync.replicas']).toBe(raw?.config['min.insync.replicas']);
    // The processor is told that very topic.
    const env = envOf(processorOf(objects).spec.template.spec.containers[0]);
    expect(env.CHANGELOG_TOPIC).toBe(changelog?.topicName);
  });

  it('creates caller_verdicts compacted, written by the processor and read by the dashboard', () => {
    const verdicts = topic(objects, 'caller_verdicts');
    expect(verdicts?.config['cleanup.policy']).toBe('compact');
    expect(verdicts?.partitions).toBe(topic(objects, 'calls_raw')?.partitions);
    for (const { template } of templates) {
      const component = template.metadata.labels['app.kubernetes.io/component'];
      if (component !== 'processor' && component !== 'dashboard') continue;
      expect(envOf(template.spec.containers[0]).CALLER_VERDICTS_TOPIC, component).toBe('caller_verdicts');
    }
  });

  it('runs the processor with durable caller state in a store on its own writable volume', () => {
    const { spec } = processorOf(objects);
    const pod = spec.template.spec;
    const container = pod.containers[0];
    const env = envOf(container);
    expect(env).toMatchObject({ CALLER_STATE: 'durable', STATE_HOT_SET_SIZE: '100000' });
    const stateDir = env.STATE_DIR ?? '';
    expect(stateDir).toMatch(/^\/./);
    expect(stateDir.startsWith('/tmp')).toBe(false);
    // Mounted read-write (the root filesystem is read-only) and writable by uid 1000 through fsGroup.
    const mount = container?.volumeMounts?.find((m) => m.mountPath === stateDir) as
      | { name: string; readOnly?: boolean }
      | undefined;
    expect(mount, 'a volume mounted at STATE_DIR').toBeDefined();
    expect(mount?.readOnly).not.toBe(true);
    expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
    const emptyDir = pod.volumes?.find((v) => v.name === mount?.name)?.emptyDir;
    const claim = spec.volumeClaimTemplates?.find((t) => t.metadata.name === mount?.name);
    if (set.includes(PVC)) {
      expect(processorOf(objects).kind).toBe('StatefulSet');
      expect(emptyDir).toBeUndefined();
      expect(claim?.spec.resources.requests.storage).toBe('1Gi');
    } else {
      expect(processorOf(objects).kind).toBe('Deployment');
      expect(emptyDir).toEqual({ sizeLimit: '1Gi' });
      expect(claim).toBeUndefined();
    }
  });

  it('waits for restores with readiness only: liveness never asks about a restore, and allows a minute of silence', () => {
    const container = processorOf(objects).spec.template.spec.containers[0];
    expect(container?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container?.startupProbe?.httpGet?.path).toBe('/healthz');
    const live = container?.livenessProbe as Probe;
    expect((live.periodSeconds ?? 10) * (live.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
    expect(live.timeoutSeconds ?? 1).toBeGreaterThanOrEqual(5);
  });
});

describe('the rendered chart (other values)', () => {
  it('uses an existing Kafka and creates no Strimzi objects when asked', async () => {
    const objects = await renderChart({
      set: ['kafka.strimzi.enabled=false', 'kafka.external.bootstrapServers=kafka.example:9092'],
    });
    expect(objects.filter((o) => o.apiVersion.startsWith('kafka.strimzi.io'))).toHaveLength(0);
    const env = podTemplates(objects).flatMap(({ template }) =>
      template.spec.containers.flatMap((c) => c.env ?? []),
    );
    expect(env.filter((e) => e.name === 'KAFKA_BROKERS').every((e) => e.value === 'kafka.example:9092')).toBe(
      true,
    );
    // No KafkaTopics there: the processor creates its changelog and caller_verdicts when they are missing.
    expect(envOf(processorOf(objects).spec.template.spec.containers[0])).toMatchObject({
      CALLER_STATE: 'durable',
      CHANGELOG_TOPIC: 'processor_group-caller-state-changelog',
      CALLER_VERDICTS_TOPIC: 'caller_verdicts',
    });
  });

  it('gives each processor its own PersistentVolumeClaim through a StatefulSet: Parallel, claims of its ordinals only', async () => {
    const objects = await renderChart({
      set: [PVC, 'processor.state.storage.size=5Gi', 'processor.state.storage.storageClass=fast-ssd'],
    });
    expect(objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-processor'))).toEqual(
      [],
    );
    const processor = processorOf(objects);
    expect(processor.kind).toBe('StatefulSet');
    expect(processor.spec.replicas).toBe(2);
    expect(processor.spec.podManagementPolicy).toBe('Parallel');
    expect(processor.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Delete',
      whenScaled: 'Delete',
    });
    expect(processor.spec.volumeClaimTemplates).toEqual([
      {
        // Claim templates are immutable: no version label, or every upgrade would be refused.
        metadata: {
          name: 'state',
          labels: {
            'app.kubernetes.io/name': 'scam-detector',
            'app.kubernetes.io/instance': 'rel',
            'app.kubernetes.io/component': 'processor',
          },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast-ssd',
          resources: { requests: { storage: '5Gi' } },
        },
      },
    ]);
    expect(processor.spec.template.spec.volumes?.map((v) => v.name)).not.toContain('state');
    const retained = processorOf(
      await renderChart({
        set: [
          PVC,
          'processor.state.storage.retention.whenDeleted=Retain',
          'processor.state.storage.retention.whenScaled=Retain',
        ],
      }),
    );
    expect(retained.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    const scaled = (await renderChart({ set: [PVC, 'processor.keda.enabled=true'] })).find(
      (o) => o.kind === 'ScaledObject',
    )?.spec as { scaleTargetRef: Record<string, string> };
    expect(scaled.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'rel-scam-detector-processor',
    });
    expect(
      processorOf(await renderChart({ set: [PVC, 'processor.keda.enabled=true'] })).spec.replicas,
    ).toBeUndefined();
  });

  it('names the changelog after processor.state.changelogTopic or the consumer group, the same in the topic, the env and the ACLs', async () => {
    for (const [setting, name] of [
      ['processor.state.changelogTopic=scam.caller_state', 'scam.caller_state'],
      ['processor.consumerGroup=scorers', 'scorers-caller-state-changelog'],
    ] as const) {
      const objects = await renderChart({ set: [setting, 'kafka.security.enabled=true'] });
      expect(topic(objects, name)?.config['cleanup.policy'], setting).toBe('compact');
      expect(envOf(processorOf(objects).spec.template.spec.containers[0]).CHANGELOG_TOPIC).toBe(name);
      const user = objects.find((o) => o.kind === 'KafkaUser' && o.metadata.name.endsWith('-processor'))
        ?.spec as {
        authorization: { acls: { resource: { type: string; name: string }; operations: string[] }[] };
      };
      expect(user.authorization.acls).toContainEqual(
        expect.objectContaining({
          resource: { type: 'topic', name, patternType: 'literal' },
          operations: expect.arrayContaining(['Read', 'Write', 'Describe']),
        }),
      );
    }
    const refused = await run('helm', [
      'template',
      'rel',
      CHART,
      '--set',
      'processor.consumerGroup=my group',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is not a valid Kafka topic name');
  });

  it('keeps caller state in memory when asked: no changelog, no store, and no claim to give a StatefulSet', async () => {
    const objects = await renderChart({ set: ['processor.state.mode=memory'] });
    expect(topic(objects, 'processor_group-caller-state-changelog')).toBeUndefined();
    expect(topic(objects, 'caller_verdicts')).toBeDefined();
    const pod = processorOf(objects).spec.template.spec;
    const env = envOf(pod.containers[0]);
    expect(env.CALLER_STATE).toBe('memory');
    expect(env.STATE_DIR).toBeUndefined();
    expect(env.CHANGELOG_TOPIC).toBeUndefined();
    expect(pod.volumes?.map((v) => v.name)).toEqual(['tmp']);
    const refused = await run('helm', [
      'template',
      'rel',
      CHART,
      '--set',
      'processor.state.mode=memory',
      '--set',
      PVC,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('persistentVolumeClaim needs processor.state.mode=durable');
  });

  it('caps the KEDA scaler at the partition count and leaves replicas to it', async () => {
    const objects = await renderChart({
      set: ['processor.keda.enabled=true', 'processor.keda.maxReplicas=20', 'topics.partitions=6'],
    });
    const scaled = objects.find((o) => o.kind === 'ScaledObject')?.spec as {
      maxReplicaCount: number;
      triggers: { metadata: Record<string, string> }[];
    };
    expect(scaled.maxReplicaCount).toBe(6);
    expect(scaled.triggers[0]?.metadata.consumerGroup).toBe('processor_group');
    const processor = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-processor'))
      ?.spec as Record<string, unknown>;
    expect(processor.replicas).toBeUndefined();
  });

  it('renders the 3-broker production profile with replication 3 and min.insync.replicas 2 on persistent storage', async () => {
    const objects = await renderChart({ files: [`${CHART}/values-production.yaml`] });
    const pool = objects.find((o) => o.kind === 'KafkaNodePool')?.spec as {
      replicas: number;
      storage: { type: string };
    };
    const kafka = objects.find((o) => o.kind === 'Kafka')?.spec as {
      kafka: { config: Record<string, number> };
    };
    expect(pool.replicas).toBe(3);
    expect(pool.storage.type).toBe('jbod');
    expect(kafka.kafka.config['default.replication.factor']).toBe(3);
    expect(kafka.kafka.config['min.insync.replicas']).toBe(2);
    // Every topic, the changelog and caller_verdicts included: three replicas, two in sync for a write.
    expect(topics(objects).map((t) => t.topicName)).toContain('processor_group-caller-state-changelog');
    expect(topics(objects).map((t) => t.topicName)).toContain('caller_verdicts');
    for (const spec of topics(objects)) {
      expect(spec.replicas, spec.topicName).toBe(3);
      expect(spec.config['min.insync.replicas'], spec.topicName).toBe(2);
      expect(spec.partitions, spec.topicName).toBe(12);
    }
    // The store's emptyDir is reserved on the node, not only capped.
    const processor = processorOf(objects).spec.template.spec;
    expect(processor.volumes?.find((v) => v.name === 'state')?.emptyDir).toEqual({ sizeLimit: '10Gi' });
    expect(processor.containers[0]?.resources?.requests?.['ephemeral-storage']).toBe('10Gi');
  });

  it('refuses an Ingress without authentication, and renders one with basic auth', async () => {
    const refused = await run('helm', ['template', 'rel', CHART, '--set', 'dashboard.ingress.enabled=true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('dashboard.ingress.auth.basicAuthSecret');
    const objects = await renderChart({
      set: ['dashboard.ingress.enabled=true', 'dashboard.ingress.auth.basicAuthSecret=dash-auth'],
    });
    expect(
      objects.find((o) => o.kind === 'Ingress')?.metadata.annotations?.[
        'nginx.ingress.kubernetes.io/auth-secret'
      ],
    ).toBe('dash-auth');
  });

  it('drops every NetworkPolicy when they are switched off', async () => {
    const objects = await renderChart({ set: ['networkPolicy.enabled=false'] });
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toHaveLength(0);
  });

  it.each([
    ['a negative replica count', 'processor.replicas=-1', '/processor/replicas'],
    ['an unknown top-level value', 'processorz.replicas=2', 'processorz'],
    ['an unknown producer profile', 'producer.profile=fast', '/producer/profile'],
    ['a Kafka version Strimzi 1.2.0 does not run', 'kafka.strimzi.version=3.9.0', '/kafka/strimzi/version'],
    ['a non-numeric partition count', 'topics.partitions=many', '/topics/partitions'],
    ['an unknown caller-state mode', 'processor.state.mode=redis', '/processor/state/mode'],
    [
      'an unknown store volume type',
      'processor.state.storage.type=hostPath',
      '/processor/state/storage/type',
    ],
    [
      'a changelog name Kafka refuses',
      'processor.state.changelogTopic=a b',
      '/processor/state/changelogTopic',
    ],
    [
      'a store size that is not a quantity',
      'processor.state.storage.size=lots',
      '/processor/state/storage/size',
    ],
    [
      'a bad bootstrap address',
      'kafka.external.bootstrapServers=no port here',
      '/kafka/external/bootstrapServers',
    ],
  ])('rejects %s with a message naming the value', async (_name, setting, path) => {
    const result = await run('helm', ['template', 'rel', CHART, '--set', setting]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(path);
  });

  it('refuses the latest tag', async () => {
    const result = await run('helm', ['template', 'rel', CHART, '--set', 'image.tag=latest']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('image.tag "latest" is not allowed');
  });

  it('passes helm lint --strict with the default and the production values, and with a claim per processor', async () => {
    expect((await run('helm', ['lint', '--strict', CHART])).code).toBe(0);
    expect(
      (await run('helm', ['lint', '--strict', CHART, '-f', `${CHART}/values-production.yaml`])).code,
    ).toBe(0);
    expect((await run('helm', ['lint', '--strict', CHART, '--set', PVC])).code).toBe(0);
  });
});
