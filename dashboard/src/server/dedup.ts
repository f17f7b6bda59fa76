import type { InputRef } from '../shared/wire.js';

export interface DedupOptions {
  /** Offsets remembered per input partition, below the highest one seen; a power of two. Default 2^20. */
  windowOffsets?: number;
  /** Input partitions tracked; past it the least recently seen partition is forgotten. Default 64. */
  maxPartitions?: number;
}

/** What `check` found: a new input, a repeat of one already counted, or one too old to tell. */
export type DedupVerdict = 'new' | 'duplicate' | 'beyond_window';

/**
 * A sliding window of the offsets seen in one input partition: a bitmap over the `size` offsets ending at the
 * highest one seen (offset o lives at bit o mod size). A higher offset slides the window up, clearing the bits
 * of the offsets that leave it; a lower one inside the window is looked up. Results of one input partition
 * arrive out of offset order (the processor spreads them over output partitions by caller), so every offset in
 * the window is remembered on its own, not just the highest.
 */
class OffsetWindow {
  readonly #bits: Uint32Array;
  readonly #size: number;
  /** The highest offset seen; -1 before the first. */
  #high = -1;

  constructor(size: number) {
    this.#size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  check(offset: number): DedupVerdict {
    if (offset > this.#high) {
      this.#clear(this.#high + 1, offset);
      this.#high = offset;
      this.#set(offset);
      return 'new';
    }
    if (offset <= this.#high - this.#size) return 'beyond_window';
    const index = offset % this.#size;
    const word = index >>> 5;
    const mask = 1 << (index & 31);
    if (((this.#bits[word] as number) & mask) !== 0) return 'duplicate';
    this.#bits[word] = (this.#bits[word] as number) | mask;
    return 'new';
  }

  #set(offset: number): void {
    const index = offset % this.#size;
    this.#bits[index >>> 5] = (this.#bits[index >>> 5] as number) | (1 << (index & 31));
  }

  /** Clears the bits of offsets from..to (inclusive): word by word, so a jump costs at most size/32 writes. */
  #clear(from: number, to: number): void {
    if (this.#high < 0 || to - from + 1 >= this.#size) {
      this.#bits.fill(0);
      return;
    }
    let index = from % this.#size;
    let left = to - from + 1;
    while (left > 0) {
      const bit = index & 31;
      if (bit === 0 && left >= 32) {
        const words = Math.min(left >>> 5, (this.#size - index) >>> 5);
        this.#bits.fill(0, index >>> 5, (index >>> 5) + words);
        index = (index + words * 32) % this.#size;
        left -= words * 32;
        continue;
      }
      this.#bits[index >>> 5] = (this.#bits[index >>> 5] as number) & ~(1 << bit);
      index = (index + 1) % this.#size;
      left--;
    }
  }
}

/**
 * Which input records the dashboard has already counted: a result redelivered after a processor crash carries
 * the same input id (topic, partition, offset) as the first one, and is dropped. Memory is bounded and exact
 * within the window: per input partition, a bitmap of the last `windowOffsets` offsets below the highest one
 * seen (2^20 offsets = 128 KiB per partition, at most `maxPartitions` partitions = 8 MiB). A result whose
 * offset is older than its partition's window cannot be checked: it is counted (never dropped: a real result
 * is never lost) and reported as `beyond_window`. At 1,000 results/s per input partition the window covers the
 * last ~17 minutes of that partition; redeliveries come from the last uncommitted batches, seconds old.
 */
export class InputDedup {
  readonly windowOffsets: number;
  readonly maxPartitions: number;
  /** Insertion order = least recently seen first. */
  readonly #windows = new Map<string, OffsetWindow>();
  #duplicates = 0;
  #beyondWindow = 0;

  constructor(options: DedupOptions = {}) {
    this.windowOffsets = options.windowOffsets ?? 2 ** 20;
    this.maxPartitions = options.maxPartitions ?? 64;
    const size = this.windowOffsets;
    if (!Number.isInteger(size) || size < 32 || (size & (size - 1)) !== 0)
      throw new RangeError('windowOffsets must be a power of two, at least 32');
  }

  /** Results dropped as repeats of an input already counted. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Results counted without a check because their offset was older than the window. */
  get beyondWindow(): number {
    return this.#beyondWindow;
  }

  /** Input partitions tracked now. */
  get partitions(): number {
    return this.#windows.size;
  }

  /** Records `id` as seen and says whether it was new. */
  check(id: InputRef): DedupVerdict {
    const key = `${id.topic}\0${id.partition}`;
    let window = this.#windows.get(key);
    if (window) {
      this.#windows.delete(key);
    } else {
      window = new OffsetWindow(this.windowOffsets);
      if (this.#windows.size >= this.maxPartitions) {
        const oldest = this.#windows.keys().next().value as string;
        this.#windows.delete(oldest);
      }
    }
    this.#windows.set(key, window);
    const verdict = window.check(id.offset);
    if (verdict === 'duplicate') this.#duplicates++;
    else if (verdict === 'beyond_window') this.#beyondWindow++;
    return verdict;
  }

  /** Forgets every offset (a replayed recording starting again); the counts stay. */
  reset(): void {
    this.#windows.clear();
  }
}
