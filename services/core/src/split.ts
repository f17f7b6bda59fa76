import { createRandom } from './random.js';

function shuffleInPlace(values: number[], seed: number): number[] {
  const random = createRandom(seed);
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  return values;
}

function indicesByClass(labels: ArrayLike<number>, seed: number): number[][] {
  const byClass: number[][] = [[], []];
  for (let i = 0; i < labels.length; i++) (byClass[labels[i] === 1 ? 1 : 0] as number[]).push(i);
  return byClass.map((indices, c) => shuffleInPlace(indices, seed + c));
}

/** Splits row indices so that each part keeps the overall share of scams. */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError('testFraction must be between 0 and 1');
  const train: number[] = [];
  const test: number[] = [];
  for (const indices of indicesByClass(labels, seed)) {
    const testCount = Math.round(indices.length * testFraction);
    test.push(...indices.slice(0, testCount));
    train.push(...indices.slice(testCount));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** Stratified k-fold: every row is in exactly one fold's validation part. */
export function stratifiedFolds(
  labels: ArrayLike<number>,
  folds: number,
  seed: number,
): { train: number[]; validation: number[] }[] {
  if (!Number.isInteger(folds) || folds < 2) throw new RangeError('folds must be an integer >= 2');
  const foldOf = new Int32Array(labels.length);
  for (const indices of indicesByClass(labels, seed)) {
    indices.forEach((row, i) => {
      foldOf[row] = i % folds;
    });
  }
  return Array.from({ length: folds }, (_, fold) => {
    const train: number[] = [];
    const validation: number[] = [];
    for (let i = 0; i < labels.length; i++) (foldOf[i] === fold ? validation : train).push(i);
    return { train, validation };
  });
}
