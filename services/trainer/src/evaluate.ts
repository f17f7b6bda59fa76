import {
  bayesLabel,
  brierScore,
  type ClassificationReport,
  classificationReport,
  generateCalls,
  type LabelledCall,
  type Scorer,
} from '@scam-detector/core';

export interface BayesFigures {
  accuracy: number;
  brier: number;
}

/** The best possible figures on these rows: the generator's own P(scam), thresholded at 0.5. */
export function bayesFigures(rows: readonly LabelledCall[]): BayesFigures {
  let correct = 0;
  for (const row of rows) if (bayesLabel(row.p_scam) === row.label) correct++;
  return {
    accuracy: correct / rows.length,
    brier: brierScore(
      rows.map((r) => r.label),
      rows.map((r) => r.p_scam),
    ),
  };
}

export function scoreRows(scorer: Scorer, rows: readonly LabelledCall[]): Float64Array {
  return Float64Array.from(scorer.scoreBatch(rows), (s) => s.probability);
}

export interface Evaluation {
  model_version: string;
  k: number;
  report: ClassificationReport;
  bayes: BayesFigures;
}

export function evaluateOnRows(scorer: Scorer, rows: readonly LabelledCall[]): Evaluation {
  const labels = Uint8Array.from(rows, (r) => r.label);
  return {
    model_version: scorer.version,
    k: scorer.model.params.k,
    report: classificationReport(labels, scoreRows(scorer, rows)),
    bayes: bayesFigures(rows),
  };
}

/** Scores `samples` freshly generated rows (a seed the trainer did not use) against the ceiling. */
export function evaluateFresh(scorer: Scorer, samples: number, seed: number): Evaluation {
  return evaluateOnRows(scorer, generateCalls(samples, seed));
}

/** The flat JSON shape `evaluate --json` prints; other tools read these exact names. */
export function evaluationJson(evaluation: Evaluation): Record<string, unknown> {
  const { report, bayes } = evaluation;
  return {
    model_version: evaluation.model_version,
    k: evaluation.k,
    samples: report.samples,
    accuracy: report.accuracy,
    precision: report.precision,
    recall: report.recall,
    f1: report.f1,
    roc_auc: report.roc_auc,
    pr_auc: report.pr_auc,
    brier: report.brier,
    confusion: report.confusion,
    bayes_accuracy: bayes.accuracy,
    bayes_brier: bayes.brier,
  };
}
