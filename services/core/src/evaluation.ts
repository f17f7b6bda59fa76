/** Classification figures for a binary scorer, computed from true labels and P(scam). */
export interface ConfusionMatrix {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

export interface ClassificationReport {
  samples: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number;
  pr_auc: number;
  brier: number;
  confusion: ConfusionMatrix;
}

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  const m: ConfusionMatrix = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < labels.length; i++) {
    const truth = labels[i] === 1;
    const guess = predicted[i] === 1;
    if (truth && guess) m.tp++;
    else if (truth) m.fn++;
    else if (guess) m.fp++;
    else m.tn++;
  }
  return m;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/** Area under the ROC curve: the chance a random scam scores above a random non-scam (ties count half). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = sortedByScore(scores);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number])
      end++;
    const averageRank = (start + end) / 2 + 1;
    for (let j = start; j <= end; j++) if (labels[order[j] as number] === 1) rankSum += averageRank;
    start = end + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Area under the precision-recall curve as average precision, with tied scores taken as one threshold. */
export function prAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = sortedByScore(scores).reverse();
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let area = 0;
  let lastRecall = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number])
      end++;
    for (let j = start; j <= end; j++) if (labels[order[j] as number] === 1) tp++;
    seen = end + 1;
    const recall = tp / positives;
    area += (recall - lastRecall) * (tp / seen);
    lastRecall = recall;
    start = end + 1;
  }
  return area;
}

export function brierScore(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += ((scores[i] as number) - (labels[i] as number)) ** 2;
  return ratio(sum, labels.length);
}

/** Every figure for one set of predictions; a call is predicted scam when P(scam) > threshold. */
export function classificationReport(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold = 0.5,
): ClassificationReport {
  const predicted = Uint8Array.from({ length: labels.length }, (_, i) =>
    (scores[i] as number) > threshold ? 1 : 0,
  );
  const confusion = confusionMatrix(labels, predicted);
  const precision = ratio(confusion.tp, confusion.tp + confusion.fp);
  const recall = ratio(confusion.tp, confusion.tp + confusion.fn);
  return {
    samples: labels.length,
    accuracy: ratio(confusion.tp + confusion.tn, labels.length),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    roc_auc: rocAuc(labels, scores),
    pr_auc: prAuc(labels, scores),
    brier: brierScore(labels, scores),
    confusion,
  };
}

function sortedByScore(scores: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => (scores[a] as number) - (scores[b] as number));
}
