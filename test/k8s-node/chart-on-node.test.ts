import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { decodeAnyModel } from '@scam-detector/core';
import type { Producer } from '@scam-detector/transport';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchHeadlessChromium } from '../../dashboard/src/bench/chromium.js';
import {
  coverage,
  paceEvents,
  readTopic,
  testEvents,
  testTransport,
} from '../../services/processor/test/integration/harness.js';
import {
  CHART,
  eventually,
  kubectlJson,
  mustRun,
  run,
  toolEnv,
  trainerJobsSucceeded,
  uniqueName,
} from '../k8s/support.js';

/**
 * The chart on a real node: real pods from the images `make images` builds, under the Restricted standard, with
 * Services, DNS, NetworkPolicies enforced by kube-router, port-forward through the kubelet, and the broker on the
 * node's bridge address (the chart's external-Kafka mode). The tests run in order on one release.
 */
const RELEASE = 'rel';
const PROCESSOR = `${RELEASE}-scam-detector-processor`;
const DASHBOARD = `${RELEASE}-scam-detector-dashboard`;
const MODEL = `${RELEASE}-scam-detector-model`;
const TEST_POD = `${RELEASE}-scam-detector-test`;
/** The broker's Service name, what the chart is given (pods resolve it through CoreDNS). */
const bootstrap = process.env.NODE_KAFKA_BOOTSTRAP as string;
const kafkaPort = bootstrap.split(':')[1] as string;
const INPUT = 'calls_raw';
const OUTPUT = 'calls_scored';

let namespace: string;
let monitoring: string;
let outsider: string;
let browser: Browser;

interface Pod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number; ready: boolean }[];
  };
}

const kubectl = (...args: string[]) => mustRun('kubectl', ['--namespace', namespace, ...args]);

async function pods(component: string, ns = namespace): Promise<Pod[]> {
  const list = await kubectlJson<{ items: Pod[] }>([
    'get',
    'pods',
    '--namespace',
    ns,
    '-l',
    `app.kubernetes.io/component=${component}`,
    '-o',
    'json',
  ]);
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

const ready = (pod: Pod) =>
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Runs a Node.js snippet inside a pod (the images have node and nothing else of note). */
function nodeIn(pod: string, script: string, ns = namespace) {
  return run('kubectl', ['--namespace', ns, 'exec', pod, '--', 'node', '-e', script]);
}

/** Whether a TCP connection from inside `pod` to host:port opens within 3 s. */
async function canConnect(pod: string, host: string, port: number, ns = namespace): Promise<boolean> {
  const result = await nodeIn(
    pod,
    `const s = require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${port}, timeout: 3000 });
     s.on('connect', () => { console.log('open'); process.exit(0); });
     s.on('timeout', () => { console.log('timeout'); process.exit(2); });
     s.on('error', (e) => { console.log(e.code); process.exit(3); });`,
    ns,
  );
  if (result.code !== 0 && result.code !== 2 && result.code !== 3)
    throw new Error(`kubectl exec in ${pod} failed (${result.code}): ${result.stderr}`);
  return result.code === 0;
}

/**
 * kube-router (this machine's NetworkPolicy engine) filters only the pods it has programmed: each gets a
 * firewall chain, jumped to by rules whose comment names the pod. Until then a new pod is not filtered at all
 * (kube-router lets pods it does not know through), so a check of the policies must first see the pods it
 * checks programmed — and the engine running: a dead engine leaves every new pod open (issue 21: it had exited
 * at start-up, before the node was registered). Waits up to 30 s; returns when each pod (`namespace/name`) was
 * first seen programmed.
 */
async function untilPoliciesProgrammed(
  podsToCheck: { name: string; ns: string }[],
): Promise<Map<string, number>> {
  const engine = await run('pgrep', ['-x', 'kube-router']);
  expect(engine.code, 'kube-router, the NetworkPolicy engine, is not running on this node').toBe(0);
  const seen = new Map<string, number>();
  await eventually(
    `kube-router programming ${podsToCheck.map((p) => `${p.ns}/${p.name}`).join(', ')}`,
    async () => {
      const rules = (await mustRun('iptables-save', ['-t', 'filter'])).toString();
      for (const pod of podsToCheck)
        if (
          !seen.has(`${pod.ns}/${pod.name}`) &&
          rules.includes(`rule to jump traffic from POD name:${pod.name} namespace: ${pod.ns} `)
        )
          seen.set(`${pod.ns}/${pod.name}`, Date.now());
      return seen.size === podsToCheck.length ? true : undefined;
    },
    30_000,
  );
  return seen;
}

/** One processor pod's own /metrics, read from inside it. */
async function processorMetrics(pod: string): Promise<{ partitions: number; modelVersion: string }> {
  const result = await nodeIn(
    pod,
    "fetch('http://127.0.0.1:8081/metrics').then((r) => r.text()).then((t) => console.log(t), (e) => { console.error(e); process.exit(1); })",
  );
  if (result.code !== 0) throw new Error(`metrics of ${pod}: ${result.stderr}`);
  const partitions = Number(/^processor_assigned_partitions(?:\{[^}]*\})? (\d+)/m.exec(result.stdout)?.[1]);
  const modelVersion =
    /^processor_model_info\{[^}]*version="([^"]+)"[^}]*\} 1/m.exec(result.stdout)?.[1] ?? '';
  return { partitions, modelVersion };
}

