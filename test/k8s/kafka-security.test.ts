import { afterAll, describe, expect, it } from 'vitest';
import { resolvedAcls } from '../security/support.js';
import { CHART, type K8sObject, mustRun, renderChart, run, uniqueName } from './support.js';

type Volume = { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } };
type Container = {
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
type PodSpec = { containers: Container[]; volumes?: Volume[]; securityContext?: Record<string, unknown> };

const SECURE = ['kafka.security.enabled=true'];
const CLUSTER = 'rel-scam-detector-kafka';

const component = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];
function podSpecs(objects: K8sObject[]): { component: string; spec: PodSpec }[] {
  return objects.flatMap((o) => {
    // biome-ignore lint/suspicious/noExplicitAny: walking rendered manifests
    const spec = o.spec as any;
    const pod = o.kind === 'Pod' ? spec : (spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec);
    return pod ? [{ component: component(o) ?? '', spec: pod as PodSpec }] : [];
  });
}
const envOf = (spec: PodSpec) =>
  Object.fromEntries((spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const secretVolumes = (spec: PodSpec) => (spec.volumes ?? []).filter((v) => v.secret);

describe('kafka.security in the rendered chart', async () => {
  const objects = await renderChart({ set: SECURE });
  const kafka = objects.find((o) => o.kind === 'Kafka')?.spec as {
    kafka: { listeners: Record<string, unknown>[]; authorization?: { type: string } };
    entityOperator: { userOperator?: object };
  };
  const users = objects.filter((o) => o.kind === 'KafkaUser');

  it('gives Kafka only an authenticated TLS listener, simple authorization and the User Operator', () => {
    expect(kafka.kafka.listeners).toEqual([
      { name: 'tls', port: 9093, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } },
    ]);
    expect(kafka.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.entityOperator.userOperator).toBeDefined();
  });

  it('creates one KafkaUser per component that uses Kafka, with exactly the ACLs of kafka-acls.json', () => {
    expect(users.map((u) => u.metadata.name).sort()).toEqual(
      ['dashboard', 'processor', 'producer'].map((c) => `${CLUSTER}-${c}`),
    );
    const expected = resolvedAcls({
      input: 'calls_raw',
      output: 'calls_scored',
      dlq: 'calls_dlq',
      verdicts: 'caller_verdicts',
      processorGroup: 'processor_group',
    });
    for (const user of users) {
      const name = component(user) as keyof typeof expected;
      expect(user.metadata.labels?.['strimzi.io/cluster']).toBe(CLUSTER);
      const spec = user.spec as {
        authentication: { type: string };
        authorization: { type: string; acls: unknown[] };
      };
      expect(spec.authentication).toEqual({ type: 'scram-sha-512' });
      expect(spec.authorization.type).toBe('simple');
      expect(spec.authorization.acls, name).toEqual(
        expected[name].map((acl) => ({
          resource: { type: acl.type, name: acl.resource, patternType: acl.patternType ?? 'literal' },
          operations: acl.operations,
          host: '*',
        })),
      );
    }
    // The processor's rights, spelled out: read its input and group, write results, dead letters, verdicts; read and
    // write its state changelog (restored through throwaway groups of its own prefix); create only its own topics.
    const processor = users.find((u) => component(u) === 'processor')?.spec as {
      authorization: { acls: { resource: { type: string; name: string }; operations: string[] }[] };
    };
    const rights = processor.authorization.acls.map(
      (a) => `${a.resource.type}:${a.resource.name}:${a.operations.join('+')}`,
    );
    expect(rights).toEqual([
      'topic:calls_raw:Read+Describe',
      'group:processor_group:Read+Describe',
      'topic:calls_scored:Write+Describe',
      'topic:calls_dlq:Write+Describe',
      'topic:processor_group-caller-state-changelog:Read+Write+Describe+Create',
      'topic:caller_verdicts:Write+Describe+Create',
      'group:scam-detector-processor-state-read-:Read+Describe+Delete',
    ]);
  });

  it('covers every topic the chart creates: the changelog and caller_verdicts for the processor, caller_verdicts for the dashboard', () => {
    const topicNames = objects
      .filter((o) => o.kind === 'KafkaTopic')
      .map((o) => (o.spec as { topicName: string }).topicName);
    type Acl = { resource: { type: string; name: string }; operations: string[] };
    const rights = (c: string): Acl[] =>
      (users.find((u) => component(u) === c)?.spec as { authorization: { acls: Acl[] } } | undefined)
        ?.authorization.acls ?? [];
    const on = (c: string, name: string) =>
      rights(c).find((a) => a.resource.type === 'topic' && a.resource.name === name)?.operations ?? [];
    const changelog = topicNames.find((t) => t.endsWith('-caller-state-changelog')) as string;
    expect(changelog).toBe('processor_group-caller-state-changelog');
    expect(on('processor', changelog)).toEqual(expect.arrayContaining(['Read', 'Write', 'Describe']));
    expect(on('processor', 'caller_verdicts')).toEqual(expect.arrayContaining(['Write', 'Describe']));
    expect(on('dashboard', 'caller_verdicts')).toEqual(['Read', 'Describe']);
    expect(on('dashboard', changelog)).toEqual([]);
    for (const name of topicNames) {
      const anyone = ['producer', 'processor', 'dashboard'].some((c) => on(c, name).length > 0);
      expect(anyone, `${name} is in no KafkaUser's ACLs`).toBe(true);
    }
    // The processor may create its own two topics, and no other.
    const creates = rights('processor')
      .filter((a) => a.operations.includes('Create'))
      .map((a) => a.resource.name);
    expect(creates.sort()).toEqual(['caller_verdicts', changelog]);
  });

  it("mounts in each pod only its own user's Secret and the cluster CA; passwords only as files", () => {
    for (const { component: c, spec } of podSpecs(objects)) {
      const secrets = secretVolumes(spec)
        .map((v) => v.secret?.secretName)
        .sort();
      if (c === 'trainer' || c === 'test') {
        expect(secrets, c).toEqual([]);
        continue;
      }
      expect(secrets, c).toEqual([`${CLUSTER}-${c}`, `${CLUSTER}-cluster-ca-cert`].sort());
      expect(secretVolumes(spec).find((v) => v.name === 'kafka-user')?.secret?.items).toEqual([
        { key: 'password', path: 'password' },
      ]);
      const env = envOf(spec);
      expect(env, c).toMatchObject({
        KAFKA_BROKERS: `${CLUSTER}-kafka-bootstrap.scam.svc:9093`,
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: '/etc/kafka/ca/ca.crt',
        KAFKA_SASL_USERNAME: `${CLUSTER}-${c}`,
        KAFKA_SASL_PASSWORD_FILE: '/etc/kafka/user/password',
      });
      const fromSecrets = (spec.containers[0]?.env ?? []).filter((e) =>
        JSON.stringify(e.valueFrom ?? {}).includes('secretKeyRef'),
      );
      expect(fromSecrets, `${c}: no env from a Secret`).toEqual([]);
      const mounts = spec.containers[0]?.volumeMounts ?? [];
      expect(mounts.filter((m) => m.name.startsWith('kafka-')).every((m) => m.readOnly)).toBe(true);
    }
  });

  it('keeps every pod within the Restricted pod security standard (Secret volumes are allowed there)', () => {
    const restrictedVolumes = [
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ];
    for (const { component: c, spec } of podSpecs(objects)) {
      expect(spec.securityContext, c).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const volume of spec.volumes ?? [])
        expect(
          Object.keys(volume)
            .filter((k) => k !== 'name')
            .every((k) => restrictedVolumes.includes(k)),
          `${c} ${volume.name}`,
        ).toBe(true);
      for (const container of spec.containers as (Container & {
        securityContext?: Record<string, unknown>;
      })[])
        expect(container.securityContext, c).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
    }
  });

  it('lets the NetworkPolicies reach Kafka on the TLS port only', () => {
    const egress = objects.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-egress-kafka-dns'),
    )?.spec as {
      egress: {
        to?: { podSelector?: { matchLabels?: Record<string, string> } }[];
        ports: { port: number }[];
      }[];
    };
    const toKafka = egress.egress.find((rule) =>
      rule.to?.some((t) => t.podSelector?.matchLabels?.['strimzi.io/cluster']),
    );
    expect(toKafka?.ports).toEqual([{ protocol: 'TCP', port: 9093 }]);
  });

  it('with tls authentication, mounts the client certificate and key instead of a password', async () => {
    const tls = await renderChart({ set: [...SECURE, 'kafka.security.authentication=tls'] });
    const processor = podSpecs(tls).find((p) => p.component === 'processor')?.spec as PodSpec;
    expect(envOf(processor)).toMatchObject({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT_FILE: '/etc/kafka/user/user.crt',
      KAFKA_SSL_KEY_FILE: '/etc/kafka/user/user.key',
    });
    expect(envOf(processor).KAFKA_SASL_PASSWORD_FILE).toBeUndefined();
    expect(
      secretVolumes(processor)
        .find((v) => v.name === 'kafka-user')
        ?.secret?.items?.map((i) => i.key),
    ).toEqual(['user.crt', 'user.key']);
    for (const user of tls.filter((o) => o.kind === 'KafkaUser'))
      expect((user.spec as { authentication: unknown }).authentication).toEqual({ type: 'tls' });
  });

  it('is on in the production profile', async () => {
    const production = await renderChart({ files: [`${CHART}/values-production.yaml`] });
    expect(production.filter((o) => o.kind === 'KafkaUser')).toHaveLength(2); // the producer is off there
    expect(
      envOf(podSpecs(production).find((p) => p.component === 'processor')?.spec as PodSpec),
    ).toMatchObject({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    });
  });

  it('with an existing Kafka, takes the same settings from Secrets the user names', async () => {
    const external = [
      ...SECURE,
      'kafka.strimzi.enabled=false',
      'kafka.external.bootstrapServers=kafka.example:9093',
      'kafka.external.ports={9093}',
      'kafka.external.caSecret=kafka-ca',
      'kafka.external.users.producer.secret=producer-login',
      'kafka.external.users.processor.secret=processor-login',
      'kafka.external.users.processor.username=scorer',
      'kafka.external.users.dashboard.secret=dashboard-login',
    ];
    const rendered = await renderChart({ set: external });
    expect(rendered.filter((o) => o.kind === 'KafkaUser' || o.kind === 'Kafka')).toEqual([]);
    const processor = podSpecs(rendered).find((p) => p.component === 'processor')?.spec as PodSpec;
    expect(
      secretVolumes(processor)
        .map((v) => v.secret?.secretName)
        .sort(),
    ).toEqual(['kafka-ca', 'processor-login']);
    expect(envOf(processor)).toMatchObject({
      KAFKA_BROKERS: 'kafka.example:9093',
      KAFKA_SASL_USERNAME: 'scorer',
    });
    expect(envOf(podSpecs(rendered).find((p) => p.component === 'dashboard')?.spec as PodSpec)).toMatchObject(
      {
        KAFKA_SASL_USERNAME: 'dashboard-login',
      },
    );
    const missing = await run('helm', [
      'template',
      'rel',
      CHART,
      ...external.filter((s) => !s.startsWith('kafka.external.users.dashboard')).flatMap((s) => ['--set', s]),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'kafka.external.users.dashboard.secret is required with kafka.security.enabled',
    );
  });
});

