import type { EvaluationReport } from '@scam-detector/core';
import type { Evaluation } from './evaluate.js';
import type { ModelFigures, ScenarioFigures, WorldEvaluation } from './evaluate-world.js';

const pct = (value: number): string => value.toFixed(4);

/** A readable table: the model's figures beside the best any model could reach on the same rows. */
export function formatEvaluation(evaluation: Evaluation): string {
  const { report, bayes } = evaluation;
  const c = report.confusion;
  return [
    `model ${evaluation.model_version} (k=${evaluation.k}) on ${report.samples} rows`,
    '',
    '  metric      model    ceiling (Bayes-optimal)',
    `  accuracy    ${pct(report.accuracy)}   ${pct(bayes.accuracy)}`,
    `  brier       ${pct(report.brier)}   ${pct(bayes.brier)}`,
    `  precision   ${pct(report.precision)}`,
    `  recall      ${pct(report.recall)}`,
    `  f1          ${pct(report.f1)}`,
    `  roc_auc     ${pct(report.roc_auc)}`,
    `  pr_auc      ${pct(report.pr_auc)}`,
    '',
    '  confusion         predicted not scam   predicted scam',
    `  actual not scam   ${String(c.tn).padStart(18)}   ${String(c.fp).padStart(14)}`,
    `  actual scam       ${String(c.fn).padStart(18)}   ${String(c.tp).padStart(14)}`,
  ].join('\n');
}

export function formatTraining(report: EvaluationReport, version: string): string {
  const best = report.cross_validation.best;
  return [
    `chosen by cross-validation (${report.cross_validation.selected_by}): k=${best.k}, weighting=${best.weighting}, freq_cap=${best.freq_cap}, feature_weights=[${best.feature_weights.join(', ')}]`,
    formatEvaluation({ model_version: version, k: best.k, report: report.test, bayes: report.bayes }),
  ].join('\n');
}

const f4 = (value: number | undefined | null): string => (value == null ? '   -  ' : value.toFixed(4));
const within = (value: number | undefined): string =>
  value === undefined ? '   -  ' : `${(100 * value).toFixed(1)}%`.padStart(6);

/** The behavioural and the stateless model side by side, per scenario, on the same simulated stream. */
export function formatWorldEvaluation(e: WorldEvaluation): string {
  const lines = [
    `fresh world: seed ${e.seed}, ${e.days} day(s) scored after ${e.warmup_days} warm-up day(s), ${e.behaviour.overall.calls} calls`,
    `behavioural model ${e.behaviour.model} (threshold ${f4(e.behaviour.threshold)}) vs stateless baseline (threshold ${f4(e.stateless.threshold)})`,
    '',
    '  scenario        calls    model        precision  recall  pr_auc  recall@1%bulkFPR  flagged  numbers<=10  campaigns<=10',
  ];
  const row = (name: string, calls: number, which: string, f: ScenarioFigures | undefined): string =>
    `  ${name.padEnd(14)} ${String(calls).padStart(7)}    ${which.padEnd(11)}  ${f4(f?.precision)}     ${f4(f?.recall)}  ${f4(f?.pr_auc)}  ${f4(f?.recall_at_1pct_bulk_fpr)}            ${f?.flagged === undefined ? '   -  ' : within(f.flagged)}   ${within(f?.first_flag?.numbers_within_10)}       ${within(f?.first_flag?.campaigns_within_10)}`;
  for (const scenario of Object.keys(e.behaviour.scenarios) as (keyof ModelFigures['scenarios'])[]) {
    const b = e.behaviour.scenarios[scenario];
    lines.push(row(scenario, b.calls, 'behaviour', b));
    lines.push(row('', b.calls, 'stateless', e.stateless.scenarios[scenario]));
  }
  for (const [which, m] of [
    ['behaviour', e.behaviour],
    ['stateless', e.stateless],
  ] as const) {
    lines.push(
      `  ${'overall'.padEnd(14)} ${String(m.overall.calls).padStart(7)}    ${which.padEnd(11)}  ${f4(m.overall.precision)}     ${f4(m.overall.recall)}  ${f4(m.overall.pr_auc)}  ${f4(m.overall.recall_at_1pct_bulk_fpr)}    bulk flagged ${within(m.bulk_fpr)}`,
    );
  }
  return lines.join('\n');
}
