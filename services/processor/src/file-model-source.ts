import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readAnyModelFile } from '@scam-detector/core';
import type { ModelSource, ModelSourceListener } from './model-source.js';

export interface FileModelSourceOptions {
  path: string;
  /** Quiet time after the last change before the file is read again. */
  debounceMs: number;
}

/**
 * The model file at `path`, read at start and again after each change. It watches the directory rather than
 * the file: writers replace models by renaming a new file over the old one (core's writeFileAtomic, `kubectl
 * cp`, ConfigMap volume symlink swaps), which a watch on the old file's inode would never see. Changes are
 * debounced so a burst of events (or a writer that is still writing) leads to one read of the final content.
 * Reads are serialised; a half-written file fails validation, is reported, and the next change reads it again.
 */
export class FileModelSource implements ModelSource {
  readonly #path: string;
  readonly #debounceMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: FileModelSourceOptions) {
    this.#path = resolve(options.path);
    this.#debounceMs = options.debounceMs;
  }

  async start(listener: ModelSourceListener): Promise<void> {
    const name = basename(this.#path);
    this.#watcher = watch(dirname(this.#path), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename !== name && !filename.startsWith('..')) return;
      this.#schedule(listener);
    });
    this.#watcher.on('error', (error) => listener.rejected(error, `watch ${dirname(this.#path)}`));
    await this.#read(listener);
  }

  #schedule(listener: ModelSourceListener): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#read(listener).catch(() => undefined);
    }, this.#debounceMs);
  }

  #read(listener: ModelSourceListener): Promise<void> {
    this.#reading = this.#reading.then(async () => {
      if (this.#closed) return;
      try {
        const model = await readAnyModelFile(this.#path);
        if (!this.#closed) listener.loaded(model, this.#path);
      } catch (error) {
        if (!this.#closed) listener.rejected(error as Error, this.#path);
      }
    });
    return this.#reading;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    await this.#reading;
  }
}
