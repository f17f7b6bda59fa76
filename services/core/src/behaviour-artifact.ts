import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { ARTIFACT_FORMAT, decodeModel } from './artifact.js';
import { failArtifact, openArtifact, sealArtifact } from './artifact-envelope.js';
import {
  BEHAVIOUR_FEATURE_SET,
  BEHAVIOUR_MODEL_FORMAT,
  type BehaviourModel,
  type Cells,
  CODE_WIDTH,
  COORDINATE_NAMES,
  COORDINATES,
  GRID,
} from './behaviour-model.js';
import { BEHAVIOUR_FEATURES, BEHAVIOUR_FEATURES_VERSION } from './caller-state.js';
import { canonicalJson } from './canonical-json.js';
import type { Model } from './model.js';

/**
 * The behavioural model's file: versioned JSON like the prototype's (small enough for a ConfigMap), naming
 * the feature set and its version, the per-call features it reads and the grid it puts them on. A reader
 * refuses a file whose feature set, features or grid differ from the ones this build computes.
 */
export const BEHAVIOUR_ARTIFACT_VERSION = 1;
export const CELLS_ENCODING = 'sorted;u8-code-planes,u32le-legit-planes,u32le-scam-planes;deflate-raw;base64';

const finite = z.number().finite();
const schema = z.strictObject({
  format: z.literal(BEHAVIOUR_MODEL_FORMAT),
  format_version: z.literal(BEHAVIOUR_ARTIFACT_VERSION),
  model_version: z.string().regex(/^knn-[0-9a-f]{16}$/, 'must be "knn-" and 16 hex digits'),
  created_at: z.iso.datetime(),
  feature_set: z.strictObject({ name: z.string(), version: z.number().int() }),
  features: z.array(z.string()),
  grid: z.array(
    z.strictObject({
      name: z.string(),
      feature: z.number().int(),
      log: z.boolean(),
      step: finite.positive(),
    }),
  ),
  coordinates: z.array(z.string()),
  params: z.strictObject({
    k: z.number().int().min(1),
    threshold: finite.min(0).max(1),
    coordinate_weights: z.array(finite.positive()),
  }),
  scaler: z.strictObject({ mean: z.array(finite), std: z.array(finite) }),
  cells: z.strictObject({
    count: z.number().int().min(1),
    points: z.number().int().min(1),
    encoding: z.literal(CELLS_ENCODING),
    data: z.string(),
  }),
  training: z.unknown(),
  evaluation: z.unknown(),
});
type Artifact = z.infer<typeof schema>;
type Content = Omit<Artifact, 'model_version' | 'created_at'>;

const ROW_BYTES = CODE_WIDTH + 8;

function encodeCells(cells: Cells): string {
  const n = cells.legit.length;
  const raw = new Uint8Array(n * ROW_BYTES);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < CODE_WIDTH; d++) raw[d * n + i] = cells.codes[i * CODE_WIDTH + d] as number;
    for (let b = 0; b < 4; b++) {
      raw[(CODE_WIDTH + b) * n + i] = ((cells.legit[i] as number) >>> (8 * b)) & 0xff;
      raw[(CODE_WIDTH + 4 + b) * n + i] = ((cells.scam[i] as number) >>> (8 * b)) & 0xff;
    }
  }
  return deflateRawSync(raw, { level: 9 }).toString('base64');
}

function decodeCells(data: string, count: number): Cells {
  let raw: Buffer;
  try {
    raw = inflateRawSync(Buffer.from(data, 'base64'), { maxOutputLength: count * ROW_BYTES + 1 });
  } catch (cause) {
    failArtifact(
      'MODEL_CORRUPT_POINTS',
      'model cells cannot be decompressed (corrupted or truncated data)',
      cause,
    );
  }
  if (raw.length !== count * ROW_BYTES) {
    failArtifact(
      'MODEL_CORRUPT_POINTS',
      `model cells hold ${Math.floor(raw.length / ROW_BYTES)} cells' worth of bytes, but cells.count says ${count}`,
    );
  }
  const cells: Cells = {
    codes: new Uint8Array(count * CODE_WIDTH),
    legit: new Uint32Array(count),
    scam: new Uint32Array(count),
  };
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < CODE_WIDTH; d++) cells.codes[i * CODE_WIDTH + d] = raw[d * count + i] as number;
    let legit = 0;
    let scam = 0;
    for (let b = 0; b < 4; b++) {
      legit += (raw[(CODE_WIDTH + b) * count + i] as number) * 2 ** (8 * b);
      scam += (raw[(CODE_WIDTH + 4 + b) * count + i] as number) * 2 ** (8 * b);
    }
    cells.legit[i] = legit;
    cells.scam[i] = scam;
  }
  return cells;
}

const gridJson = () => GRID.map((d) => ({ name: d.name, feature: d.feature, log: d.log, step: d.step }));

