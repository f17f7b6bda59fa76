import {
  type BehaviourModel,
  BehaviourScorer,
  type CallTruth,
  CODE_WIDTH,
  COORDINATES,
  CURRENT_FEATURE_SET,
  canonicalOrder,
  cellCount,
  collapseCells,
  createRandom,
  deriveSeed,
  featuredWorld,
  featureVector,
  fitCellScaler,
  fitScaler,
  gridCodes,
  type Model,
  type Progress,
  rowOf,
  SCENARIOS,
  type Scenario,
  type TrainingSet,
  trainingSetSize,
  WORLD_DEFAULTS,
  type WorldOptions,
} from '@scam-detector/core';

export interface BehaviourTrainOptions {
  seed: number;
  /** Simulated days trained on, after the warm-up. */
  days: number;
  /** Simulated days that only fill the callers' state (not trained on, not scored). */
  warmupDays: number;
  k: number;
  /** At most this many calls of each scenario are kept (a seeded random choice), to bound the model's size. */
  perScenario: Record<Scenario, number>;
  /** Share of legitimate bulk callers' calls the chosen threshold may flag on the validation period. */
  bulkFlagBudget: number;
  /** World parameters other than the seed and days (defaults: WORLD_DEFAULTS). */
  world?: Partial<Omit<WorldOptions, 'seed' | 'days'>>;
  /** Fixed clock for reproducible artifacts in tests; defaults to now. */
  now?: Date;
}

export const DEFAULT_BEHAVIOUR_OPTIONS: BehaviourTrainOptions = {
  seed: 42,
  days: 3,
  warmupDays: 1,
  k: 25,
  perScenario: { ordinary: 30_000, bulk: 30_000, wangiri: 15_000, robocall: 15_000, impersonation: 15_000 },
  bulkFlagBudget: 0.005,
};

/** The world's population scaled (subscribers, bulk lines, campaigns a day), for quick runs. 1 = the defaults. */
export function worldAtScale(scale: number): BehaviourTrainOptions['world'] {
  if (scale === 1) return undefined;
  const n = (value: number): number => Math.max(1, Math.round(value * scale));
  return {
    subscribers: n(WORLD_DEFAULTS.subscribers),
    bulkLines: n(WORLD_DEFAULTS.bulkLines),
    newBulkLinesPerDay: n(WORLD_DEFAULTS.newBulkLinesPerDay),
    wangiriCampaignsPerDay: n(WORLD_DEFAULTS.wangiriCampaignsPerDay),
    robocallCampaignsPerDay: n(WORLD_DEFAULTS.robocallCampaignsPerDay),
    impersonatorsPerDay: n(WORLD_DEFAULTS.impersonatorsPerDay),
  };
}

/** Scored calls of a simulated period: grid codes for the behavioural model, call fields for the stateless one. */
export interface TrainingRows {
  codes: Uint8Array;
  labels: Uint8Array;
  scenarios: Uint8Array;
  stateless: TrainingSet;
  /** Scored calls simulated, per scenario, before the per-scenario cap. */
  simulated: Record<Scenario, number>;
}

