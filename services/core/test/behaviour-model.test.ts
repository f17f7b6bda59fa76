import { createHash } from 'node:crypto';
import KNN from 'ml-knn';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../src/artifact.js';
import { decodeAnyModel, decodeBehaviourModel, encodeBehaviourModel } from '../src/behaviour-artifact.js';
import {
  type BehaviourModel,
  BehaviourScorer,
  CellIndex,
  CODE_WIDTH,
  COORDINATES,
  CURRENT_FEATURE_SET,
  cellCount,
  collapseCells,
  fitCellScaler,
  gridCodes,
} from '../src/behaviour-model.js';
import { canonicalJson } from '../src/canonical-json.js';
import { serializeScored } from '../src/contract.js';
import { ErrorCodes } from '../src/errors.js';
import { calibrateToThreshold } from '../src/scorer.js';
import { featuredWorld } from '../src/world-features.js';
import { smallModel } from './fixtures.js';

const world = {
  seed: 5,
  days: 1,
  subscribers: 1200,
  bulkLines: 5,
  wangiriCampaignsPerDay: 4,
  robocallCampaignsPerDay: 3,
  impersonatorsPerDay: 10,
};

function collect(seed: number): { features: Float64Array[]; labels: number[] } {
  const features: Float64Array[] = [];
  const labels: number[] = [];
  for (const call of featuredWorld({ ...world, seed }, 1)) {
    if (!call.scored) continue;
    features.push(Float64Array.from(call.features));
    labels.push(call.truth.label);
  }
  return { features, labels };
}

function modelFrom(features: Float64Array[], labels: number[], k: number): BehaviourModel {
  const codes = new Uint8Array(features.length * CODE_WIDTH);
  for (const [i, f] of features.entries()) gridCodes(f, codes, i * CODE_WIDTH);
  const cells = collapseCells(codes, labels);
  return {
    kind: 'behaviour',
    version: 'unsealed',
    createdAt: '2026-11-29T00:00:00.000Z',
    featureSet: { ...CURRENT_FEATURE_SET },
    params: { k, threshold: 0.5, coordinateWeights: new Array(COORDINATES).fill(1) },
    scaler: fitCellScaler(cells),
    cells,
    training: { note: 'test' },
    evaluation: null,
  };
}

/** Every cell by (distance, stored order): the definition the index must match. */
function bruteForce(index: CellIndex, query: number[]) {
  const coordinates = Array.from({ length: index.size }, (_, cell) => index.cellCoordinates(cell));
  return coordinates
    .map((v, cell) => {
      let d = 0;
      for (let j = 0; j < v.length; j++) d += ((v[j] as number) - (query[j] as number)) ** 2;
      return { cell, d };
    })
    .sort((a, b) => a.d - b.d || a.cell - b.cell);
}

