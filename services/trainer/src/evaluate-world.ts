import {
  type BehaviourScorer,
  classificationReport,
  featuredWorld,
  SCAM_SCENARIOS,
  SCAM_THRESHOLD,
  SCENARIOS,
  type Scenario,
  type Scorer,
  type WorldOptions,
} from '@scam-detector/core';

/** How fast a model flags a campaign: calls into the campaign, and into each fresh number's life. */
export interface FirstFlag {
  campaigns: number;
  /** Share of campaigns flagged within their first 10 calls. */
  campaigns_within_10: number;
  /** Median calls into a campaign until its first flag (null when fewer than half are ever flagged). */
  campaign_median: number | null;
  numbers: number;
  /** Share of the campaigns' numbers (fresh ones included) flagged within their first 10 calls. */
  numbers_within_10: number;
  number_median: number | null;
  /** Share of campaigns whose every number is flagged within its first 10 calls. */
  campaigns_all_numbers_within_10: number;
}

export interface ScenarioFigures {
  calls: number;
  /** Scam scenarios: on this scenario's calls plus every legitimate call. */
  precision?: number;
  recall?: number;
  pr_auc?: number;
  recall_at_1pct_bulk_fpr?: number;
  first_flag?: FirstFlag;
  /** Legitimate scenarios: the share of their calls flagged. */
  flagged?: number;
}

export interface ModelFigures {
  model: string;
  threshold: number;
  overall: {
    calls: number;
    precision: number;
    recall: number;
    pr_auc: number;
    recall_at_1pct_bulk_fpr: number;
  };
  bulk_fpr: number;
  scenarios: Record<Scenario, ScenarioFigures>;
}

export interface WorldEvaluation {
  seed: number;
  days: number;
  warmup_days: number;
  behaviour: ModelFigures;
  stateless: ModelFigures;
}

const r6 = (x: number): number => Number(x.toFixed(6));

function median(values: number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  return m === undefined || !Number.isFinite(m) ? null : m;
}

/** The smallest threshold that flags at most 1% of bulk calls (a call is flagged when p > threshold). */
function thresholdAtBulkFpr(scores: Float64Array, scenario: Uint8Array, share: number): number {
  const bulkIndex = SCENARIOS.indexOf('bulk');
  const bulk: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scenario[i] === bulkIndex) bulk.push(scores[i] as number);
  if (bulk.length === 0) return 0;
  bulk.sort((a, b) => b - a);
  const allowed = Math.floor(bulk.length * share);
  // Flag strictly above the (allowed+1)-th highest bulk score.
  return bulk[allowed] as number;
}

interface Columns {
  label: Uint8Array;
  scenario: Uint8Array;
  campaign: Int32Array;
  campaignCall: Int32Array;
  numberCall: Int32Array;
  caller: string[];
}