async function modelVersionInConfigMap(): Promise<string> {
  const text = await kubectl('get', 'configmap', MODEL, '-o', 'jsonpath={.data.model\\.json}');
  return decodeAnyModel(text).model.version;
}

async function restartCounts(component: string): Promise<number[]> {
  return (await pods(component)).flatMap((p) =>
    (p.status.containerStatuses ?? []).map((c) => c.restartCount),
  );
}

/** Watches pods of a component; collects the exit code of every container that terminates. */
function watchExitCodes(component: string): { codes: Map<string, number>; stop: () => void } {
  const codes = new Map<string, number>();
  const child: ChildProcess = spawn(
    'kubectl',
    [
      '--namespace',
      namespace,
      'get',
      'pods',
      '-l',
      `app.kubernetes.io/component=${component}`,
      // Only changes from now on, each printed as one object (the old pods' terminations among them).
      '--watch-only',
      '-o',
      'jsonpath={.metadata.name}{" "}{.status.containerStatuses[*].state.terminated.exitCode}{"\\n"}',
    ],
    { env: toolEnv(), stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const [name, code] = line.trim().split(/\s+/);
      if (name && code !== undefined && code !== '') codes.set(name, Number(code));
    }
  });
  return { codes, stop: () => child.kill() };
}

/** Events with a `seq` the test owns, paced into calls_raw from this machine while `during` runs. */
async function underTraffic(firstSeq: number, count: number, rate: number, during: () => Promise<void>) {
  const transport = testTransport();
  const producer: Producer = await transport.producer();
  const sending = paceEvents(producer, testEvents(INPUT, count, firstSeq, firstSeq), rate);
  await during();
  await sending;
  return transport;
}

/** Every seq in [first, first + count) is in calls_scored. */
async function expectAllScored(first: number, count: number): Promise<void> {
  const output = readTopic(testTransport(), OUTPUT);
  const reader = await output;
  await eventually(
    `all ${count} events from seq ${first} scored`,
    async () => {
      const seqs = coverage(
        reader
          .results()
          .filter((r) => typeof r.call.seq === 'number' && r.call.seq >= first && r.call.seq < first + count),
      ).seqs;
      return seqs.size === count ? true : undefined;
    },
    120_000,
  );
}

beforeAll(async () => {
  namespace = uniqueName('node');
  monitoring = uniqueName('monitor');
  outsider = uniqueName('outsider');
  await mustRun('kubectl', ['create', 'namespace', namespace]);
  await mustRun('kubectl', [
    'label',
    'namespace',
    namespace,
    'pod-security.kubernetes.io/enforce=restricted',
  ]);
  await mustRun('kubectl', ['create', 'namespace', monitoring]);
  await mustRun('kubectl', ['create', 'namespace', outsider]);
  browser = await launchHeadlessChromium();
});

