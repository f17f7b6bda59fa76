import type { LatencySummary, Quality, ScenarioQuality, SeriesPoint, Stats } from '../shared/wire.js';
import { Histogram } from './histogram.js';
import type { ScoredRecord } from './results.js';

type LatencyKind = 'pipeline' | 'delivery' | 'end_to_end';
const KINDS: readonly LatencyKind[] = ['pipeline', 'delivery', 'end_to_end'];

/** One second of the rolling window. */
class Slot {
  second = -1;
  count = 0;
  scam = 0;
  dlq = 0;
  readonly latency: Record<LatencyKind, Histogram> = {
    pipeline: new Histogram(),
    delivery: new Histogram(),
    end_to_end: new Histogram(),
  };
  /** Percentiles of a finished second, computed once. */
  summary: Pick<SeriesPoint, 'e2e_p50' | 'e2e_p99' | 'pipeline_p50' | 'pipeline_p99'> | undefined;

  reset(second: number): void {
    this.second = second;
    this.count = 0;
    this.scam = 0;
    this.dlq = 0;
    for (const kind of KINDS) this.latency[kind].clear();
    this.summary = undefined;
  }
}

export interface AggregatesOptions {
  /** Length of the rolling window, seconds (charts, scam rate, latency percentiles). */
  windowSeconds?: number;
}

const RATE_SECONDS = 10;
/** Scenario names tracked; results of further names (a hostile or broken stream) count only overall. */
export const MAX_SCENARIOS = 32;

interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function qualityOf({ tp, fp, tn, fn }: Confusion): Quality {
  const labelled = tp + fp + tn + fn;
  const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 =
    precision === null || recall === null || precision + recall === 0
      ? null
      : (2 * precision * recall) / (precision + recall);
  return { labelled, tp, fp, tn, fn, precision, recall, f1, accuracy: ratio(tp + tn, labelled) };
}

/**
 * Rolling aggregates of the results stream in constant memory: counts since start, a per-second window
 * (throughput, scam rate, latency histograms), counts per model version and the confusion matrix against the
 * true label when results carry one. Time comes from the caller (`seenMs`), so tests control it.
 */
