import { stat } from 'node:fs/promises';
import { readAnyModelFile } from '@scam-detector/core';
import type { ModelInfo } from '../shared/wire.js';
import type { ResultStore } from './store.js';

/**
 * /api/model: the version the stream carries now and, when the dashboard can read the model file
 * (MODEL_PATH), its metadata. The file is decoded again only when its modification time changes.
 */
export function createModelInfo(path: string | undefined, store: ResultStore): () => Promise<ModelInfo> {
  let cached: { mtimeMs: number; file: ModelInfo['file'] } | undefined;
  let lastError: string | null = null;

  async function readFileInfo(): Promise<ModelInfo['file']> {
    if (!path) return null;
    try {
      const { mtimeMs } = await stat(path);
      if (cached?.mtimeMs !== mtimeMs) {
        const any = await readAnyModelFile(path);
        if (any.kind === 'behaviour') {
          // The behavioural model: KNN over the caller features, its figures from the world it was trained on.
          const model = any.model;
          cached = {
            mtimeMs,
            file: {
              path,
              version: model.version,
              created_at: model.createdAt,
              k: model.params.k,
              weighting: `uniform, ${model.featureSet.name} features v${model.featureSet.version}`,
              training: null,
              test: null,
              read_ms: Date.now(),
            },
          };
        } else {
          const model = any.model;
          const test = model.evaluation?.test;
          cached = {
            mtimeMs,
            file: {
              path,
              version: model.version,
              created_at: model.createdAt,
              k: model.params.k,
              weighting: model.params.weighting,
              training: model.training
                ? {
                    samples: model.training.samples,
                    seed: model.training.seed,
                    train_rows: model.training.train_rows,
                    test_rows: model.training.test_rows,
                  }
                : null,
              test: test
                ? {
                    accuracy: test.accuracy,
                    precision: test.precision,
                    recall: test.recall,
                    f1: test.f1,
                    roc_auc: test.roc_auc,
                    brier: test.brier,
                  }
                : null,
              read_ms: Date.now(),
            },
          };
        }
      }
      lastError = null;
      return cached.file;
    } catch (error) {
      lastError = `cannot read ${path}: ${(error as Error).message}`;
      cached = undefined;
      return null;
    }
  }

  return async () => {
    const file = await readFileInfo();
    const versions = store.stats().models;
    const newest = store.buffer.last();
    return {
      current_version: newest?.model_version ?? null,
      versions,
      file,
      file_error: lastError,
    };
  };
}