/** Serialises a behavioural model; its version is a hash of the content. */
export function encodeBehaviourModel(model: Omit<BehaviourModel, 'version' | 'kind'>): {
  json: string;
  version: string;
} {
  let points = 0;
  for (let i = 0; i < model.cells.legit.length; i++)
    points += (model.cells.legit[i] as number) + (model.cells.scam[i] as number);
  const content: Content = {
    format: BEHAVIOUR_MODEL_FORMAT,
    format_version: BEHAVIOUR_ARTIFACT_VERSION,
    feature_set: { ...model.featureSet },
    features: [...BEHAVIOUR_FEATURES],
    grid: gridJson(),
    coordinates: [...COORDINATE_NAMES],
    params: {
      k: model.params.k,
      threshold: model.params.threshold,
      coordinate_weights: model.params.coordinateWeights,
    },
    scaler: model.scaler,
    cells: {
      count: model.cells.legit.length,
      points,
      encoding: CELLS_ENCODING,
      data: encodeCells(model.cells),
    },
    training: model.training,
    evaluation: model.evaluation,
  };
  return sealArtifact(content, model.createdAt);
}

/** Parses and fully validates a behavioural model file. Throws ModelArtifactError naming what is wrong. */
export function decodeBehaviourModel(text: string): BehaviourModel {
  const artifact = openArtifact(text, {
    format: BEHAVIOUR_MODEL_FORMAT,
    formatVersion: BEHAVIOUR_ARTIFACT_VERSION,
    schema,
  });
  const problems: string[] = [];
  const set = artifact.feature_set;
  if (set.name !== BEHAVIOUR_FEATURE_SET || set.version !== BEHAVIOUR_FEATURES_VERSION) {
    problems.push(
      `feature set is ${set.name} v${set.version}, this build computes ${BEHAVIOUR_FEATURE_SET} v${BEHAVIOUR_FEATURES_VERSION}`,
    );
  }
  if (artifact.features.join() !== BEHAVIOUR_FEATURES.join()) {
    problems.push(
      `features are [${artifact.features.join(', ')}], this build computes [${BEHAVIOUR_FEATURES.join(', ')}]`,
    );
  }
  if (canonicalJson(artifact.grid) !== canonicalJson(gridJson()))
    problems.push('grid differs from the one this build uses');
  if (artifact.coordinates.join() !== COORDINATE_NAMES.join())
    problems.push('coordinates differ from this build');
  for (const [name, values] of [
    ['scaler.mean', artifact.scaler.mean],
    ['scaler.std', artifact.scaler.std],
    ['params.coordinate_weights', artifact.params.coordinate_weights],
  ] as const) {
    if (values.length !== COORDINATES)
      problems.push(`${name} has ${values.length} values, expected ${COORDINATES}`);
  }
  if (artifact.scaler.std.some((s) => !(s > 0))) problems.push('scaler.std has a value that is not positive');
  if (artifact.params.k > artifact.cells.points) {
    problems.push(
      `params.k is ${artifact.params.k} but there are only ${artifact.cells.points} training points`,
    );
  }
  if (problems.length > 0)
    failArtifact('MODEL_INCONSISTENT', `model is inconsistent: ${problems.join('; ')}`);
  const cells = decodeCells(artifact.cells.data, artifact.cells.count);
  let points = 0;
  for (let i = 0; i < cells.legit.length; i++) {
    points += (cells.legit[i] as number) + (cells.scam[i] as number);
  }
  if (points !== artifact.cells.points) {
    failArtifact(
      'MODEL_INCONSISTENT',
      `model is inconsistent: cells hold ${points} points, cells.points says ${artifact.cells.points}`,
    );
  }
  return {
    kind: 'behaviour',
    version: artifact.model_version,
    createdAt: artifact.created_at,
    featureSet: { name: BEHAVIOUR_FEATURE_SET, version: set.version },
    params: {
      k: artifact.params.k,
      threshold: artifact.params.threshold,
      coordinateWeights: artifact.params.coordinate_weights,
    },
    scaler: artifact.scaler,
    cells,
    training: (artifact.training ?? null) as BehaviourModel['training'],
    evaluation: (artifact.evaluation ?? null) as BehaviourModel['evaluation'],
  };
}

/** Either kind of model file. */
export type AnyModel = { kind: 'prototype'; model: Model } | { kind: 'behaviour'; model: BehaviourModel };

/**
 * Reads a model file of either kind: the behavioural model (per-caller features) or the stateless prototype
 * model. A consumer that cannot compute a kind's features must refuse it with the error this names.
 */
export function decodeAnyModel(text: string): AnyModel {
  let format: unknown;
  try {
    format = (JSON.parse(text) as Record<string, unknown> | null)?.format;
  } catch (cause) {
    failArtifact(
      'MODEL_NOT_JSON',
      `model is not valid JSON (truncated or not a model file): ${(cause as Error).message}`,
      cause,
    );
  }
  if (format === BEHAVIOUR_MODEL_FORMAT) return { kind: 'behaviour', model: decodeBehaviourModel(text) };
  if (format === ARTIFACT_FORMAT) return { kind: 'prototype', model: decodeModel(text) };
  return failArtifact(
    'MODEL_WRONG_FORMAT',
    `model "format" is ${JSON.stringify(format)}, expected "${BEHAVIOUR_MODEL_FORMAT}" or "${ARTIFACT_FORMAT}"`,
  );
}
