import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustRun, namespaceWithRelease, type RunResult, run, serviceAccountKubeconfig } from './support.js';

const MODEL = 'rel-scam-detector-model';
let namespace: string;
let dir: string;
let trainer: NodeJS.ProcessEnv;
let processor: NodeJS.ProcessEnv;
let dashboard: NodeJS.ProcessEnv;

const as = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunResult> =>
  run('kubectl', [...args, '--namespace', namespace], { env });
const configMap = (name: string, value: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { 'model.json': value } });
const forbidden = (result: RunResult) => {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/forbidden/i);
};

beforeAll(async () => {
  namespace = await namespaceWithRelease('rbac');
  dir = await mkdtemp(join(tmpdir(), 'rbac-'));
  // Objects the chart's identities must not touch.
  await mustRun('kubectl', [
    'create',
    'configmap',
    'someone-elses',
    '--from-literal=a=b',
    '--namespace',
    namespace,
  ]);
  await mustRun('kubectl', [
    'create',
    'secret',
    'generic',
    'db-password',
    '--from-literal=password=hunter2',
    '--namespace',
    namespace,
  ]);
  trainer = await serviceAccountKubeconfig(namespace, 'rel-scam-detector-trainer', join(dir, 'trainer'));
  processor = await serviceAccountKubeconfig(
    namespace,
    'rel-scam-detector-processor',
    join(dir, 'processor'),
  );
  dashboard = await serviceAccountKubeconfig(
    namespace,
    'rel-scam-detector-dashboard',
    join(dir, 'dashboard'),
  );
});

afterAll(async () => {
  await run('kubectl', ['delete', 'namespace', namespace, '--wait=false']);
  await rm(dir, { recursive: true, force: true });
});

describe('RBAC for real, with the chart ServiceAccounts tokens', () => {
  it('lets the trainer create and then replace its model ConfigMap', async () => {
    const created = await run('kubectl', ['create', '--namespace', namespace, '-f', '-'], {
      env: trainer,
      input: configMap(MODEL, '{"v":1}'),
    });
    expect(created.stderr).toBe('');
    const replaced = await run('kubectl', ['replace', '--namespace', namespace, '-f', '-'], {
      env: trainer,
      input: configMap(MODEL, '{"v":2}'),
    });
    expect(replaced.code).toBe(0);
    expect((await as(trainer, 'get', 'configmap', MODEL, '-o', 'jsonpath={.data.model\\.json}')).stdout).toBe(
      '{"v":2}',
    );
  });

  it('forbids the trainer everything else: other ConfigMaps, deleting, listing, Secrets, pods', async () => {
    forbidden(await as(trainer, 'get', 'configmap', 'someone-elses'));
    forbidden(
      await run('kubectl', ['replace', '--namespace', namespace, '-f', '-'], {
        env: trainer,
        input: configMap('someone-elses', 'x'),
      }),
    );
    forbidden(await as(trainer, 'delete', 'configmap', MODEL));
    forbidden(await as(trainer, 'get', 'configmaps'));
    forbidden(await as(trainer, 'get', 'secret', 'db-password'));
    forbidden(await as(trainer, 'get', 'pods'));
  });

  it('lets the processor read, list and watch only the model ConfigMap (by name)', async () => {
    expect((await as(processor, 'get', 'configmap', MODEL, '-o', 'name')).stdout.trim()).toBe(
      `configmap/${MODEL}`,
    );
    const listed = await as(
      processor,
      'get',
      'configmaps',
      '--field-selector',
      `metadata.name=${MODEL}`,
      '-o',
      'name',
    );
    expect(listed.stdout.trim()).toBe(`configmap/${MODEL}`);
    const watch = await as(processor, 'auth', 'can-i', 'watch', `configmaps/${MODEL}`);
    expect(watch.stdout.trim()).toBe('yes');
  });

  it('forbids the processor other ConfigMaps, listing them all, writing, and Secrets', async () => {
    forbidden(await as(processor, 'get', 'configmap', 'someone-elses'));
    forbidden(await as(processor, 'get', 'configmaps'));
    forbidden(
      await run('kubectl', ['replace', '--namespace', namespace, '-f', '-'], {
        env: processor,
        input: configMap(MODEL, 'x'),
      }),
    );
    forbidden(await as(processor, 'get', 'secret', 'db-password'));
    forbidden(await as(processor, 'get', 'secrets'));
  });

  it('gives the dashboard no API access at all', async () => {
    forbidden(await as(dashboard, 'get', 'configmap', MODEL));
    forbidden(await as(dashboard, 'get', 'secret', 'db-password'));
  });
});
