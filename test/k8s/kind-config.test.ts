import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, toolEnv } from './support.js';

/**
 * kind loads and validates its config before it creates any node; with no container engine here, a stand-in
 * `docker` answers `info` and `ps` and refuses everything else. A config kind accepts gets as far as fetching
 * the node image; a broken one stops at kind's own validation.
 */
let shim: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  shim = await mkdtemp(join(tmpdir(), 'kind-shim-'));
  await writeFile(
    join(shim, 'docker'),
    `#!/bin/sh
case "$1" in
  -v|--version) echo 'Docker version 28.2.2, build e6534b4';;
  info) echo '{"CgroupDriver":"systemd","CgroupVersion":"2","MemoryLimit":true,"PidsLimit":true,"CPUShares":true,"SecurityOptions":["name=seccomp,profile=builtin","name=cgroupns"],"ServerVersion":"28.2.2","OSType":"linux"}';;
  ps) ;;
  *) echo "no container engine on this machine" >&2; exit 1;;
esac
`,
  );
  await chmod(join(shim, 'docker'), 0o755);
  env = { ...toolEnv(), PATH: `${shim}:${toolEnv().PATH}`, KIND_EXPERIMENTAL_PROVIDER: 'docker' };
});
afterAll(() => rm(shim, { recursive: true, force: true }));

const createWith = (config: string) =>
  run('kind', ['create', 'cluster', '--config', config, '--retain=false'], { env });

describe("kind-config.yaml under kind's own loader", () => {
  it('passes decoding and validation, reaches node image preparation, and names the cluster as the Makefile does', async () => {
    const result = await createWith(join(ROOT, 'kind-config.yaml'));
    expect(result.stderr).toContain('Ensuring node image');
    expect(result.stderr).not.toMatch(/invalid configuration|unable to decode|control-plane node/);
    expect(result.stderr).toContain('Creating cluster "scam-detector"');
  });

  it('would catch a broken config (the check can fail)', async () => {
    const broken = join(shim, 'broken.yaml');
    await writeFile(
      broken,
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n  - role: bogus\n',
    );
    const result = await createWith(broken);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('"bogus" is not a valid node role');
    await writeFile(broken, 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: worker\n');
    expect((await createWith(broken)).stderr).toContain('must have at least one control-plane node');
    await writeFile(broken, 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodez: []\n');
    expect((await createWith(broken)).stderr).toContain('unable to decode config');
  });
});