describe('kafka.security on the real API server', () => {
  const namespaces: string[] = [];
  afterAll(async () => {
    for (const namespace of namespaces)
      await run('kubectl', ['delete', 'namespace', namespace, '--wait=false']);
  });

  it('is accepted whole under strict validation in a Restricted namespace (KafkaUsers included), with no warning', async () => {
    const namespace = uniqueName('chart-secure');
    namespaces.push(namespace);
    await mustRun('kubectl', ['create', 'namespace', namespace]);
    await mustRun('kubectl', [
      'label',
      'namespace',
      namespace,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=restricted',
      'pod-security.kubernetes.io/enforce-version=latest',
    ]);
    for (const profile of [
      SECURE,
      [...SECURE, 'kafka.security.authentication=tls'],
      [...SECURE, 'processor.state.storage.type=persistentVolumeClaim'],
    ]) {
      const rendered = await mustRun('helm', [
        'template',
        'rel',
        CHART,
        '--namespace',
        namespace,
        ...profile.flatMap((s) => ['--set', s]),
      ]);
      const dryRun = await run(
        'kubectl',
        ['apply', '--namespace', namespace, '--dry-run=server', '--validate=strict', '-f', '-'],
        { input: rendered },
      );
      expect(dryRun.stderr).toBe('');
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toMatch(
        /kafkauser\.kafka\.strimzi\.io\/rel-scam-detector-kafka-processor created \(server dry run\)/,
      );
    }
  });
});
