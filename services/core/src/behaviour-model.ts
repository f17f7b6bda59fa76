import { BEHAVIOUR_FEATURES_VERSION } from './caller-state.js';
import type { Scaler } from './scaler.js';
import { calibrateToThreshold, type Score } from './scorer.js';

/**
 * The behavioural model: exact KNN over a caller's behavioural features (from CallerStates.update) and the
 * call's own duration.
 *
 * Each feature is first put on a coarse grid (a log for counts and durations, steps of 0.1 for shares): the grid
 * IS the model's feature definition, applied the same way to training points and to queries. Counts, shares
 * and logs are coarse by nature, so many training calls land on the same grid point; identical points are
 * collapsed into one weighted cell (how many legitimate and how many scam calls). KNN is then exact over these
 * points: the k nearest points, cells taken nearest first (ties in the cells' stored order), the last cell
 * taken in part, its votes pro rata (its points are identical, so which of them is "the k-th" is a tie).
 * A k-d tree with bounding boxes over the cells finds them; tests check it against brute force and ml-knn.
 */

export const BEHAVIOUR_MODEL_FORMAT = 'scam-detector/behaviour-knn-model';
export const BEHAVIOUR_FEATURE_SET = 'behaviour';

interface GridDimension {
  name: string;
  /** Index into BEHAVIOUR_FEATURES. */
  feature: number;
  /** log1p before the grid? */
  log: boolean;
  step: number;
}

/**
 * The grid: one code (0..255) per dimension. Eight of the caller's and the call's features, chosen for what
 * tells the scenarios apart (rates, spread of callees, short and night shares, typical and own duration, the
 * number's age); the other features (calls_24h, distinct_callees_1h, seconds_since_previous, hour_of_day, ...)
 * are computed and explained but not searched on: each extra dimension makes the cells sparser and an exact
 * search slower, for no measured gain.
 */
export const GRID: readonly GridDimension[] = [
  { name: 'log_calls_1m', feature: 0, log: true, step: 0.5 },
  { name: 'log_calls_1h', feature: 1, log: true, step: 0.5 },
  { name: 'log_distinct_callees_24h', feature: 4, log: true, step: 0.5 },
  { name: 'short_share_24h', feature: 5, log: false, step: 0.25 },
  { name: 'night_share_24h', feature: 6, log: false, step: 0.25 },
  { name: 'log_mean_duration_24h', feature: 7, log: true, step: 0.5 },
  { name: 'log_number_age_seconds', feature: 9, log: true, step: 1 },
  { name: 'log_call_duration', feature: 10, log: true, step: 0.5 },
];
/** Codes per point, one per grid dimension. */
export const CODE_WIDTH = GRID.length;
/** Coordinates per point: the grid dimensions. */
export const COORDINATE_NAMES = GRID.map((d) => d.name);
export const COORDINATES = COORDINATE_NAMES.length;

/** Puts one call's features (BEHAVIOUR_FEATURES order) on the grid: CODE_WIDTH codes written at `offset`. */
export function gridCodes(features: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  for (let d = 0; d < GRID.length; d++) {
    const dim = GRID[d] as GridDimension;
    const raw = features[dim.feature] as number;
    const value = dim.log ? Math.log1p(Math.max(0, raw)) : raw;
    const code = Math.round(value / dim.step);
    out[offset + d] = code < 0 ? 0 : code > 255 ? 255 : code;
  }
}

/** The unscaled coordinates of a grid point (what the scaler is fitted on). */
export function gridCoordinates(codes: ArrayLike<number>, offset: number, out: Float64Array): void {
  for (let d = 0; d < GRID.length; d++)
    out[d] = (codes[offset + d] as number) * (GRID[d] as GridDimension).step;
}

/** Training points collapsed into cells: codes (CODE_WIDTH per cell), legitimate and scam counts. */
export interface Cells {
  codes: Uint8Array;
  legit: Uint32Array;
  scam: Uint32Array;
}

export function cellCount(cells: Cells): number {
  return cells.legit.length;
}

