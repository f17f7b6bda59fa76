import { capFrequency, FEATURE_COUNT, HOURS, hourAngle, isElevenDigits, logDuration } from './features.js';
import type { CallFeatures } from './generator.js';
import { type Scaler, scaleValue } from './scaler.js';
import { type TrainingSet, trainingSetSize } from './training-set.js';

export interface KnnParams {
  k: number;
  /** 'distance' weighs each neighbour's vote by 1 / (distance + epsilon). */
  weighting: 'uniform' | 'distance';
  freqCap: number;
  /** Multiplies each scaled feature (log_duration, hour_sin, hour_cos, is_11_digits, freq_capped). */
  featureWeights: number[];
}

/** The neighbours found for one query, in no particular order. */
export interface Neighbours {
  count: number;
  distance: Float64Array;
  label: Uint8Array;
}

const DISTANCE_EPSILON = 1e-9;

/**
 * Exact k-nearest-neighbour search specialised for the call features. Every feature but the duration is
 * discrete (24 hours x 11-digits or not x capped frequency), so the training points are grouped into
 * those cells and sorted by duration inside each. The distance from a query to a whole cell's discrete part
 * is precomputed; a query visits cells nearest first, walks outward from its own duration by binary
 * search, and stops as soon as no closer point can exist. The answer is the same as a brute-force search.
 */
export class KnnIndex {
  readonly size: number;
  private readonly cellCount: number;
  private readonly cellStart: Int32Array;
  private readonly scaledDuration: Float64Array;
  private readonly labels: Uint8Array;
  /** For each query cell: every non-empty cell, nearest first, and its squared distance. */
  private readonly cellOrder: Uint16Array;
  private readonly cellOrderDistance: Float64Array;
  private readonly nonEmptyCells: number;
  private readonly durationMean: number;
  private readonly durationScale: number;
  private readonly heapDistance: Float64Array;
  private readonly heapLabel: Uint8Array;
  private readonly vectors: number[][];

  constructor(
    points: TrainingSet,
    readonly scaler: Scaler,
    readonly params: KnnParams,
    maxK = params.k,
  ) {
    if (scaler.mean.length !== FEATURE_COUNT || scaler.std.length !== FEATURE_COUNT) {
      throw new RangeError(`scaler must have ${FEATURE_COUNT} features`);
    }
    if (params.featureWeights.length !== FEATURE_COUNT) {
      throw new RangeError(`featureWeights must have ${FEATURE_COUNT} entries`);
    }
    this.size = trainingSetSize(points);
    if (!Number.isInteger(maxK) || maxK < 1 || maxK > this.size) {
      throw new RangeError(`k must be an integer from 1 to the ${this.size} training points, got ${maxK}`);
    }
    const weights = params.featureWeights;
    this.durationMean = scaler.mean[0] as number;
    this.durationScale = (weights[0] as number) / (scaler.std[0] as number);
    this.cellCount = HOURS * 2 * (params.freqCap + 1);

    const cellOf = new Uint16Array(this.size);
    const counts = new Int32Array(this.cellCount + 1);
    for (let i = 0; i < this.size; i++) {
      const cell = this.cellIndex(
        points.hour[i] as number,
        points.digits[i] as number,
        points.freq[i] as number,
      );
      cellOf[i] = cell;
      counts[cell + 1] = (counts[cell + 1] as number) + 1;
    }
    this.cellStart = new Int32Array(this.cellCount + 1);
    for (let c = 0; c < this.cellCount; c++) {
      this.cellStart[c + 1] = (this.cellStart[c] as number) + (counts[c + 1] as number);
    }

    const order = Array.from({ length: this.size }, (_, i) => i);
    const scaled = Float64Array.from(points.duration, (d) => this.scaleDuration(d));
    order.sort(
      (a, b) =>
        (cellOf[a] as number) - (cellOf[b] as number) || (scaled[a] as number) - (scaled[b] as number),
    );
    this.scaledDuration = Float64Array.from(order, (i) => scaled[i] as number);
    this.labels = Uint8Array.from(order, (i) => points.label[i] as number);

    const vectors = this.cellVectors(scaler, weights, params.freqCap);
    this.vectors = vectors;
    const nonEmpty: number[] = [];
    for (let c = 0; c < this.cellCount; c++) if (counts[c + 1] !== 0) nonEmpty.push(c);
    this.nonEmptyCells = nonEmpty.length;
    this.cellOrder = new Uint16Array(this.cellCount * this.nonEmptyCells);
    this.cellOrderDistance = new Float64Array(this.cellCount * this.nonEmptyCells);
    for (let q = 0; q < this.cellCount; q++) {
      const qv = vectors[q] as number[];
      const ranked = nonEmpty
        .map((c) => ({ c, d: squaredDistance(qv, vectors[c] as number[]) }))
        .sort((a, b) => a.d - b.d);
      ranked.forEach(({ c, d }, r) => {
        this.cellOrder[q * this.nonEmptyCells + r] = c;
        this.cellOrderDistance[q * this.nonEmptyCells + r] = d;
      });
    }
    this.heapDistance = new Float64Array(maxK);
    this.heapLabel = new Uint8Array(maxK);
  }

  /** Fraction of the k nearest training calls that were scams (distance-weighted if configured). */
  scamProbability(call: CallFeatures, k = this.params.k): number {
    const found = this.search(call, k);
    return this.vote(found, this.params.weighting);
  }

