/** Standard scaling: each feature minus its training mean, over its training standard deviation. */
export interface Scaler {
  mean: number[];
  std: number[];
}

/** Fits on the rows given, which must be the training rows only: the test rows never leak into scaling. */
export function fitScaler(rows: readonly (readonly number[])[]): Scaler {
  if (rows.length === 0) throw new RangeError('cannot fit a scaler on zero rows');
  const width = (rows[0] as readonly number[]).length;
  const mean = new Array<number>(width).fill(0);
  const m2 = new Array<number>(width).fill(0);
  rows.forEach((row, index) => {
    for (let j = 0; j < width; j++) {
      const value = row[j] as number;
      const delta = value - (mean[j] as number);
      mean[j] = (mean[j] as number) + delta / (index + 1);
      m2[j] = (m2[j] as number) + delta * (value - (mean[j] as number));
    }
  });
  // A constant feature gets std 1 so that scaling leaves it at zero instead of dividing by zero.
  const std = m2.map((sum) => {
    const value = Math.sqrt(sum / rows.length);
    return value > 1e-12 ? value : 1;
  });
  return { mean, std };
}

export function scaleValue(scaler: Scaler, feature: number, value: number): number {
  return (value - (scaler.mean[feature] as number)) / (scaler.std[feature] as number);
}
