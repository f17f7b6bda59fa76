import {
  type BehaviourModel,
  CODE_WIDTH,
  COORDINATES,
  CURRENT_FEATURE_SET,
  collapseCells,
  decodeAnyModel,
  decodeModel,
  encodeBehaviourModel,
  encodeModel,
  featuredWorld,
  fitCellScaler,
  gridCodes,
  type Model,
} from '@scam-detector/core';
import { smallModel } from '../../core/test/fixtures.js';

/** A sealed model file's text and the model read back from it (a real artifact round trip). */
export function sealedModel(seed: number, rows = 2000): { json: string; version: string; model: Model } {
  const { json, version } = encodeModel(smallModel(rows, {}, seed));
  return { json, version, model: decodeModel(json) };
}

/**
 * A small sealed behavioural model (a day of a small simulated world through the feature module, collapsed into
 * grid cells) and the model read back from it: the same artifact path `npm run train` takes, only smaller.
 */
export function sealedBehaviourModel(seed: number): { json: string; version: string; model: BehaviourModel } {
  const world = {
    seed,
    days: 1,
    subscribers: 800,
    bulkLines: 4,
    wangiriCampaignsPerDay: 6,
    robocallCampaignsPerDay: 4,
  };
  const features: Float64Array[] = [];
  const labels: number[] = [];
  for (const call of featuredWorld(world, 0)) {
    features.push(Float64Array.from(call.features));
    labels.push(call.truth.label);
  }
  const codes = new Uint8Array(features.length * CODE_WIDTH);
  features.forEach((f, i) => {
    gridCodes(f, codes, i * CODE_WIDTH);
  });
  const cells = collapseCells(codes, labels);
  const { json, version } = encodeBehaviourModel({
    createdAt: '2026-11-30T00:00:00.000Z',
    featureSet: { ...CURRENT_FEATURE_SET },
    params: { k: 15, threshold: 0.5, coordinateWeights: new Array(COORDINATES).fill(1) },
    scaler: fitCellScaler(cells),
    cells,
    training: { note: 'processor test fixture' },
    evaluation: null,
  });
  const read = decodeAnyModel(json);
  if (read.kind !== 'behaviour') throw new Error('not a behavioural model');
  return { json, version, model: read.model };
}
