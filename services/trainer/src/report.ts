import type { EvaluationReport } from '@scam-detector/core';
import type { Evaluation } from './evaluate.js';

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
