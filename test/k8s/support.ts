import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = `${ROOT}charts/scam-detector`;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The PATH (helm, kubectl, kind) and KUBECONFIG of the local control plane, from control-plane.sh env. */
export function toolEnv(): NodeJS.ProcessEnv {
  const { K8S_TOOL_PATH, K8S_KUBECONFIG } = process.env;
  if (!K8S_TOOL_PATH || !K8S_KUBECONFIG) throw new Error('the k8s global setup did not run');
  return { ...process.env, PATH: `${K8S_TOOL_PATH}:${process.env.PATH}`, KUBECONFIG: K8S_KUBECONFIG };
}

/** Runs a command to completion; never throws for a non-zero exit (the code is in the result). */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: options.env ?? toolEnv(), cwd: options.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export async function mustRun(
  command: string,
  args: string[],
  options: Parameters<typeof run>[2] = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((doc): doc is K8sObject => doc !== null && typeof doc === 'object' && 'kind' in doc);
}

/** Renders the chart with helm template; `set` are --set arguments, `files` extra values files. */
export async function renderChart(
  options: { set?: string[]; files?: string[]; release?: string; namespace?: string } = {},
): Promise<K8sObject[]> {
  const args = ['template', options.release ?? 'rel', CHART, '--namespace', options.namespace ?? 'scam'];
  for (const file of options.files ?? []) args.push('-f', file);
  for (const value of options.set ?? []) args.push('--set', value);
  return parseManifests(await mustRun('helm', args));
}

export function kubectlJson<T = K8sObject>(args: string[], env?: NodeJS.ProcessEnv): Promise<T> {
  return mustRun('kubectl', [...args, '-o', 'json'], env ? { env } : {}).then(
    (text) => JSON.parse(text) as T,
  );
}

/** Polls until `check` returns a value that is not undefined, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * A kubeconfig file that authenticates as a ServiceAccount with a fresh token (kubectl create token), the
 * way a pod of that ServiceAccount would: same server and CA as the admin kubeconfig, no other identity.
 */
export async function serviceAccountKubeconfig(
  namespace: string,
  serviceAccount: string,
  path: string,
): Promise<NodeJS.ProcessEnv> {
  const token = (
    await mustRun('kubectl', ['create', 'token', serviceAccount, '--namespace', namespace, '--duration=1h'])
  ).trim();
  const admin = JSON.parse(await mustRun('kubectl', ['config', 'view', '--raw', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const cluster = admin.clusters[0]?.cluster;
  if (!cluster) throw new Error('the admin kubeconfig has no cluster');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster }],
    users: [{ name: serviceAccount, user: { token } }],
    contexts: [{ name: serviceAccount, context: { cluster: 'local', user: serviceAccount, namespace } }],
    'current-context': serviceAccount,
  };
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return { ...toolEnv(), KUBECONFIG: path };
}

/** A fresh namespace with the chart installed as release "rel" on an existing Kafka (no Strimzi objects). */
export async function namespaceWithRelease(prefix: string, brokers = 'kafka:9092'): Promise<string> {
  const namespace = uniqueName(prefix);
  await mustRun('kubectl', ['create', 'namespace', namespace]);
  await mustRun('helm', [
    'install',
    'rel',
    CHART,
    '--namespace',
    namespace,
    '--set',
    'kafka.strimzi.enabled=false',
    '--set',
    `kafka.external.bootstrapServers=${brokers}`,
  ]);
  return namespace;
}

/** The `succeeded` count of each training Job in `namespace` (one entry per Job). */
export async function trainerJobsSucceeded(namespace: string): Promise<(number | undefined)[]> {
  const jobs = await kubectlJson<{ items: { status: { succeeded?: number } }[] }>([
    'get',
    'jobs',
    '--namespace',
    namespace,
    '-l',
    'app.kubernetes.io/component=trainer',
  ]);
  return jobs.items.map((j) => j.status.succeeded);
}
