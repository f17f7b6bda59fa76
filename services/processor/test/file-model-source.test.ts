import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyModel, type Model, writeFileAtomic } from '@scam-detector/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileModelSource } from '../src/file-model-source.js';
import { sealedModel } from './models.js';

describe('FileModelSource', () => {
  let dir: string;
  let source: FileModelSource;
  const loaded: Model[] = [];
  const rejected: Error[] = [];
  const listener = {
    loaded: (m: AnyModel) => loaded.push(m.model as Model),
    rejected: (e: Error) => rejected.push(e),
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-source-'));
    loaded.length = 0;
    rejected.length = 0;
  });
  afterEach(async () => {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the model at start, then every valid replacement; a broken file is reported, not loaded', async () => {
    const a = sealedModel(1);
    const b = sealedModel(2);
    const path = join(dir, 'model.json');
    await writeFileAtomic(path, a.json);
    source = new FileModelSource({ path, debounceMs: 20 });
    await source.start(listener);
    expect(loaded.map((m) => m.version)).toEqual([a.version]);

    await writeFileAtomic(path, a.json.slice(0, 500)); // truncated
    await vi.waitFor(() => expect(rejected.length).toBeGreaterThan(0));
    expect(rejected[0]?.message).toMatch(/not valid JSON/);
    expect(loaded).toHaveLength(1);

    await writeFileAtomic(path, b.json);
    await vi.waitFor(() => expect(loaded.at(-1)?.version).toBe(b.version));
  });

  it('reports a missing file at start and loads it when it appears', async () => {
    const path = join(dir, 'model.json');
    source = new FileModelSource({ path, debounceMs: 20 });
    await source.start(listener);
    expect(loaded).toHaveLength(0);
    expect(rejected[0]?.message).toMatch(/ENOENT/);
    const a = sealedModel(1);
    await writeFile(path, a.json);
    await vi.waitFor(() => expect(loaded.at(-1)?.version).toBe(a.version));
  });

  it('ignores changes to other files in the directory', async () => {
    const a = sealedModel(1);
    const path = join(dir, 'model.json');
    await writeFileAtomic(path, a.json);
    source = new FileModelSource({ path, debounceMs: 0 });
    await source.start(listener);
    await writeFile(join(dir, 'other.json'), 'not a model');
    await writeFile(join(dir, 'model.json.bak'), 'not a model either');
    // A change to the watched file after the others proves the watcher is live; nothing else was read.
    await writeFileAtomic(path, a.json);
    await vi.waitFor(() => expect(loaded).toHaveLength(2));
    expect(rejected).toHaveLength(0);
  });
});
