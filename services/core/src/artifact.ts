import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { contentVersion, failArtifact, openArtifact, sealArtifact } from './artifact-envelope.js';
import { ErrorCodes, ModelArtifactError } from './errors.js';
import { FEATURE_COUNT, FEATURE_NAMES, HOURS } from './features.js';
import type { Model } from './model.js';
import { subset, type TrainingSet } from './training-set.js';

/**
 * The model file: versioned JSON, small enough for a Kubernetes ConfigMap (1 MiB). The training points
 * travel as one base64 string: sorted (so neighbouring values look alike), durations split into byte
 * planes, then deflated. `model_version` is a hash of everything else but the creation time, so the same
 * training gives the same version, and any change to the content is caught on load.
 */
export const ARTIFACT_FORMAT = 'scam-detector/knn-model';
export const ARTIFACT_FORMAT_VERSION = 1;
export const POINTS_ENCODING = 'sorted;f32-byte-planes,u8-hour,u8-digits,u8-freq,u8-label;deflate-raw;base64';

const finite = z.number().finite();
const weighting = z.enum(['uniform', 'distance']);

const artifactSchema = z.strictObject({
  format: z.literal(ARTIFACT_FORMAT),
  format_version: z.literal(ARTIFACT_FORMAT_VERSION),
  model_version: z.string().regex(/^knn-[0-9a-f]{16}$/, 'must be "knn-" and 16 hex digits'),
  created_at: z.iso.datetime(),
  features: z.array(z.string()),
  params: z.strictObject({
    k: z.number().int().min(1),
    weighting,
    freq_cap: z.number().int().min(1).max(255),
    feature_weights: z.array(finite.positive()),
  }),
  scaler: z.strictObject({ mean: z.array(finite), std: z.array(finite) }),
  points: z.strictObject({
    count: z.number().int().min(1),
    encoding: z.literal(POINTS_ENCODING),
    data: z.string(),
  }),
  training: z.unknown(),
  evaluation: z.unknown(),
});

type Artifact = z.infer<typeof artifactSchema>;

type ArtifactContent = Omit<Artifact, 'model_version' | 'created_at'>;

/**
 * The order points are stored in. Models are built from points in this order, so a model read back from its
 * file breaks distance ties exactly as the model that was trained.
 */
export function canonicalOrder(points: TrainingSet): TrainingSet {
  return subset(points, storageOrder(points));
}

function storageOrder(points: TrainingSet): number[] {
  return Array.from({ length: points.label.length }, (_, i) => i).sort(
    (a, b) =>
      (points.hour[a] as number) - (points.hour[b] as number) ||
      (points.digits[a] as number) - (points.digits[b] as number) ||
      (points.freq[a] as number) - (points.freq[b] as number) ||
      (points.duration[a] as number) - (points.duration[b] as number) ||
      a - b,
  );
}

function encodePoints(points: TrainingSet): string {
  const n = points.label.length;
  const order = storageOrder(points);
  const durationBytes = new Uint8Array(Float32Array.from(order, (i) => points.duration[i] as number).buffer);
  const raw = new Uint8Array(n * 8);
  for (let plane = 0; plane < 4; plane++) {
    for (let i = 0; i < n; i++) raw[plane * n + i] = durationBytes[i * 4 + plane] as number;
  }
  order.forEach((row, i) => {
    raw[4 * n + i] = points.hour[row] as number;
    raw[5 * n + i] = points.digits[row] as number;
    raw[6 * n + i] = points.freq[row] as number;
    raw[7 * n + i] = points.label[row] as number;
  });
  return deflateRawSync(raw, { level: 9 }).toString('base64');
}

function decodePoints(data: string, count: number): TrainingSet {
  let raw: Buffer;
  try {
    raw = inflateRawSync(Buffer.from(data, 'base64'), { maxOutputLength: count * 8 + 1 });
  } catch (cause) {
    throw new ModelArtifactError(
      ErrorCodes.MODEL_CORRUPT_POINTS,
      'model points cannot be decompressed (corrupted or truncated data)',
      { cause },
    );
  }
  if (raw.length !== count * 8) {
    throw new ModelArtifactError(
      ErrorCodes.MODEL_CORRUPT_POINTS,
      `model points hold ${Math.floor(raw.length / 8)} rows' worth of bytes, but points.count says ${count}`,
    );
  }
  const durationBytes = new Uint8Array(count * 4);
  for (let plane = 0; plane < 4; plane++) {
    for (let i = 0; i < count; i++) durationBytes[i * 4 + plane] = raw[plane * count + i] as number;
  }
  return {
    duration: new Float32Array(durationBytes.buffer),
    hour: raw.subarray(4 * count, 5 * count),
    digits: raw.subarray(5 * count, 6 * count),
    freq: raw.subarray(6 * count, 7 * count),
    label: raw.subarray(7 * count, 8 * count),
  };
}