  vote(found: Neighbours, weighting: KnnParams['weighting']): number {
    let scam = 0;
    let total = 0;
    for (let i = 0; i < found.count; i++) {
      const weight =
        weighting === 'uniform' ? 1 : 1 / (Math.sqrt(found.distance[i] as number) + DISTANCE_EPSILON);
      total += weight;
      if (found.label[i] === 1) scam += weight;
    }
    return scam / total;
  }

  /**
   * The k nearest training points. The arrays returned are reused by the next call: read them before
   * searching again.
   */
  search(call: CallFeatures, k = this.params.k): Neighbours {
    if (k > this.heapDistance.length) throw new RangeError(`k ${k} exceeds the index's maxK`);
    const heapDistance = this.heapDistance;
    const heapLabel = this.heapLabel;
    const durations = this.scaledDuration;
    const labels = this.labels;
    const query = this.scaleDuration(call.call_duration);
    const queryCell = this.cellIndex(call.hour_of_day, call.num_digits, call.freq_calls);
    const orderBase = queryCell * this.nonEmptyCells;
    let size = 0;

    const offer = (distance: number, label: number): void => {
      if (size < k) {
        let child = size++;
        while (child > 0) {
          const parent = (child - 1) >> 1;
          if ((heapDistance[parent] as number) >= distance) break;
          heapDistance[child] = heapDistance[parent] as number;
          heapLabel[child] = heapLabel[parent] as number;
          child = parent;
        }
        heapDistance[child] = distance;
        heapLabel[child] = label;
        return;
      }
      // Replace the farthest neighbour (the root).
      siftDownFromRoot(heapDistance, heapLabel, size, distance, label);
    };

    for (let r = 0; r < this.nonEmptyCells; r++) {
      const cellDistance = this.cellOrderDistance[orderBase + r] as number;
      if (size === k && cellDistance >= (heapDistance[0] as number)) break;
      const cell = this.cellOrder[orderBase + r] as number;
      const start = this.cellStart[cell] as number;
      const end = this.cellStart[cell + 1] as number;
      let lo = start;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((durations[mid] as number) < query) lo = mid + 1;
        else hi = mid;
      }
      let left = lo - 1;
      let right = lo;
      while (left >= start || right < end) {
        const leftGap = left >= start ? query - (durations[left] as number) : Number.POSITIVE_INFINITY;
        const rightGap = right < end ? (durations[right] as number) - query : Number.POSITIVE_INFINITY;
        const takeLeft = leftGap <= rightGap;
        const gap = takeLeft ? leftGap : rightGap;
        const distance = cellDistance + gap * gap;
        if (size === k && distance >= (heapDistance[0] as number)) break;
        offer(distance, labels[takeLeft ? left-- : right++] as number);
      }
    }
    return { count: size, distance: heapDistance, label: heapLabel };
  }

  /** The scaled, weighted feature vector the distances are computed on (for reference searches). */
  embed(call: CallFeatures): number[] {
    const cell = this.vectors[this.cellIndex(call.hour_of_day, call.num_digits, call.freq_calls)] as number[];
    return [this.scaleDuration(call.call_duration), ...cell];
  }

  /**
   * Like search, but the neighbours come back nearest first (for evaluating several k from one search).
   * Sorts the reused arrays in place by heap sort: no allocation per query.
   */
  searchSorted(call: CallFeatures, k = this.params.k): Neighbours {
    const found = this.search(call, k);
    const distance = found.distance;
    const label = found.label;
    for (let end = found.count - 1; end > 0; end--) {
      const topDistance = distance[0] as number;
      const topLabel = label[0] as number;
      siftDownFromRoot(distance, label, end, distance[end] as number, label[end] as number);
      distance[end] = topDistance;
      label[end] = topLabel;
    }
    return found;
  }

  private scaleDuration(seconds: number): number {
    return (logDuration(seconds) - this.durationMean) * this.durationScale;
  }

  private cellIndex(hour: number, digits: number, freq: number): number {
    return (
      (hour * 2 + isElevenDigits(digits)) * (this.params.freqCap + 1) +
      capFrequency(freq, this.params.freqCap)
    );
  }

  /** The scaled, weighted discrete features (hour_sin, hour_cos, is_11_digits, freq_capped) of each cell. */
  private cellVectors(scaler: Scaler, weights: number[], freqCap: number): number[][] {
    const vectors: number[][] = [];
    for (let hour = 0; hour < HOURS; hour++) {
      const angle = hourAngle(hour);
      for (const eleven of [0, 1]) {
        for (let freq = 0; freq <= freqCap; freq++) {
          vectors.push([
            (weights[1] as number) * scaleValue(scaler, 1, Math.sin(angle)),
            (weights[2] as number) * scaleValue(scaler, 2, Math.cos(angle)),
            (weights[3] as number) * scaleValue(scaler, 3, eleven),
            (weights[4] as number) * scaleValue(scaler, 4, freq),
          ]);
        }
      }
    }
    return vectors;
  }
}

/** Puts (distance, label) at the root of the max-heap of `size` entries and sifts it down to its place. */
function siftDownFromRoot(
  heapDistance: Float64Array,
  heapLabel: Uint8Array,
  size: number,
  distance: number,
  label: number,
): void {
  let parent = 0;
  for (;;) {
    let child = 2 * parent + 1;
    if (child >= size) break;
    if (child + 1 < size && (heapDistance[child + 1] as number) > (heapDistance[child] as number)) child++;
    if ((heapDistance[child] as number) <= distance) break;
    heapDistance[parent] = heapDistance[child] as number;
    heapLabel[parent] = heapLabel[child] as number;
    parent = child;
  }
  heapDistance[parent] = distance;
  heapLabel[parent] = label;
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum;
}
