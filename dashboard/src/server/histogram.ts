/**
 * A latency histogram with logarithmic buckets: constant memory and O(1) recording, whatever the rate, and
 * percentiles within about 1% of the exact value (each bucket is 2% wide). Values are milliseconds; negative
 * ones (clock skew between hosts) count as 0, values past the last bucket (about 4 hours) land in it.
 */
const BASE = 1.02;
const UNIT_MS = 0.1;
const LOG_BASE = Math.log(BASE);
export const BUCKETS = 1000;

export function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0;
  const index = Math.floor(Math.log1p(ms / UNIT_MS) / LOG_BASE);
  return index >= BUCKETS ? BUCKETS - 1 : index;
}

/** The value reported for a bucket: the middle of its range. */
export function bucketValue(index: number): number {
  const lower = UNIT_MS * (BASE ** index - 1);
  const upper = UNIT_MS * (BASE ** (index + 1) - 1);
  return (lower + upper) / 2;
}

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  record(ms: number): void {
    const index = bucketOf(ms);
    this.counts[index] = (this.counts[index] as number) + 1;
    this.total++;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++)
      this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    this.total += other.total;
  }

  subtract(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++)
      this.counts[i] = (this.counts[i] as number) - (other.counts[i] as number);
    this.total -= other.total;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The value below which a share `q` (0..1) of the samples lie (nearest rank), or null with no samples. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return bucketValue(i);
    }
    return bucketValue(BUCKETS - 1);
  }
}

/** Exact nearest-rank percentile of a list, for tests and small samples. */
export function exactQuantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}