export class Aggregates {
  readonly windowSeconds: number;
  readonly #slots: Slot[];
  readonly #window: Record<LatencyKind, Histogram> = {
    pipeline: new Histogram(),
    delivery: new Histogram(),
    end_to_end: new Histogram(),
  };
  #windowCount = 0;
  #windowScam = 0;
  #total = 0;
  #scam = 0;
  #dlq = 0;
  #malformed = 0;
  readonly #models = new Map<string, { count: number; first_seen_ms: number; last_seen_ms: number }>();
  readonly #confusion: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  readonly #byScenario = new Map<string, Confusion>();
  readonly startedMs: number;

  constructor(startedMs: number, options: AggregatesOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 120;
    this.#slots = Array.from({ length: this.windowSeconds }, () => new Slot());
    this.startedMs = startedMs;
  }

  /** The slot of `second`, recycled (and taken out of the window sums) if it held an older second.
   *  Returns undefined for a second already outside the window. */
  #slot(second: number, nowSecond: number): Slot | undefined {
    if (second <= nowSecond - this.windowSeconds) return undefined;
    const slot = this.#slots[
      ((second % this.windowSeconds) + this.windowSeconds) % this.windowSeconds
    ] as Slot;
    if (slot.second !== second) {
      this.#evict(slot);
      slot.reset(second);
    }
    return slot;
  }

  #evict(slot: Slot): void {
    if (slot.second < 0) return;
    this.#windowCount -= slot.count;
    this.#windowScam -= slot.scam;
    for (const kind of KINDS) this.#window[kind].subtract(slot.latency[kind]);
    slot.second = -1;
  }

  /** Drops seconds that have left the window as of `nowMs`. */
  advance(nowMs: number): void {
    const nowSecond = Math.floor(nowMs / 1000);
    for (const slot of this.#slots) {
      if (slot.second >= 0 && slot.second <= nowSecond - this.windowSeconds) this.#evict(slot);
    }
  }

  /**
   * Counts one result seen at `seenMs`. `live` says whether seen-time latencies mean anything: for a replayed
   * recording they would measure the age of the recording, so only the pipeline latency is kept.
   */
  addResult(result: ScoredRecord, seenMs: number, live: boolean): void {
    const second = Math.floor(seenMs / 1000);
    const scam = result.predicted_label === 1;
    this.#total++;
    if (scam) this.#scam++;
    const model = this.#models.get(result.model_version);
    if (model) {
      model.count++;
      model.last_seen_ms = seenMs;
    } else {
      this.#models.set(result.model_version, { count: 1, first_seen_ms: seenMs, last_seen_ms: seenMs });
    }
    if (result.truth_label !== undefined) {
      const cell = result.truth_label === 1 ? (scam ? 'tp' : 'fn') : scam ? 'fp' : 'tn';
      this.#confusion[cell]++;
      if (result.scenario !== undefined) {
        let confusion = this.#byScenario.get(result.scenario);
        if (!confusion && this.#byScenario.size < MAX_SCENARIOS) {
          confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
          this.#byScenario.set(result.scenario, confusion);
        }
        if (confusion) confusion[cell]++;
      }
    }
    const slot = this.#slot(second, second);
    if (!slot) return;
    slot.count++;
    this.#windowCount++;
    if (scam) {
      slot.scam++;
      this.#windowScam++;
    }
    const tsMs = result.call.ts * 1000;
    const processedMs = result.processed_ts * 1000;
    // A call stamped after it was scored comes from a simulated world running faster than real time (its ts is
    // simulated event time): it has no latency to measure.
    const simulatedAhead = tsMs > processedMs;
    if (!simulatedAhead) this.#record(slot, 'pipeline', processedMs - tsMs);
    if (live) {
      this.#record(slot, 'delivery', seenMs - processedMs);
      if (!simulatedAhead) this.#record(slot, 'end_to_end', seenMs - tsMs);
    }
  }

  #record(slot: Slot, kind: LatencyKind, ms: number): void {
    slot.latency[kind].record(ms);
    this.#window[kind].record(ms);
  }

  addDeadLetter(seenMs: number): void {
    this.#dlq++;
    const second = Math.floor(seenMs / 1000);
    const slot = this.#slot(second, second);
    if (slot) slot.dlq++;
  }

  addMalformed(): void {
    this.#malformed++;
  }

  quality(): Quality {
    return qualityOf(this.#confusion);
  }

  /** Quality per scenario, in the order the scenarios were first seen. */
  qualityByScenario(): ScenarioQuality[] {
    return [...this.#byScenario].map(([scenario, confusion]) => {
      const legit = confusion.fp + confusion.tn;
      return {
        scenario,
        scam: confusion.tp + confusion.fn > 0,
        ...qualityOf(confusion),
        false_positive_rate: legit === 0 ? null : confusion.fp / legit,
      };
    });
  }

  #latency(kind: LatencyKind): LatencySummary {
    const h = this.#window[kind];
    return { p50: h.quantile(0.5), p95: h.quantile(0.95), p99: h.quantile(0.99), samples: h.total };
  }

  /** Everything but the duplicate counts, which the store adds (duplicates never reach the aggregates). */
  stats(nowMs: number, source: Stats['source']): Omit<Stats, 'duplicates'> {
    this.advance(nowMs);
    const nowSecond = Math.floor(nowMs / 1000);
    let recent = 0;
    for (const slot of this.#slots) if (slot.second > nowSecond - RATE_SECONDS) recent += slot.count;
    const elapsed = Math.max(1, Math.min(RATE_SECONDS, Math.ceil((nowMs - this.startedMs) / 1000)));
    return {
      total_scored: this.#total,
      scam: this.#scam,
      not_scam: this.#total - this.#scam,
      dlq: this.#dlq,
      malformed: this.#malformed,
      rate_per_s: recent / elapsed,
      scam_rate: this.#windowCount === 0 ? null : this.#windowScam / this.#windowCount,
      window_s: this.windowSeconds,
      latency_ms: {
        pipeline: this.#latency('pipeline'),
        delivery: this.#latency('delivery'),
        end_to_end: this.#latency('end_to_end'),
      },
      models: Object.fromEntries([...this.#models].map(([version, m]) => [version, { ...m }])),
      quality: this.quality(),
      quality_by_scenario: this.qualityByScenario(),
      source,
      started_ms: this.startedMs,
    };
  }

  /** One point per second of the window up to `nowMs` (the current, partial second last), oldest first. */
  series(nowMs: number): SeriesPoint[] {
    this.advance(nowMs);
    const nowSecond = Math.floor(nowMs / 1000);
    const points: SeriesPoint[] = [];
    for (let second = nowSecond - this.windowSeconds + 1; second <= nowSecond; second++) {
      const slot = this.#slots[
        ((second % this.windowSeconds) + this.windowSeconds) % this.windowSeconds
      ] as Slot;
      if (slot.second !== second) {
        points.push({
          t: second,
          count: 0,
          scam: 0,
          dlq: 0,
          e2e_p50: null,
          e2e_p99: null,
          pipeline_p50: null,
          pipeline_p99: null,
        });
        continue;
      }
      let summary = slot.summary;
      if (!summary) {
        summary = {
          e2e_p50: slot.latency.end_to_end.quantile(0.5),
          e2e_p99: slot.latency.end_to_end.quantile(0.99),
          pipeline_p50: slot.latency.pipeline.quantile(0.5),
          pipeline_p99: slot.latency.pipeline.quantile(0.99),
        };
        if (second < nowSecond) slot.summary = summary; // a finished second no longer changes
      }
      points.push({ t: second, count: slot.count, scam: slot.scam, dlq: slot.dlq, ...summary });
    }
    return points;
  }
}
