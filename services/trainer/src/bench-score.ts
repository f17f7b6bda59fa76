#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
/**
 * Scoring speed: our exact KNN against ml-knn on the same training points and queries, in one run.
 * Prints JSON lines {"name", "value", "unit"}. A benchmark, not a test: it reports, it does not judge.
 *   node services/trainer/dist/bench-score.js [--model FILE] [--behaviour-model FILE] [--batch 1000] [--seconds 3] [--mlknn-queries 100]
 * Without --model it trains the default model first (about 10 s). ml-knn takes tens of ms per query on
 * 100,000 points, so it answers only the first --mlknn-queries of the batch.
 * Then the behavioural model (trained first without --behaviour-model, ~15 s on a quiet machine) on the
 * features of a fresh seed's simulated calls: `behaviour_score_us_per_event` is what the processor pays (exact
 * answers kept per grid point), `behaviour_search_us_per_event` the k-d tree search alone, every call searched.
 */
import { parseArgs } from 'node:util';
import {
  BehaviourScorer,
  decodeBehaviourModel,
  featuredWorld,
  generateCalls,
  KnnIndex,
  type Model,
  readModelFile,
  rowOf,
  Scorer,
  trainingSetSize,
} from '@scam-detector/core';
import KNN from 'ml-knn';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from './train.js';
import { DEFAULT_BEHAVIOUR_OPTIONS, trainBehaviourModel } from './train-behaviour.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'behaviour-model': { type: 'string' },
    'behaviour-queries': { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '3' },
    'mlknn-queries': { type: 'string', default: '100' },
  },
});
const emit = (name: string, value: number, unit: string): void => {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit }));
};

const model: Model = values.model ? await readModelFile(values.model) : trainModel(DEFAULT_TRAIN_OPTIONS);
const scorer = new Scorer(model);
const batch = generateCalls(Number(values.batch), 7);
emit('training_points', trainingSetSize(model.points), 'points');
emit('k', model.params.k, 'neighbours');

// Warm up, then run whole batches until the time budget is spent.
for (let i = 0; i < 20; i++) scorer.scoreBatch(batch);
let events = 0;
const budgetMs = Number(values.seconds) * 1000;
const started = performance.now();
while (performance.now() - started < budgetMs) {
  scorer.scoreBatch(batch);
  events += batch.length;
}
emit('score_us_per_event', ((performance.now() - started) * 1000) / events, 'us');
emit('score_events_per_s', events / ((performance.now() - started) / 1000), 'events/s');

// ml-knn on the same embedded training points (its own kd-tree), same queries.
const index = new KnnIndex(model.points, model.scaler, model.params);
const dataset = Array.from({ length: trainingSetSize(model.points) }, (_, i) =>
  index.embed(rowOf(model.points, i)),
);
const labels = Array.from(model.points.label);
const buildStart = performance.now();
const reference = new KNN(dataset, labels, { k: model.params.k });
emit('mlknn_build_ms', performance.now() - buildStart, 'ms');
const queries = batch.slice(0, Number(values['mlknn-queries']));
const embedded = queries.map((q) => index.embed(q));
const referenceStart = performance.now();
const referenceLabels = reference.predict(embedded);
emit('mlknn_us_per_event', ((performance.now() - referenceStart) * 1000) / queries.length, 'us');
const ours = scorer.scoreBatch(queries);
const agree = ours.filter((s, i) => s.label === referenceLabels[i]).length;
emit('label_agreement_with_mlknn', agree / queries.length, 'ratio');

// The behavioural model, on the features of a fresh seed's simulated calls (after a warm-up day).
const behaviourModel = values['behaviour-model']
  ? decodeBehaviourModel(await readFile(values['behaviour-model'], 'utf8'))
  : trainBehaviourModel(DEFAULT_BEHAVIOUR_OPTIONS);
const buildBehaviour = performance.now();
const behaviour = new BehaviourScorer(behaviourModel);
emit('behaviour_scorer_build_ms', performance.now() - buildBehaviour, 'ms');
emit('behaviour_cells', behaviour.index.size, 'cells');
emit('behaviour_training_points', behaviour.index.points, 'points');
const queryCount = Number(values['behaviour-queries']);
const featureRows: Float64Array[] = [];
for (const call of featuredWorld({ seed: 7, days: 1 }, 1)) {
  if (!call.scored) continue;
  featureRows.push(Float64Array.from(call.features));
  if (featureRows.length >= queryCount) break;
}
const timeIt = (fn: (features: Float64Array) => unknown): number => {
  let n = 0;
  const begin = performance.now();
  while (performance.now() - begin < budgetMs) {
    for (const row of featureRows) fn(row);
    n += featureRows.length;
  }
  return ((performance.now() - begin) * 1000) / n;
};
// First pass over the stream from a fresh scorer (the points it meets for the first time are searched), then steady state.
const fresh = new BehaviourScorer(behaviourModel);
const firstPass = performance.now();
for (const row of featureRows) fresh.score(row);
emit(
  'behaviour_first_pass_us_per_event',
  ((performance.now() - firstPass) * 1000) / featureRows.length,
  'us',
);
emit(
  'behaviour_score_us_per_event',
  timeIt((row) => behaviour.score(row)),
  'us',
);
emit(
  'behaviour_search_us_per_event',
  timeIt((row) => behaviour.scoreUncached(row)),
  'us',
);
emit('behaviour_grid_points_kept', behaviour.cachedPoints, 'points');

// ml-knn on the same points (cells expanded), for a few queries: label agreement where the k-th is not tied.
const expanded: number[][] = [];
const expandedLabels: number[] = [];
for (let c = 0; c < behaviour.index.size; c++) {
  const legit = behaviourModel.cells.legit[c] as number;
  const total = legit + (behaviourModel.cells.scam[c] as number);
  for (let i = 0; i < total; i++) {
    expanded.push(behaviour.index.cellCoordinates(c));
    expandedLabels.push(i < legit ? 0 : 1);
  }
}
const mlStart = performance.now();
const behaviourReference = new KNN(expanded, expandedLabels, { k: behaviourModel.params.k });
emit('behaviour_mlknn_build_ms', performance.now() - mlStart, 'ms');
const sample = featureRows
  .filter((_, i) => i % Math.max(1, Math.floor(featureRows.length / 100)) === 0)
  .slice(0, 100);
const mlQuery = performance.now();
const mlLabels = sample.map((row) => behaviourReference.predict(behaviour.index.embed(row)));
emit('behaviour_mlknn_us_per_event', ((performance.now() - mlQuery) * 1000) / sample.length, 'us');
const agreeing = sample.filter((row, i) => (behaviour.score(row).vote > 0.5 ? 1 : 0) === mlLabels[i]).length;
emit('behaviour_label_agreement_with_mlknn', agreeing / sample.length, 'ratio');
