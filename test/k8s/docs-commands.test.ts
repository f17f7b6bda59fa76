import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from './support.js';

/** The Kubernetes guide, where every cluster command is spelled out. */
const clusterSection = readFileSync(`${ROOT}docs/kubernetes.md`, 'utf8');
const oneLine = (text: string) =>
  text
    .replace(/\\\n\s*/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();

/** What `make -n TARGET` would run, one command per line, sub-makes and `@` prefixes as written. */
async function recipe(target: string): Promise<string[]> {
  const result = await run('make', ['-n', '--no-print-directory', target], {
    env: { ...process.env, PATH: `${ROOT}.cache/node/node_modules/.bin:${process.env.PATH}` },
  });
  return oneLine(result.stdout)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('make['));
}

describe("docs/kubernetes.md's cluster commands", () => {
  it('names only make targets that exist', async () => {
    const targets = [...clusterSection.matchAll(/`?make ([a-z][a-z0-9-]+)/g)].map((m) => m[1] as string);
    expect(targets).toEqual(
      expect.arrayContaining(['kind-up', 'deploy', 'port-forward', 'scale', 'retrain', 'kind-down']),
    );
    const help = (await run('make', ['help'])).stdout;
    for (const target of new Set(targets)) expect(help, `make ${target}`).toContain(target);
  });

  it.each(['deploy', 'scale', 'port-forward', 'retrain', 'kind-down'])(
    'spells out exactly what make %s runs',
    async (target) => {
      const commands = await recipe(target);
      expect(commands.length).toBeGreaterThan(0);
      for (const command of commands) expect(oneLine(clusterSection), command).toContain(command);
    },
  );

  it('lists the commands make kind-up runs, in order', async () => {
    // Sub-makes run even under -n: what `make images` runs is listed as `make images` in the guide.
    const images = new Set(await recipe('images'));
    const commands = (await recipe('kind-up')).map((c) => (images.has(c) ? 'make images' : c));
    const section = oneLine(clusterSection);
    let position = 0;
    for (const command of commands) {
      const essential = command.replace("kind get clusters 2>/dev/null | grep -qx 'scam-detector' || ", '');
      const at = section.indexOf(essential, position);
      expect(at, essential).toBeGreaterThanOrEqual(0);
      position = at;
    }
  });
});
