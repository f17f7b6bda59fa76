/** A fixed-capacity buffer of the most recent items: pushing into a full one drops the oldest. */
export class RingBuffer<T> {
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#items = new Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    const end = (this.#start + this.#size) % this.capacity;
    this.#items[end] = item;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = new Array(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.#items[(this.#start + i) % this.capacity] as T;
    return out;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[(this.#start + this.#size - 1) % this.capacity];
  }

  /** The items after the first one for which `isOld` is false, scanning from the newest: oldest first.
   *  Used to take "everything newer than seq N" without copying the whole buffer. */
  newestWhile(isNew: (item: T) => boolean, limit: number): T[] {
    const out: T[] = [];
    for (let i = this.#size - 1; i >= 0 && out.length < limit; i--) {
      const item = this.#items[(this.#start + i) % this.capacity] as T;
      if (!isNew(item)) break;
      out.push(item);
    }
    return out.reverse();
  }

  clear(): void {
    this.#items.fill(undefined);
    this.#start = 0;
    this.#size = 0;
  }
}
