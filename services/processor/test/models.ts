import { decodeModel, encodeModel, type Model } from '@scam-detector/core';
import { smallModel } from '../../core/test/fixtures.js';

/** A sealed model file's text and the model read back from it (a real artifact round trip). */
export function sealedModel(seed: number, rows = 2000): { json: string; version: string; model: Model } {
  const { json, version } = encodeModel(smallModel(rows, {}, seed));
  return { json, version, model: decodeModel(json) };
}