describe('the behavioural model', () => {
  const train = collect(5);
  const queries = collect(6).features.filter((_, i) => i % 37 === 0);

  it('collapses identical grid points into far fewer weighted cells', () => {
    const model = modelFrom(train.features, train.labels, 25);
    expect(cellCount(model.cells)).toBeLessThan(train.features.length / 2);
    let points = 0;
    for (let c = 0; c < cellCount(model.cells); c++)
      points += (model.cells.legit[c] as number) + (model.cells.scam[c] as number);
    expect(points).toBe(train.features.length);
  });

  it.each([1, 25, 101])('finds exactly the cells and vote a brute-force search finds (k %i)', (k) => {
    const model = modelFrom(train.features, train.labels, k);
    const index = new CellIndex(model.cells, model.scaler, model.params);
    for (const query of queries.slice(0, 40)) {
      const all = bruteForce(index, index.embed(query));
      const expected: number[] = [];
      let taken = 0;
      let scam = 0;
      for (const { cell } of all) {
        if (taken >= k) break;
        const take = Math.min(index.cellWeight(cell), k - taken);
        scam += take * index.cellScamShare(cell);
        taken += take;
        expected.push(cell);
      }
      const found = index.search(query, k);
      expect(Array.from(found.cell.subarray(0, found.count))).toEqual(expected);
      expect(index.vote(found, k)).toBeCloseTo(scam / k, 12);
    }
  });

  it('agrees with ml-knn on the expanded points wherever the k-th neighbour is not tied', () => {
    const k = 25;
    const model = modelFrom(train.features.slice(0, 6000), train.labels.slice(0, 6000), k);
    const index = new CellIndex(model.cells, model.scaler, model.params);
    const dataset: number[][] = [];
    const labels: number[] = [];
    for (let c = 0; c < index.size; c++) {
      const total = (model.cells.legit[c] as number) + (model.cells.scam[c] as number);
      for (let i = 0; i < total; i++) {
        dataset.push(index.cellCoordinates(c));
        labels.push(i < (model.cells.legit[c] as number) ? 0 : 1);
      }
    }
    const reference = new KNN(dataset, labels, { k });
    const scorer = new BehaviourScorer(model);
    let compared = 0;
    for (const query of queries.slice(0, 100)) {
      const embedded = index.embed(query);
      const all = bruteForce(index, embedded);
      // The distances of the k-th and (k+1)-th points.
      let taken = 0;
      let kth = Number.NaN;
      let next = Number.NaN;
      for (const { cell, d } of all) {
        const w = index.cellWeight(cell);
        if (taken < k && taken + w >= k) kth = d;
        if (taken + w >= k + 1) {
          next = d;
          break;
        }
        taken += w;
      }
      const p = scorer.score(query).vote;
      if (kth === next || Math.abs(p - 0.5) < 1e-9) continue;
      expect(p > 0.5 ? 1 : 0).toBe(reference.predict(embedded));
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('writes a file that reads back to the same scores, names its feature set, and is refused when it differs', () => {
    const model = modelFrom(train.features, train.labels, 25);
    const { json, version } = encodeBehaviourModel(model);
    const back = decodeBehaviourModel(json);
    expect(back.version).toBe(version);
    expect(back.featureSet).toEqual(CURRENT_FEATURE_SET);
    const a = new BehaviourScorer(model);
    const b = new BehaviourScorer(back);
    for (const query of queries.slice(0, 50)) expect(b.score(query)).toEqual(a.score(query));
    expect(decodeAnyModel(json).kind).toBe('behaviour');
    expect(decodeAnyModel(encodeModel(smallModel(500)).json).kind).toBe('prototype');

    const artifact = JSON.parse(json);
    const tampered = { ...artifact, feature_set: { name: 'behaviour', version: 99 } };
    expect(() => decodeBehaviourModel(JSON.stringify(tampered))).toThrow(
      expect.objectContaining({ code: ErrorCodes.MODEL_HASH_MISMATCH }),
    );
    // Resealed with another feature-set version, it is refused for what it is.
    const { model_version: _v, created_at: _c, ...content } = tampered;
    const resealed = {
      ...tampered,
      model_version: `knn-${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16)}`,
    };
    expect(() => decodeBehaviourModel(JSON.stringify(resealed))).toThrow(
      /feature set is behaviour v99, this build computes behaviour v1/,
    );
  });

  it('never contradicts itself on the old contract: predicted_proba[1] > 0.5 exactly when predicted_label is 1, whatever the threshold', () => {
    for (const threshold of [0.05, 0.2, 0.37, 0.5, 0.8, 0.96]) {
      const model = { ...modelFrom(train.features, train.labels, 25) };
      model.params = { ...model.params, threshold };
      const scorer = new BehaviourScorer(model);
      let flagged = 0;
      for (const query of collect(6).features) {
        const score = scorer.score(query);
        expect(score.label, `threshold ${threshold}`).toBe(score.vote > threshold ? 1 : 0);
        // As an old reader sees it: the serialised result, parsed, its P(scam) against 0.5.
        const result = JSON.parse(serializeScored('{"caller":"09171234567"}', score, 1, 'v', undefined)) as {
          predicted_label: number;
          predicted_proba: [number, number];
        };
        expect(result.predicted_proba[1] > 0.5 ? 1 : 0, `threshold ${threshold}, vote ${score.vote}`).toBe(
          result.predicted_label,
        );
        flagged += score.label;
      }
      expect(flagged, `threshold ${threshold}: some calls flagged`).toBeGreaterThan(0);
    }
  });

  it('reports the vote calibrated to the threshold: increasing, the threshold at one half, never past it by rounding', () => {
    for (const threshold of [0.01, 0.3, 0.5, 0.74, 0.99]) {
      let previous = -1;
      for (let i = 0; i <= 1000; i++) {
        const vote = i / 1000;
        const p = calibrateToThreshold(vote, threshold);
        expect(p).toBeGreaterThanOrEqual(previous);
        expect(p >= 0 && p <= 1).toBe(true);
        previous = p;
      }
      expect(calibrateToThreshold(threshold, threshold)).toBeCloseTo(0.5, 12);
      expect(calibrateToThreshold(0, threshold)).toBe(0);
      expect(calibrateToThreshold(1, threshold)).toBe(1);
      // The smallest vote above the threshold still reads as a scam after rounding to 6 decimals.
      const justAbove = calibrateToThreshold(threshold + 1e-12, threshold);
      expect(Number(justAbove.toFixed(6))).toBeGreaterThan(0.5);
      expect(Number(calibrateToThreshold(threshold - 1e-12, threshold).toFixed(6))).toBeLessThanOrEqual(0.5);
    }
    // A model whose threshold is 0.5 reports its vote unchanged, but for a flagged vote within rounding of one half.
    expect(calibrateToThreshold(0.3125, 0.5)).toBe(0.3125);
    expect(calibrateToThreshold(0.75, 0.5)).toBe(0.75);
    expect(calibrateToThreshold(0.5000001, 0.5)).toBe(0.500001);
  });

  it('is refused by the prototype reader with a message that says what it is', () => {
    const { json } = encodeBehaviourModel(
      modelFrom(train.features.slice(0, 500), train.labels.slice(0, 500), 5),
    );
    expect(() => decodeModel(json)).toThrow(/behavioural model: it scores per-caller features/);
  });
});
