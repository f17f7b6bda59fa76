import { describe, expect, it } from 'vitest';
import { brierScore, classificationReport, confusionMatrix, prAuc, rocAuc } from '../src/evaluation.js';

describe('classification figures', () => {
  it('counts the confusion matrix', () => {
    expect(confusionMatrix([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])).toEqual({ tp: 2, fn: 1, tn: 1, fp: 1 });
  });

  it('gives ROC AUC 1 for a perfect ranking, 0 for a reversed one and 0.5 when all scores tie', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8])).toBe(0.5);
  });

  it('gives average precision as the area under the precision-recall curve', () => {
    expect(prAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    // Ranked: 0.9 (1), 0.8 (0), 0.4 (1): precision at each recall step is 1 and 2/3.
    expect(prAuc([1, 0, 1], [0.9, 0.8, 0.4])).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3));
  });

  it('gives the Brier score as the mean squared error of the probabilities', () => {
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2);
  });

  it('reports precision, recall and F1 from the threshold', () => {
    const report = classificationReport([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1]);
    expect(report.accuracy).toBe(0.5);
    expect(report.precision).toBe(0.5);
    expect(report.recall).toBe(0.5);
    expect(report.f1).toBe(0.5);
    expect(report.samples).toBe(4);
  });
});
