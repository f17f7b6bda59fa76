import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, resealArtifact } from '../src/artifact.js';
import { ErrorCodes, ModelArtifactError } from '../src/errors.js';
import { generateCalls } from '../src/generator.js';
import { Scorer } from '../src/scorer.js';
import { smallModel } from './fixtures.js';

const model = smallModel(3000);
const { json, version } = encodeModel(model);
const parsed = (): Record<string, unknown> => JSON.parse(json);
const edited = (edit: (a: Record<string, unknown>) => void, reseal = true): string => {
  const artifact = parsed();
  edit(artifact);
  return JSON.stringify(reseal ? resealArtifact(artifact) : artifact);
};
function codeOf(text: string): string {
  try {
    decodeModel(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelArtifactError);
    return (error as ModelArtifactError).code;
  }
  throw new Error('the artifact was accepted');
}

describe('the model artifact', () => {
  it('loads back to identical scores', () => {
    const loaded = decodeModel(json);
    const queries = generateCalls(2000, 3);
    expect(new Scorer(loaded).scoreBatch(queries)).toEqual(
      new Scorer({ ...model, version }).scoreBatch(queries),
    );
    expect(loaded.version).toBe(version);
    expect(loaded.params).toEqual(model.params);
    expect(loaded.scaler).toEqual(model.scaler);
  });

  it('derives the version from the content, not from the time it was written', () => {
    expect(encodeModel({ ...model, createdAt: '2030-01-01T00:00:00.000Z' }).version).toBe(version);
    expect(encodeModel({ ...model, params: { ...model.params, k: 27 } }).version).not.toBe(version);
    expect(version).toMatch(/^knn-[0-9a-f]{16}$/);
  });

  it('carries format, version, time, features, scaler, k, points and evaluation', () => {
    const artifact = parsed();
    expect(Object.keys(artifact)).toEqual(
      expect.arrayContaining([
        'format',
        'format_version',
        'model_version',
        'created_at',
        'features',
        'params',
        'scaler',
        'points',
        'training',
        'evaluation',
      ]),
    );
  });

  it('keeps a 100,000-point model well under a ConfigMap (about 4 bytes a point)', () => {
    const big = smallModel(100_000);
    expect(Buffer.byteLength(encodeModel(big).json)).toBeLessThan(600 * 1024);
  });

  it.each([
    ['a truncated file', json.slice(0, json.length / 2), ErrorCodes.MODEL_NOT_JSON],
    ['an empty file', '', ErrorCodes.MODEL_NOT_JSON],
    ['JSON that is not an object', '[1, 2]', ErrorCodes.MODEL_WRONG_FORMAT],
    ['another kind of file', '{"name": "KNN", "kdTree": {}}', ErrorCodes.MODEL_WRONG_FORMAT],
    [
      'a newer format version',
      edited((a) => (a.format_version = 2), false),
      ErrorCodes.MODEL_UNSUPPORTED_VERSION,
    ],
    ['a missing field', edited((a) => delete a.scaler), ErrorCodes.MODEL_SCHEMA],
    [
      'a wrongly typed field',
      edited((a) => ((a.params as Record<string, unknown>).k = '25')),
      ErrorCodes.MODEL_SCHEMA,
    ],
    [
      'an unknown weighting',
      edited((a) => ((a.params as Record<string, unknown>).weighting = 'cosine')),
      ErrorCodes.MODEL_SCHEMA,
    ],
    [
      'a changed point (flipped character)',
      json.replace(/"data":"(.)/, (_m, c: string) => `"data":"${c === 'A' ? 'B' : 'A'}`),
      ErrorCodes.MODEL_HASH_MISMATCH,
    ],
    [
      'an edited evaluation',
      edited((a) => (a.evaluation = { accuracy: 0.99 }), false),
      ErrorCodes.MODEL_HASH_MISMATCH,
    ],
    [
      'points that do not decompress',
      edited((a) => ((a.points as Record<string, unknown>).data = 'bm90IGRlZmxhdGU=')),
      ErrorCodes.MODEL_CORRUPT_POINTS,
    ],
    [
      'a point count that does not match the data',
      edited((a) => ((a.points as Record<string, number>).count = 2999)),
      ErrorCodes.MODEL_CORRUPT_POINTS,
    ],
    [
      'k larger than the training set',
      edited((a) => ((a.params as Record<string, number>).k = 5000)),
      ErrorCodes.MODEL_INCONSISTENT,
    ],
    [
      'a scaler of the wrong width',
      edited((a) => ((a.scaler as Record<string, number[]>).mean = [0, 0])),
      ErrorCodes.MODEL_INCONSISTENT,
    ],
    [
      'a zero standard deviation',
      edited((a) => ((a.scaler as Record<string, number[]>).std = [1, 1, 0, 1, 1])),
      ErrorCodes.MODEL_INCONSISTENT,
    ],
    [
      'features this build does not compute',
      edited((a) => (a.features = ['duration', 'hour', 'digits', 'freq', 'x'])),
      ErrorCodes.MODEL_INCONSISTENT,
    ],
  ])('rejects %s with its own error', (_name, text, code) => {
    expect(codeOf(text)).toBe(code);
  });

  it('names what is wrong in the message', () => {
    expect(() => decodeModel(edited((a) => ((a.params as Record<string, number>).k = 5000)))).toThrow(
      /params\.k is 5000 but there are only 3000/,
    );
    expect(() => decodeModel(edited((a) => delete a.scaler))).toThrow(/scaler/);
    expect(() => decodeModel(edited((a) => (a.format_version = 2), false))).toThrow(
      /format_version 2 is not supported/,
    );
  });
});
