#!/usr/bin/env node
/**
 * Scoring speed: our exact KNN against ml-knn on the same training points and queries, in one run.
 * Prints JSON lines {"name", "value", "unit"}. A benchmark, not a test: it reports, it does not judge.
 *   node services/trainer/dist/bench-score.js [--model FILE] [--batch 1000] [--seconds 3] [--mlknn-queries 100]
 * Without --model it trains the default model first (about 10 s). ml-knn takes tens of ms per query on
 * 100,000 points, so it answers only the first --mlknn-queries of the batch.
 */
import { parseArgs } from 'node:util';
import {
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

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
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
