import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs the built CLI as a user would (`make test` builds first).
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, [main, ...args], { env: { ...process.env, FORCE_COLOR: '0' } });

describe('the trainer command line', () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-cli-'));
    modelPath = join(dir, 'models', 'model.json');
    await cli('train', '--prototype', '--samples', '4000', '--seed', '3', '--folds', '3', '--out', modelPath);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a model file that names its version', async () => {
    const artifact = JSON.parse(await readFile(modelPath, 'utf8'));
    expect(artifact.model_version).toMatch(/^knn-[0-9a-f]{16}$/);
    expect(artifact.training.samples).toBe(4000);
  });

  it('evaluates with --json as one object with the agreed names', async () => {
    const { stdout } = await cli(
      'evaluate',
      '--model',
      modelPath,
      '--samples',
      '2000',
      '--seed',
      '7',
      '--json',
    );
    const result = JSON.parse(stdout);
    for (const key of [
      'accuracy',
      'brier',
      'roc_auc',
      'precision',
      'recall',
      'bayes_accuracy',
      'bayes_brier',
      'samples',
      'model_version',
    ]) {
      expect(result).toHaveProperty(key);
    }
    expect(result.samples).toBe(2000);
    expect(result.accuracy).toBeGreaterThan(0.6);
  });

  it('prints a readable table without --json', async () => {
    const { stdout } = await cli('evaluate', '--model', modelPath, '--samples', '1000');
    expect(stdout).toMatch(/accuracy\s+0\.\d{4}\s+0\.\d{4}/);
    expect(stdout).toContain('ceiling');
  });

  it('refuses a corrupted model with exit code 3 and the reason', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, (await readFile(modelPath, 'utf8')).slice(0, 500));
    const failure = await cli('evaluate', '--model', broken).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 3 });
    expect((failure as { stderr: string }).stderr).toContain('MODEL_NOT_JSON');
  });

  it('rejects a bad option value with a usage error', async () => {
    const failure = await cli('train', '--samples', 'many').catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toContain('--samples');
  });

  it('trains the behavioural model by default, names its feature set, and evaluates it beside the stateless model', async () => {
    const path = join(dir, 'behaviour.json');
    const trained = await cli(
      'train',
      '--scale',
      '0.04',
      '--days',
      '1',
      '--seed',
      '5',
      '--out',
      path,
      '--json',
    );
    const summary = JSON.parse(trained.stdout);
    expect(summary).toMatchObject({
      kind: 'behaviour',
      feature_set: { name: 'behaviour', version: 1 },
      k: 25,
    });
    const artifact = JSON.parse(await readFile(path, 'utf8'));
    expect(artifact.format).toBe('scam-detector/behaviour-knn-model');
    expect(artifact.features).toContain('distinct_callees_24h');
    const { stdout } = await cli('evaluate', '--model', path, '--seed', '8', '--json');
    const evaluation = JSON.parse(stdout);
    for (const which of ['behaviour', 'stateless']) {
      for (const scenario of ['wangiri', 'robocall', 'impersonation']) {
        expect(evaluation[which].scenarios[scenario]).toHaveProperty('pr_auc');
        expect(evaluation[which].scenarios[scenario].first_flag).toHaveProperty('numbers_within_10');
      }
      expect(evaluation[which].scenarios.bulk).toHaveProperty('flagged');
      expect(evaluation[which].overall).toHaveProperty('recall_at_1pct_bulk_fpr');
    }
    const table = await cli('evaluate', '--model', path, '--seed', '8');
    expect(table.stdout).toMatch(/wangiri\s+\d+\s+behaviour/);
  }, 240_000);

  it('keeps the prototype options behind --prototype', async () => {
    const failure = await cli('train', '--samples', '4000').catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('add --prototype');
  });
});