/** Serialises a model; its version is computed from the content. */
export function encodeModel(model: Omit<Model, 'version'>): { json: string; version: string } {
  const content: ArtifactContent = {
    format: ARTIFACT_FORMAT,
    format_version: ARTIFACT_FORMAT_VERSION,
    features: [...FEATURE_NAMES],
    params: {
      k: model.params.k,
      weighting: model.params.weighting,
      freq_cap: model.params.freqCap,
      feature_weights: model.params.featureWeights,
    },
    scaler: model.scaler,
    points: { count: model.points.label.length, encoding: POINTS_ENCODING, data: encodePoints(model.points) },
    training: model.training,
    evaluation: model.evaluation,
  };
  return sealArtifact(content, model.createdAt);
}

/** Recomputes model_version after editing a parsed artifact (for tools and tests that build variants). */
export function resealArtifact(artifact: Record<string, unknown>): Record<string, unknown> {
  const { model_version: _version, created_at, ...content } = artifact;
  return { ...artifact, created_at, model_version: contentVersion(content) };
}

/** Parses and fully validates a model file. Throws ModelArtifactError naming what is wrong. */
export function decodeModel(text: string): Model {
  const artifact = openArtifact(text, {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    schema: artifactSchema,
    wrongFormatHint: (format) =>
      format === 'scam-detector/behaviour-knn-model'
        ? ' (this is a behavioural model: it scores per-caller features, which this reader does not compute; read it with decodeAnyModel)'
        : '',
  });
  const points = decodePoints(artifact.points.data, artifact.points.count);
  checkConsistency(artifact, points);
  return {
    version: artifact.model_version,
    createdAt: artifact.created_at,
    params: {
      k: artifact.params.k,
      weighting: artifact.params.weighting,
      freqCap: artifact.params.freq_cap,
      featureWeights: artifact.params.feature_weights,
    },
    scaler: artifact.scaler,
    points,
    training: (artifact.training ?? null) as Model['training'],
    evaluation: (artifact.evaluation ?? null) as Model['evaluation'],
  };
}

function checkConsistency(artifact: Artifact, points: TrainingSet): void {
  const problems: string[] = [];
  if (artifact.features.join() !== FEATURE_NAMES.join()) {
    problems.push(
      `features are [${artifact.features.join(', ')}], this build computes [${FEATURE_NAMES.join(', ')}]`,
    );
  }
  for (const [name, values] of [
    ['scaler.mean', artifact.scaler.mean],
    ['scaler.std', artifact.scaler.std],
    ['params.feature_weights', artifact.params.feature_weights],
  ] as const) {
    if (values.length !== FEATURE_COUNT)
      problems.push(`${name} has ${values.length} values, expected ${FEATURE_COUNT}`);
  }
  if (artifact.scaler.std.some((s) => !(s > 0))) problems.push('scaler.std has a value that is not positive');
  if (artifact.params.k > artifact.points.count) {
    problems.push(
      `params.k is ${artifact.params.k} but there are only ${artifact.points.count} training points`,
    );
  }
  const badRow = (test: (i: number) => boolean): number => {
    for (let i = 0; i < points.label.length; i++) if (test(i)) return i;
    return -1;
  };
  const checks: [string, (i: number) => boolean][] = [
    ['hour_of_day outside 0..23', (i) => (points.hour[i] as number) >= HOURS],
    ['label other than 0 or 1', (i) => (points.label[i] as number) > 1],
    [
      'call_duration negative or not finite',
      (i) => !((points.duration[i] as number) >= 0) || !Number.isFinite(points.duration[i]),
    ],
  ];
  for (const [what, test] of checks) {
    const row = badRow(test);
    if (row >= 0) problems.push(`training point ${row} has ${what}`);
  }
  if (problems.length > 0)
    failArtifact('MODEL_INCONSISTENT', `model is inconsistent: ${problems.join('; ')}`);
}