afterAll(async () => {
  await browser?.close();
  // The last test uninstalls; this only cleans up after a failure before it.
  await run('helm', ['uninstall', RELEASE, '--namespace', namespace, '--wait', '--timeout', '60s']);
  for (const ns of [namespace, monitoring, outsider])
    await run('kubectl', ['delete', 'namespace', ns, '--wait=false']);
});

describe('the chart on a real node', () => {
  it('installs with --wait --wait-for-jobs into a Restricted namespace: the training Job writes the model, processors get Ready, helm test passes', async () => {
    const started = Date.now();
    await mustRun('helm', [
      'install',
      RELEASE,
      CHART,
      '--namespace',
      namespace,
      '--wait',
      '--wait-for-jobs',
      '--timeout',
      '5m',
      '--set',
      'kafka.strimzi.enabled=false',
      '--set',
      `kafka.external.bootstrapServers=${bootstrap}`,
      '--set',
      `kafka.external.ports={${kafkaPort}}`,
      '--set',
      `networkPolicy.metricsNamespace=${monitoring}`,
      // Small enough for two shared cores: a quick training, one processor to start with.
      '--set',
      'trainer.samples=4000',
      '--set',
      'trainer.resources.requests.cpu=100m',
      '--set',
      'processor.replicas=1',
      '--set',
      'processor.resources.requests.cpu=100m',
      '--set',
      'producer.rate=20',
      // The world's clock at 03:00 in Manila, its quietest hour, named: the suite is the same at any hour it runs.
      '--set',
      'producer.worldStart=03:00',
    ]);
    console.log(`helm install --wait --wait-for-jobs: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // The training Job ran in a real pod and wrote the model ConfigMap.
    expect(await trainerJobsSucceeded(namespace)).toEqual([1]);
    const version = await modelVersionInConfigMap();

    // Every pod Ready (kubelet probes pass under the default-deny policies); the processor serves that model
    // and owns all 6 partitions.
    for (const component of ['processor', 'producer', 'dashboard']) {
      const list = await pods(component);
      expect(list.length, component).toBe(1);
      expect(list.every(ready), component).toBe(true);
    }
    const [processor] = await pods('processor');
    const metrics = await eventually('the processor owning 6 partitions', async () => {
      const m = await processorMetrics(processor?.metadata.name as string);
      return m.partitions === 6 ? m : undefined;
    });
    expect(metrics.modelVersion).toBe(version);

    // helm test: the producer's events are scored and counted by the dashboard; --logs shows the test's log.
    const test = await run('helm', ['test', RELEASE, '--namespace', namespace, '--logs', '--timeout', '3m']);
    expect(test.code, test.stderr + test.stdout).toBe(0);
    expect(test.stdout).toMatch(/scored events are flowing: total_scored \d+ -> \d+/);
  });

  it('serves the dashboard through kubectl port-forward: in Chromium rows appear within 10 s and the count rises', async () => {
    const forward = spawn(
      'kubectl',
      [
        '--namespace',
        namespace,
        'port-forward',
        '--address',
        '127.0.0.1',
        `svc/${DASHBOARD}`,
        `${process.env.NODE_FORWARD_PORT ?? ''}:8080`,
      ],
      { env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        forward.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
          if (port) resolve(`http://127.0.0.1:${port}`);
        });
        forward.once('exit', (code) => reject(new Error(`port-forward exited ${code}: ${output}`)));
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const opened = Date.now();
      await page.goto(url);
      await expect
        .poll(() => page.getByTestId('result-row').count(), { timeout: 10_000, interval: 100 })
        .toBeGreaterThan(0);
      expect(Date.now() - opened).toBeLessThan(10_000);
      const before = await counter(page, 'total');
      await expect.poll(() => counter(page, 'total'), { timeout: 10_000 }).toBeGreaterThan(before);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      forward.kill();
    }
  });

  it('splits the 6 partitions between 3 live processors (2 + 2 + 2 in their /metrics), then back to 1 takes all 6, losing nothing', async () => {
    const first = 1_000_000;
    const count = 3000;
    await underTraffic(first, count, 100, async () => {
      await kubectl('scale', `deployment/${PROCESSOR}`, '--replicas=3');
      await kubectl('rollout', 'status', `deployment/${PROCESSOR}`, '--timeout=180s');
      const shares = await eventually(
        'three processors sharing the partitions',
        async () => {
          const list = await pods('processor');
          if (list.length !== 3) return undefined;
          const counts = await Promise.all(
            list.map(async (p) => (await processorMetrics(p.metadata.name)).partitions),
          );
          return counts.every((c) => c > 0) && counts.reduce((a, b) => a + b, 0) === 6 ? counts : undefined;
        },
        120_000,
      );
      expect(shares.sort()).toEqual([2, 2, 2]);
      await kubectl('scale', `deployment/${PROCESSOR}`, '--replicas=1');
      await eventually(
        'one processor with all 6 partitions',
        async () => {
          const list = await pods('processor');
          if (list.length !== 1) return undefined;
          return (await processorMetrics(list[0]?.metadata.name as string)).partitions === 6
            ? true
            : undefined;
        },
        120_000,
      );
    });
    await expectAllScored(first, count);
    // Joins, rebalances and leaves are routine: no processor logged anything at error level (pino: 50+) —
    // kafkajs's "group coordinator is not available" and the like included.
    const [survivor] = await pods('processor');
    const logs = await kubectl('logs', survivor?.metadata.name as string);
    const errors = logs.split('\n').filter((line) => /"level":(5\d|6\d)\b/.test(line));
    expect(errors).toEqual([]);
  });

  it('switches every processor to a retrained model while traffic flows, with no restart and no lost event', async () => {
    await kubectl('scale', `deployment/${PROCESSOR}`, '--replicas=2');
    await kubectl('rollout', 'status', `deployment/${PROCESSOR}`, '--timeout=180s');
    const before = await modelVersionInConfigMap();
    const first = 2_000_000;
    const count = 2000;
    await underTraffic(first, count, 100, async () => {
      // make retrain: a Job from the CronJob, which trains on new data (a random seed).
      const job = `${RELEASE}-retrain-${Date.now().toString(36)}`;
      await kubectl('create', 'job', job, `--from=cronjob/${RELEASE}-scam-detector-trainer`);
      await kubectl('wait', '--for=condition=Complete', `job/${job}`, '--timeout=180s');
      const after = await modelVersionInConfigMap();
      expect(after).not.toBe(before);
      await eventually(
        `every processor on model ${after}`,
        async () => {
          const list = await pods('processor');
          const versions = await Promise.all(
            list.map(async (p) => (await processorMetrics(p.metadata.name)).modelVersion),
          );
          return versions.length === 2 && versions.every((v) => v === after) ? true : undefined;
        },
        60_000,
      );
    });
    expect(await restartCounts('processor')).toEqual([0, 0]);
    await expectAllScored(first, count);
  });

  it('loses nothing when a processor pod is deleted and on a rolling restart, each old pod exiting 0 on SIGTERM', async () => {
    const exits = watchExitCodes('processor');
    const old = (await pods('processor')).map((p) => p.metadata.name);
    const first = 3_000_000;
    const count = 3000;
    try {
      await underTraffic(first, count, 100, async () => {
        await kubectl('delete', 'pod', old[0] as string, '--wait=true', '--timeout=60s');
        await kubectl('rollout', 'status', `deployment/${PROCESSOR}`, '--timeout=180s');
        await kubectl('rollout', 'restart', `deployment/${PROCESSOR}`);
        await kubectl('rollout', 'status', `deployment/${PROCESSOR}`, '--timeout=180s');
      });
      await expectAllScored(first, count);
      await eventually('exit codes of the old pods', async () =>
        old.every((name) => exits.codes.has(name)) ? true : undefined,
      );
      for (const name of old) expect(exits.codes.get(name), name).toBe(0);
    } finally {
      exits.stop();
    }
  });

  it('enforces the NetworkPolicies: producer and dashboard cannot reach the API server, an outsider cannot reach the metrics port, every allowed path works', async () => {
    // The egress rule to the API server names the port it really listens on, read from the cluster at install
    // (policies match after kube-proxy's translation of the Service's 443) ...
    const endpointPorts = (
      await mustRun('kubectl', [
        'get',
        'endpointslice',
        'kubernetes',
        '--namespace',
        'default',
        '-o',
        'jsonpath={.ports[*].port}',
      ])
    ).trim();
    expect(endpointPorts).not.toBe('443');
    const policyPorts = await kubectl(
      'get',
      'networkpolicy',
      `${RELEASE}-scam-detector-egress-apiserver`,
      '-o',
      'jsonpath={.spec.egress[0].ports[*].port}',
    );
    expect(policyPorts.trim()).toBe(endpointPorts);
    // ... and ports given by hand that leave it out fail the install, naming it.
    const wrong = await run('helm', [
      'install',
      'wrong-ports',
      CHART,
      '--namespace',
      namespace,
      '--dry-run=server',
      '--set',
      'kafka.strimzi.enabled=false',
      '--set',
      `kafka.external.bootstrapServers=${bootstrap}`,
      '--set',
      'networkPolicy.apiServer.ports={443,6443}',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain(`leaves out ${endpointPorts}, the port the API server really listens on`);

    const apiHost = 'kubernetes.default.svc';
    const [processor] = await pods('processor');
    const [producer] = await pods('producer');
    const [dashboard] = await pods('dashboard');
    const processorName = processor?.metadata.name as string;
    const processorIp = processor?.status.podIP as string;
    // The policies are in force for these pods (the processor was recreated by the tests before this one).
    await untilPoliciesProgrammed(
      [processorName, producer?.metadata.name, dashboard?.metadata.name].map((name) => ({
        name: name as string,
        ns: namespace,
      })),
    );
    // Allowed: the processor (and the trainer, whose Job wrote the model) reach the API server; DNS works.
    expect(await canConnect(processorName, apiHost, 443)).toBe(true);
    // Blocked: the producer and the dashboard (no token, no business there).
    expect(await canConnect(producer?.metadata.name as string, apiHost, 443)).toBe(false);
    expect(await canConnect(dashboard?.metadata.name as string, apiHost, 443)).toBe(false);

    // A pod without the chart's labels in another namespace, and one in the monitoring namespace.
    const probe = (ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ${ns}, labels: {role: probe}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: probe
    image: ${image('processor')}
    imagePullPolicy: IfNotPresent
    command: [sleep, infinity]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}
  terminationGracePeriodSeconds: 1
`;
    for (const ns of [outsider, monitoring])
      await mustRun('kubectl', ['apply', '-f', '-'], { input: probe(ns) });
    // Watched from now, while the pods start: how long a new pod is unfiltered, from its container's start to
    // kube-router's chain for it (docs/security.md).
    const programming = untilPoliciesProgrammed([
      { name: 'probe', ns: outsider },
      { name: 'probe', ns: monitoring },
    ]);
    for (const ns of [outsider, monitoring])
      await mustRun('kubectl', [
        '--namespace',
        ns,
        'wait',
        '--for=condition=Ready',
        'pod/probe',
        '--timeout=120s',
      ]);
    const programmed = await programming;
    const started = await kubectlJson<{
      status: { containerStatuses: { state: { running?: { startedAt: string } } }[] };
    }>(['get', 'pod', 'probe', '--namespace', outsider]);
    const startedAt = Date.parse(started.status.containerStatuses[0]?.state.running?.startedAt ?? '');
    console.log(
      JSON.stringify({
        name: 'netpol_new_pod_programmed_after_start_s',
        value: ((programmed.get(`${outsider}/probe`) as number) - startedAt) / 1000,
        unit: 's (container start has 1 s resolution)',
      }),
    );

    // The dashboard's port is open to anyone (so the outsider's network works at all) ...
    await eventually('outsider -> dashboard Service', async () =>
      (await canConnect('probe', `${DASHBOARD}.${namespace}.svc`, 8080, outsider)) ? true : undefined,
    );
    // ... the monitoring namespace reaches the processors' metrics port ...
    await eventually('monitoring -> processor metrics', async () =>
      (await canConnect('probe', processorIp, 8081, monitoring)) ? true : undefined,
    );
    // ... and the outsider does not.
    expect(await canConnect('probe', processorIp, 8081, outsider)).toBe(false);
  });

  it('runs every container as uid 1000 on a read-only root filesystem', async () => {
    for (const component of ['processor', 'producer', 'dashboard']) {
      const [pod] = await pods(component);
      const name = pod?.metadata.name as string;
      expect((await kubectl('exec', name, '--', 'id')).trim(), component).toMatch(/^uid=1000\b.*gid=1000\b/);
      const write = await run('kubectl', ['--namespace', namespace, 'exec', name, '--', 'touch', '/written']);
      expect(write.code, component).not.toBe(0);
      expect(write.stderr, component).toMatch(/Read-only file system/);
      // /tmp is the one writable place (an emptyDir).
      expect(
        (await run('kubectl', ['--namespace', namespace, 'exec', name, '--', 'touch', '/tmp/written'])).code,
      ).toBe(0);
    }
  });

  it('keeps the model ConfigMap watch quiet: no processor logged a watch failure however long it ran', async () => {
    for (const pod of await pods('processor')) {
      const logs = await kubectl('logs', pod.metadata.name);
      expect(
        logs.split('\n').filter((line) => line.includes('model ConfigMap watch')),
        pod.metadata.name,
      ).toEqual([]);
    }
  });

  it("uninstalls everything Helm made; what it leaves (the model ConfigMap, the last helm test's pod) is what NOTES.txt says, and its command removes them", async () => {
    const notes = await mustRun('helm', ['get', 'notes', RELEASE, '--namespace', namespace]);
    const cleanup = /kubectl -n \S+ delete --ignore-not-found (configmap\/\S+) (pod\/\S+)/.exec(notes);
    expect(cleanup?.slice(1)).toEqual([`configmap/${MODEL}`, `pod/${TEST_POD}`]);
    await mustRun('helm', ['uninstall', RELEASE, '--namespace', namespace, '--wait', '--timeout', '120s']);
    const releasePods = async () =>
      (await kubectl('get', 'pods', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'))
        .split('\n')
        .filter((line) => line.length > 0);
    await eventually(
      'only the helm test pod left of the release',
      async () => ((await releasePods()).join() === `pod/${TEST_POD}` ? true : undefined),
      120_000,
    );
    expect((await kubectl('get', 'configmap', MODEL, '-o', 'name')).trim()).toBe(`configmap/${MODEL}`);
    await kubectl('delete', '--ignore-not-found', ...(cleanup?.slice(1) ?? []));
    expect(await releasePods()).toEqual([]);
    expect((await kubectl('get', 'configmap', '-o', 'name')).split('\n')).not.toContain(`configmap/${MODEL}`);
  });
});

/** The number a dashboard counter tile shows. */
async function counter(page: Page, name: string): Promise<number> {
  const text = await page.getByTestId(`counter-${name}`).textContent();
  return Number((text ?? '').replace(/[^\d]/g, '') || Number.NaN);
}

function image(component: string): string {
  const appVersion = /appVersion:\s*"?([^"\n]+)"?/.exec(readFileSync(`${CHART}/Chart.yaml`, 'utf8'))?.[1];
  return `scam-detector-${component}:${appVersion}`;
}