/** Simulates the training period and keeps a seeded choice of at most perScenario calls of each scenario. */
export function simulateTrainingRows(options: BehaviourTrainOptions): TrainingRows {
  const all: {
    codes: Uint8Array;
    duration: number;
    hour: number;
    digits: number;
    freq: number;
    truth: CallTruth;
  }[] = [];
  for (const call of featuredWorld(
    { ...options.world, seed: options.seed, days: options.days },
    options.warmupDays,
  )) {
    if (!call.scored) continue;
    const codes = new Uint8Array(CODE_WIDTH);
    gridCodes(call.features, codes);
    all.push({
      codes,
      duration: call.event.call_duration,
      hour: call.event.hour_of_day,
      digits: call.event.num_digits,
      freq: call.event.freq_calls,
      truth: call.truth,
    });
  }
  const random = createRandom(deriveSeed(options.seed, 'per-scenario sample'));
  const simulated = Object.fromEntries(SCENARIOS.map((s) => [s, 0])) as Record<Scenario, number>;
  const keep: number[] = [];
  for (const scenario of SCENARIOS) {
    const indices: number[] = [];
    all.forEach((row, i) => {
      if (row.truth.scenario === scenario) indices.push(i);
    });
    simulated[scenario] = indices.length;
    // Partial Fisher-Yates: the first `cap` of a seeded shuffle.
    const cap = Math.min(options.perScenario[scenario], indices.length);
    for (let i = 0; i < cap; i++) {
      const j = i + Math.floor(random.next() * (indices.length - i));
      [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
    }
    keep.push(...indices.slice(0, cap));
  }
  keep.sort((a, b) => a - b);
  const n = keep.length;
  const rows: TrainingRows = {
    codes: new Uint8Array(n * CODE_WIDTH),
    labels: new Uint8Array(n),
    scenarios: new Uint8Array(n),
    stateless: {
      duration: new Float32Array(n),
      hour: new Uint8Array(n),
      digits: new Uint8Array(n),
      freq: new Uint8Array(n),
      label: new Uint8Array(n),
    },
    simulated,
  };
  keep.forEach((index, i) => {
    const row = all[index] as (typeof all)[number];
    rows.codes.set(row.codes, i * CODE_WIDTH);
    rows.labels[i] = row.truth.label;
    rows.scenarios[i] = SCENARIOS.indexOf(row.truth.scenario);
    rows.stateless.duration[i] = row.duration;
    rows.stateless.hour[i] = row.hour;
    rows.stateless.digits[i] = Math.min(row.digits, 255);
    rows.stateless.freq[i] = Math.min(row.freq, 255);
    rows.stateless.label[i] = row.truth.label;
  });
  return rows;
}

/**
 * The stateless baseline on the same simulated calls: the prototype's KNN on the call's own fields
 * (duration, hour, digits, capped frequency), k and weighting as the behavioural model.
 */
export function statelessBaseline(rows: TrainingRows, k: number, now: Date): Model {
  const points = canonicalOrder(rows.stateless);
  const params = { k, weighting: 'uniform' as const, freqCap: 4, featureWeights: [1, 1, 1, 1, 1] };
  const vectors = Array.from({ length: trainingSetSize(points) }, (_, i) =>
    featureVector(rowOf(points, i), 4),
  );
  return {
    version: 'stateless-baseline',
    createdAt: now.toISOString(),
    params,
    scaler: fitScaler(vectors),
    points,
    training: null,
    evaluation: null,
  };
}

/** The highest-F1 threshold that flags at most `budget` of the bulk callers' calls. */
export function chooseThreshold(
  probabilities: Float64Array,
  labels: Uint8Array,
  bulk: Uint8Array,
  budget: number,
): { threshold: number; bulkFlagged: number; precision: number; recall: number } {
  const candidates = [...new Set(probabilities)].sort((a, b) => a - b);
  let best = { threshold: 1, bulkFlagged: 0, precision: 0, recall: 0, f1: -1 };
  let bulkCount = 0;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (bulk[i] === 1) bulkCount++;
    if (labels[i] === 1) positives++;
  }
  for (const threshold of candidates) {
    let tp = 0;
    let fp = 0;
    let bulkFlagged = 0;
    for (let i = 0; i < labels.length; i++) {
      if ((probabilities[i] as number) <= threshold) continue;
      if (labels[i] === 1) tp++;
      else fp++;
      if (bulk[i] === 1) bulkFlagged++;
    }
    const share = bulkCount === 0 ? 0 : bulkFlagged / bulkCount;
    if (share > budget) continue;
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = positives === 0 ? 0 : tp / positives;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) best = { threshold, bulkFlagged: share, precision, recall, f1 };
  }
  const { f1: _f1, ...chosen } = best;
  return chosen;
}

/**
 * Trains the behavioural model: simulates warm-up + `days` from the seed, streams them through the feature
 * module, collapses a per-scenario-capped sample into cells, then picks the threshold on a validation period
 * simulated from another seed (its own warm-up, one day).
 */
export function trainBehaviourModel(options: BehaviourTrainOptions, progress?: Progress): BehaviourModel {
  progress?.start(3, 'simulating and computing features');
  const rows = simulateTrainingRows(options);
  progress?.step('collapsing into cells');
  const cells = collapseCells(rows.codes, rows.labels);
  const scaler = fitCellScaler(cells);
  const params = { k: options.k, threshold: 0.5, coordinateWeights: new Array<number>(COORDINATES).fill(1) };
  const draft: BehaviourModel = {
    kind: 'behaviour',
    version: 'unsealed',
    createdAt: (options.now ?? new Date()).toISOString(),
    featureSet: { ...CURRENT_FEATURE_SET },
    params,
    scaler,
    cells,
    training: null,
    evaluation: null,
  };
  progress?.step('choosing the threshold on a validation period');
  const scorer = new BehaviourScorer(draft);
  const validationSeed = deriveSeed(options.seed, 'validation');
  const probabilities: number[] = [];
  const labels: number[] = [];
  const bulk: number[] = [];
  for (const call of featuredWorld({ ...options.world, seed: validationSeed, days: 1 }, options.warmupDays)) {
    if (!call.scored) continue;
    probabilities.push(scorer.score(call.features).vote);
    labels.push(call.truth.label);
    bulk.push(call.truth.scenario === 'bulk' ? 1 : 0);
  }
  const chosen = chooseThreshold(
    Float64Array.from(probabilities),
    Uint8Array.from(labels),
    Uint8Array.from(bulk),
    options.bulkFlagBudget,
  );
  progress?.step('done');
  progress?.stop();
  return {
    ...draft,
    params: { ...params, threshold: chosen.threshold },
    training: {
      seed: options.seed,
      days: options.days,
      warmup_days: options.warmupDays,
      per_scenario: options.perScenario,
      simulated_calls: rows.simulated,
      trained_points: rows.labels.length,
      cells: cellCount(cells),
      world: options.world ?? {},
      validation: {
        seed: validationSeed,
        days: 1,
        bulk_flag_budget: options.bulkFlagBudget,
        threshold: chosen.threshold,
        bulk_flagged: chosen.bulkFlagged,
        precision: chosen.precision,
        recall: chosen.recall,
      },
    },
  };
}