function figures(name: string, scores: Float64Array, threshold: number, c: Columns): ModelFigures {
  const n = scores.length;
  const flagged = Uint8Array.from(scores, (p) => (p > threshold ? 1 : 0));
  const overall = classificationReport(c.label, scores, threshold);
  const at1 = thresholdAtBulkFpr(scores, c.scenario, 0.01);
  const recallAt = (subset: (i: number) => boolean): number => {
    let hit = 0;
    let all = 0;
    for (let i = 0; i < n; i++) {
      if (!subset(i)) continue;
      all++;
      if ((scores[i] as number) > at1) hit++;
    }
    return all === 0 ? 0 : hit / all;
  };
  const scenarios = {} as Record<Scenario, ScenarioFigures>;
  SCENARIOS.forEach((scenario, s) => {
    const indices: number[] = [];
    for (let i = 0; i < n; i++)
      if (c.scenario[i] === s || (SCAM_SCENARIOS.includes(scenario) && c.label[i] === 0)) indices.push(i);
    if (!SCAM_SCENARIOS.includes(scenario)) {
      let count = 0;
      let hit = 0;
      for (let i = 0; i < n; i++) {
        if (c.scenario[i] !== s) continue;
        count++;
        hit += flagged[i] as number;
      }
      scenarios[scenario] = { calls: count, flagged: r6(count === 0 ? 0 : hit / count) };
      return;
    }
    const report = classificationReport(
      Uint8Array.from(indices, (i) => c.label[i] as number),
      Float64Array.from(indices, (i) => scores[i] as number),
      threshold,
    );
    // First flag per campaign and per number.
    const campaignFirst = new Map<number, number>();
    const numberFirst = new Map<string, { campaign: number; first: number }>();
    for (let i = 0; i < n; i++) {
      if (c.scenario[i] !== s) continue;
      const campaign = c.campaign[i] as number;
      const key = c.caller[i] as string;
      if (!campaignFirst.has(campaign)) campaignFirst.set(campaign, Number.POSITIVE_INFINITY);
      if (!numberFirst.has(key)) numberFirst.set(key, { campaign, first: Number.POSITIVE_INFINITY });
      if (flagged[i] === 1) {
        if ((campaignFirst.get(campaign) as number) === Number.POSITIVE_INFINITY)
          campaignFirst.set(campaign, c.campaignCall[i] as number);
        const entry = numberFirst.get(key) as { campaign: number; first: number };
        if (entry.first === Number.POSITIVE_INFINITY) entry.first = c.numberCall[i] as number;
      }
    }
    const campaignFirsts = [...campaignFirst.values()];
    const numberEntries = [...numberFirst.values()];
    const allWithin = new Map<number, boolean>();
    for (const e of numberEntries)
      allWithin.set(e.campaign, (allWithin.get(e.campaign) ?? true) && e.first <= 10);
    scenarios[scenario] = {
      calls: indices.filter((i) => c.scenario[i] === s).length,
      precision: r6(report.precision),
      recall: r6(report.recall),
      pr_auc: r6(report.pr_auc),
      recall_at_1pct_bulk_fpr: r6(recallAt((i) => c.scenario[i] === s)),
      first_flag: {
        campaigns: campaignFirsts.length,
        campaigns_within_10: r6(
          campaignFirsts.filter((f) => f <= 10).length / Math.max(1, campaignFirsts.length),
        ),
        campaign_median: median(campaignFirsts),
        numbers: numberEntries.length,
        numbers_within_10: r6(
          numberEntries.filter((e) => e.first <= 10).length / Math.max(1, numberEntries.length),
        ),
        number_median: median(numberEntries.map((e) => e.first)),
        campaigns_all_numbers_within_10: r6(
          [...allWithin.values()].filter(Boolean).length / Math.max(1, allWithin.size),
        ),
      },
    };
  });
  return {
    model: name,
    threshold: r6(threshold),
    overall: {
      calls: n,
      precision: r6(overall.precision),
      recall: r6(overall.recall),
      pr_auc: r6(overall.pr_auc),
      recall_at_1pct_bulk_fpr: r6(recallAt((i) => c.label[i] === 1)),
    },
    bulk_fpr: scenarios.bulk.flagged ?? 0,
    scenarios,
  };
}

/**
 * Streams a fresh seed's period (after its own warm-up) once, and scores every call with both models: the
 * behavioural one on the caller's features, the stateless one on the call's own fields. Campaign calls in the
 * period count from the campaign's start (which may lie in the warm-up).
 */
export function evaluateOnWorld(
  behaviour: BehaviourScorer,
  stateless: Scorer,
  options: {
    seed: number;
    days: number;
    warmupDays: number;
    world?: Partial<Omit<WorldOptions, 'seed' | 'days'>>;
  },
): WorldEvaluation {
  const label: number[] = [];
  const scenario: number[] = [];
  const campaign: number[] = [];
  const campaignCall: number[] = [];
  const numberCall: number[] = [];
  const caller: string[] = [];
  const b: number[] = [];
  const st: number[] = [];
  for (const call of featuredWorld(
    { ...options.world, seed: options.seed, days: options.days },
    options.warmupDays,
  )) {
    if (!call.scored) continue;
    label.push(call.truth.label);
    scenario.push(SCENARIOS.indexOf(call.truth.scenario));
    campaign.push(call.truth.campaign);
    campaignCall.push(call.truth.campaignCall);
    numberCall.push(call.truth.numberCall);
    caller.push(call.event.caller);
    // Votes, not reported probabilities: the behavioural threshold is a threshold on the vote.
    b.push(behaviour.score(call.features).vote);
    st.push(stateless.score(call.event).vote);
  }
  const columns: Columns = {
    label: Uint8Array.from(label),
    scenario: Uint8Array.from(scenario),
    campaign: Int32Array.from(campaign),
    campaignCall: Int32Array.from(campaignCall),
    numberCall: Int32Array.from(numberCall),
    caller,
  };
  return {
    seed: options.seed,
    days: options.days,
    warmup_days: options.warmupDays,
    behaviour: figures(behaviour.version, Float64Array.from(b), behaviour.model.params.threshold, columns),
    stateless: figures('stateless baseline', Float64Array.from(st), SCAM_THRESHOLD, columns),
  };
}