/** Collapses labelled grid points into cells, in a canonical order (by codes), so a model is reproducible. */
export function collapseCells(codes: Uint8Array, labels: ArrayLike<number>): Cells {
  const n = labels.length;
  const byKey = new Map<string, [number, number, number]>(); // first index, legit, scam
  for (let i = 0; i < n; i++) {
    const key = String.fromCharCode(...codes.subarray(i * CODE_WIDTH, (i + 1) * CODE_WIDTH));
    let entry = byKey.get(key);
    if (!entry) {
      entry = [i, 0, 0];
      byKey.set(key, entry);
    }
    if (labels[i] === 1) entry[2]++;
    else entry[1]++;
  }
  const keys = [...byKey.keys()].sort();
  const cells: Cells = {
    codes: new Uint8Array(keys.length * CODE_WIDTH),
    legit: new Uint32Array(keys.length),
    scam: new Uint32Array(keys.length),
  };
  keys.forEach((key, c) => {
    const [first, legit, scam] = byKey.get(key) as [number, number, number];
    cells.codes.set(codes.subarray(first * CODE_WIDTH, (first + 1) * CODE_WIDTH), c * CODE_WIDTH);
    cells.legit[c] = legit;
    cells.scam[c] = scam;
  });
  return cells;
}

/** Standard scaling of the coordinates, fitted on the training points (each cell weighs its point count). */
export function fitCellScaler(cells: Cells): Scaler {
  const mean = new Array<number>(COORDINATES).fill(0);
  const square = new Array<number>(COORDINATES).fill(0);
  const coordinates = new Float64Array(COORDINATES);
  let total = 0;
  for (let c = 0; c < cellCount(cells); c++) {
    const w = (cells.legit[c] as number) + (cells.scam[c] as number);
    gridCoordinates(cells.codes, c * CODE_WIDTH, coordinates);
    for (let j = 0; j < COORDINATES; j++) {
      mean[j] = (mean[j] as number) + w * (coordinates[j] as number);
      square[j] = (square[j] as number) + w * (coordinates[j] as number) ** 2;
    }
    total += w;
  }
  const m = mean.map((s) => s / total);
  const std = square.map((s, j) => {
    const variance = s / total - (m[j] as number) ** 2;
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { mean: m, std };
}

export interface BehaviourParams {
  k: number;
  /** A call is flagged when its neighbours' vote > threshold (chosen in training to keep bulk callers' flags
   *  rare); results report the vote calibrated so that this threshold reads as 0.5. */
  threshold: number;
  /** Multiplies each scaled coordinate (COORDINATE_NAMES order). */
  coordinateWeights: number[];
}

export interface BehaviourModel {
  kind: 'behaviour';
  version: string;
  createdAt: string;
  featureSet: { name: typeof BEHAVIOUR_FEATURE_SET; version: number };
  params: BehaviourParams;
  scaler: Scaler;
  cells: Cells;
  training: Record<string, unknown> | null;
  evaluation: Record<string, unknown> | null;
}

export const CURRENT_FEATURE_SET = {
  name: BEHAVIOUR_FEATURE_SET,
  version: BEHAVIOUR_FEATURES_VERSION,
} as const;

/** Neighbouring cells of one query, nearest first; the arrays are reused by the next search. */
export interface CellNeighbours {
  count: number;
  cell: Int32Array;
  distance: Float64Array;
}

const LEAF_SIZE = 8;

/** Exact weighted KNN over cells: a k-d tree with a bounding box per node, branch and bound. */
export class CellIndex {
  readonly size: number;
  readonly points: number;
  private readonly coords: Float64Array;
  private readonly weight: Float64Array;
  private readonly scamShare: Float64Array;
  /** Per coordinate, per code: the scaled, weighted coordinate. */
  private readonly tables: Float64Array[];
  private readonly order: Int32Array;
  private nodeStart: Int32Array = new Int32Array(0);
  private nodeEnd: Int32Array = new Int32Array(0);
  private nodeLeft: Int32Array = new Int32Array(0);
  private nodeRight: Int32Array = new Int32Array(0);
  private nodeMin: Float64Array = new Float64Array(0);
  private nodeMax: Float64Array = new Float64Array(0);
  private nodes = 0;
  private readonly heapCell: Int32Array;
  private readonly heapDistance: Float64Array;
  private readonly query = new Float64Array(COORDINATES);
  private readonly codes = new Uint8Array(CODE_WIDTH);
  private readonly stack: Int32Array;
  private readonly stackBound: Float64Array;

  constructor(
    readonly cells: Cells,
    readonly scaler: Scaler,
    readonly params: BehaviourParams,
  ) {
    this.size = cellCount(cells);
    if (this.size === 0) throw new RangeError('a behaviour model needs at least one cell');
    if (scaler.mean.length !== COORDINATES || scaler.std.length !== COORDINATES) {
      throw new RangeError(`scaler must have ${COORDINATES} coordinates`);
    }
    if (params.coordinateWeights.length !== COORDINATES) {
      throw new RangeError(`coordinateWeights must have ${COORDINATES} entries`);
    }
    this.tables = [];
    for (let d = 0; d < GRID.length; d++) {
      const step = (GRID[d] as GridDimension).step;
      const w = (params.coordinateWeights[d] as number) / (scaler.std[d] as number);
      this.tables.push(
        Float64Array.from({ length: 256 }, (_, code) => (code * step - (scaler.mean[d] as number)) * w),
      );
    }
    this.coords = new Float64Array(this.size * COORDINATES);
    this.weight = new Float64Array(this.size);
    this.scamShare = new Float64Array(this.size);
    let points = 0;
    for (let c = 0; c < this.size; c++) {
      this.embedCodes(cells.codes, c * CODE_WIDTH, this.coords, c * COORDINATES);
      const w = (cells.legit[c] as number) + (cells.scam[c] as number);
      this.weight[c] = w;
      this.scamShare[c] = w > 0 ? (cells.scam[c] as number) / w : 0;
      points += w;
    }
    this.points = points;
    if (!Number.isInteger(params.k) || params.k < 1 || params.k > points) {
      throw new RangeError(`k must be an integer from 1 to the ${points} training points, got ${params.k}`);
    }
    this.order = Int32Array.from({ length: this.size }, (_, i) => i);
    this.build();
    this.heapCell = new Int32Array(this.size);
    this.heapDistance = new Float64Array(this.size);
    this.stack = new Int32Array(this.nodes + 1);
    this.stackBound = new Float64Array(this.nodes + 1);
  }

  /** Scaled, weighted coordinates of grid codes. */
  embedCodes(codes: ArrayLike<number>, offset: number, out: Float64Array, outOffset = 0): void {
    for (let d = 0; d < GRID.length; d++) {
      out[outOffset + d] = (this.tables[d] as Float64Array)[codes[offset + d] as number] as number;
    }
  }

  /** The coordinates distances are computed on, for a call's features (reference searches use them). */
  embed(features: ArrayLike<number>): number[] {
    gridCodes(features, this.codes);
    const out = new Float64Array(COORDINATES);
    this.embedCodes(this.codes, 0, out);
    return [...out];
  }

  cellCoordinates(cell: number): number[] {
    return [...this.coords.subarray(cell * COORDINATES, (cell + 1) * COORDINATES)];
  }

  cellWeight(cell: number): number {
    return this.weight[cell] as number;
  }

  cellScamShare(cell: number): number {
    return this.scamShare[cell] as number;
  }

  private build(): void {
    const maxNodes = 2 * Math.ceil(this.size / (LEAF_SIZE / 2)) + 1;
    this.nodeStart = new Int32Array(maxNodes);
    this.nodeEnd = new Int32Array(maxNodes);
    this.nodeLeft = new Int32Array(maxNodes).fill(-1);
    this.nodeRight = new Int32Array(maxNodes).fill(-1);
    this.nodeMin = new Float64Array(maxNodes * COORDINATES);
    this.nodeMax = new Float64Array(maxNodes * COORDINATES);
    const work: [number, number, number][] = [[0, this.size, this.nodes++]];
    while (work.length > 0) {
      const [start, end, node] = work.pop() as [number, number, number];
      this.nodeStart[node] = start;
      this.nodeEnd[node] = end;
      let widest = 0;
      let widestSpan = -1;
      for (let j = 0; j < COORDINATES; j++) {
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (let i = start; i < end; i++) {
          const v = this.coords[(this.order[i] as number) * COORDINATES + j] as number;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        this.nodeMin[node * COORDINATES + j] = lo;
        this.nodeMax[node * COORDINATES + j] = hi;
        if (hi - lo > widestSpan) {
          widestSpan = hi - lo;
          widest = j;
        }
      }
      if (end - start <= LEAF_SIZE || widestSpan <= 0) continue;
      const slice = Array.from(this.order.subarray(start, end)).sort(
        (a, b) =>
          (this.coords[a * COORDINATES + widest] as number) -
            (this.coords[b * COORDINATES + widest] as number) || a - b,
      );
      this.order.set(slice, start);
      const mid = start + ((end - start) >> 1);
      const left = this.nodes++;
      const right = this.nodes++;
      this.nodeLeft[node] = left;
      this.nodeRight[node] = right;
      work.push([start, mid, left], [mid, end, right]);
    }
  }

  private boxDistance(node: number, q: Float64Array): number {
    let sum = 0;
    const base = node * COORDINATES;
    for (let j = 0; j < COORDINATES; j++) {
      const v = q[j] as number;
      const lo = this.nodeMin[base + j] as number;
      if (v < lo) {
        sum += (lo - v) * (lo - v);
        continue;
      }
      const hi = this.nodeMax[base + j] as number;
      if (v > hi) sum += (v - hi) * (v - hi);
    }
    return sum;
  }

  /**
   * The cells holding the k nearest training points of a call (features in BEHAVIOUR_FEATURES order), nearest
   * first (ties by cell order). The arrays returned are reused by the next search.
   */
  search(features: ArrayLike<number>, k = this.params.k): CellNeighbours {
    gridCodes(features, this.codes);
    return this.searchCoordinates(this.embedInto(this.codes), k);
  }

  private embedInto(codes: Uint8Array): Float64Array {
    this.embedCodes(codes, 0, this.query);
    return this.query;
  }

  /** The same search from already-scaled coordinates. */
  searchCoordinates(q: Float64Array, k = this.params.k): CellNeighbours {
    const heapCell = this.heapCell;
    const heapDistance = this.heapDistance;
    const coords = this.coords;
    const weight = this.weight;
    const stack = this.stack;
    const stackBound = this.stackBound;
    let size = 0;
    let total = 0;
    let bound = Number.POSITIVE_INFINITY;
    let top = 0;
    stack[top] = 0;
    stackBound[top++] = 0;
    while (top > 0) {
      top--;
      if ((stackBound[top] as number) > bound) continue;
      const node = stack[top] as number;
      const left = this.nodeLeft[node] as number;
      if (left >= 0) {
        const right = this.nodeRight[node] as number;
        const dl = this.boxDistance(left, q);
        const dr = this.boxDistance(right, q);
        // Visit the nearer child first (pushed last).
        if (dl <= dr) {
          if (dr <= bound) {
            stack[top] = right;
            stackBound[top++] = dr;
          }
          if (dl <= bound) {
            stack[top] = left;
            stackBound[top++] = dl;
          }
        } else {
          if (dl <= bound) {
            stack[top] = left;
            stackBound[top++] = dl;
          }
          if (dr <= bound) {
            stack[top] = right;
            stackBound[top++] = dr;
          }
        }
        continue;
      }
      const end = this.nodeEnd[node] as number;
      for (let i = this.nodeStart[node] as number; i < end; i++) {
        const cell = this.order[i] as number;
        const base = cell * COORDINATES;
        let distance = 0;
        for (let j = 0; j < COORDINATES; j++) {
          const diff = (coords[base + j] as number) - (q[j] as number);
          distance += diff * diff;
        }
        if (distance > bound) continue;
        // Push, then drop the farthest cells while the rest still hold k points.
        size = heapPush(heapCell, heapDistance, size, cell, distance);
        total += weight[cell] as number;
        while (total - (weight[heapCell[0] as number] as number) >= k) {
          total -= weight[heapCell[0] as number] as number;
          size = heapPop(heapCell, heapDistance, size);
        }
        if (total >= k) bound = heapDistance[0] as number;
      }
    }
    // Heap sort in place: nearest first.
    const count = size;
    while (size > 1) {
      const cell = heapCell[0] as number;
      const distance = heapDistance[0] as number;
      size = heapPop(heapCell, heapDistance, size);
      heapCell[size] = cell;
      heapDistance[size] = distance;
    }
    return { count, cell: heapCell, distance: heapDistance };
  }

  /** P(scam) among the k nearest points: whole cells nearest first, the last one pro rata. */
  vote(found: CellNeighbours, k = this.params.k): number {
    let taken = 0;
    let scam = 0;
    for (let i = 0; i < found.count && taken < k; i++) {
      const cell = found.cell[i] as number;
      const take = Math.min(this.weight[cell] as number, k - taken);
      scam += take * (this.scamShare[cell] as number);
      taken += take;
    }
    return scam / taken;
  }
}

/** (distance, cell) of heap entry a is farther than entry b's: the max-heap order. */
function farther(cells: Int32Array, distances: Float64Array, a: number, b: number): boolean {
  const da = distances[a] as number;
  const db = distances[b] as number;
  return da > db || (da === db && (cells[a] as number) > (cells[b] as number));
}

function swapEntries(cells: Int32Array, distances: Float64Array, a: number, b: number): void {
  const c = cells[a] as number;
  const d = distances[a] as number;
  cells[a] = cells[b] as number;
  distances[a] = distances[b] as number;
  cells[b] = c;
  distances[b] = d;
}

/** Adds an entry to the max-heap of `size` entries; returns the new size. */
function heapPush(
  cells: Int32Array,
  distances: Float64Array,
  size: number,
  cell: number,
  distance: number,
): number {
  let child = size;
  cells[child] = cell;
  distances[child] = distance;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (!farther(cells, distances, child, parent)) break;
    swapEntries(cells, distances, child, parent);
    child = parent;
  }
  return size + 1;
}

/** Removes the root (the farthest entry) of the max-heap; returns the new size. */
function heapPop(cells: Int32Array, distances: Float64Array, size: number): number {
  const last = size - 1;
  cells[0] = cells[last] as number;
  distances[0] = distances[last] as number;
  let parent = 0;
  for (;;) {
    let child = 2 * parent + 1;
    if (child >= last) break;
    if (child + 1 < last && farther(cells, distances, child + 1, child)) child++;
    if (!farther(cells, distances, child, parent)) break;
    swapEntries(cells, distances, child, parent);
    parent = child;
  }
  return last;
}

/** Exact answers kept per grid point; beyond this many distinct points a query is searched, not kept. */
export const SCORE_CACHE_LIMIT = 1 << 17;

/**
 * Scores calls from their behavioural features. Pure: no I/O, no clock.
 *
 * Every call on the same grid point has the same k nearest neighbours, so the exact answer is kept per grid
 * point: at construction for every training cell's point (where almost all calls land), then for each new
 * point a query meets, up to SCORE_CACHE_LIMIT points. The answer is the search's, only not recomputed.
 */
export class BehaviourScorer {
  readonly index: CellIndex;
  private readonly cache = new Map<string, Score>();
  private readonly codes = new Uint8Array(CODE_WIDTH);
  private readonly coordinates = new Float64Array(COORDINATES);

  constructor(
    readonly model: BehaviourModel,
    options: { warm?: boolean } = {},
  ) {
    this.index = new CellIndex(model.cells, model.scaler, model.params);
    if (options.warm ?? true) {
      for (let c = 0; c < this.index.size; c++) {
        const codes = model.cells.codes.subarray(c * CODE_WIDTH, (c + 1) * CODE_WIDTH);
        this.cache.set(keyOf(codes), this.searchCodes(codes));
      }
    }
  }

  get version(): string {
    return this.model.version;
  }

  /** Grid points with a kept answer. */
  get cachedPoints(): number {
    return this.cache.size;
  }

  /** One call, from the features CallerStates.update returned for it. The Score returned must not be modified. */
  score(features: ArrayLike<number>): Score {
    gridCodes(features, this.codes);
    const key = keyOf(this.codes);
    const kept = this.cache.get(key);
    if (kept !== undefined) return kept;
    const score = this.searchCodes(this.codes);
    if (this.cache.size < SCORE_CACHE_LIMIT) this.cache.set(key, score);
    return score;
  }

  /** The same answer, always searched (for benchmarks and tests). */
  scoreUncached(features: ArrayLike<number>): Score {
    gridCodes(features, this.codes);
    return this.searchCodes(this.codes);
  }

  private searchCodes(codes: Uint8Array): Score {
    this.index.embedCodes(codes, 0, this.coordinates);
    const found = this.index.searchCoordinates(this.coordinates);
    const k = this.model.params.k;
    const vote = this.index.vote(found, k);
    let scamNeighbours = 0;
    let taken = 0;
    for (let i = 0; i < found.count && taken < k; i++) {
      const cell = found.cell[i] as number;
      const take = Math.min(this.index.cellWeight(cell), k - taken);
      scamNeighbours += take * this.index.cellScamShare(cell);
      taken += take;
    }
    const threshold = this.model.params.threshold;
    return {
      label: vote > threshold ? 1 : 0,
      probability: calibrateToThreshold(vote, threshold),
      vote,
      neighbours: taken,
      scamNeighbours: Math.round(scamNeighbours),
      nearestDistance: found.count > 0 ? Math.sqrt(found.distance[0] as number) : Number.NaN,
    };
  }
}

function keyOf(codes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < codes.length; i++) key += String.fromCharCode(codes[i] as number);
  return key;
}
