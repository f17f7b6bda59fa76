import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeModel } from './artifact.js';
import { type AnyModel, decodeAnyModel } from './behaviour-artifact.js';
import type { Model } from './model.js';

/** Writes through a temporary file and a rename, so a reader never sees half a model. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

export async function readModelFile(path: string): Promise<Model> {
  return decodeModel(await readFile(path, 'utf8'));
}

/** Reads a model file of either kind (behavioural or stateless prototype). */
export async function readAnyModelFile(path: string): Promise<AnyModel> {
  return decodeAnyModel(await readFile(path, 'utf8'));
}
