/**
 * A fixed-capacity buffer that keeps the last `capacity` items pushed: pushing into a full
 * buffer overwrites the oldest. Memory stays bounded however long the app runs.
 *
 * @example
 * const last = new RingBuffer<number>(3);
 * for (const n of [1, 2, 3, 4]) last.push(n);
 * last.toArray(); // [2, 3, 4]
 */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('A ring buffer needs a capacity of at least 1');
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  /** How many items it holds (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /** Adds `item`; returns the item it pushed out, if the buffer was full. */
  push(item: T): T | undefined {
    const at = this.#next;
    const evicted = this.#size === this.capacity ? this.#items[at] : undefined;
    this.#items[at] = item;
    // A compare instead of `%`: this runs once or twice per request.
    this.#next = at + 1 === this.capacity ? 0 : at + 1;
    if (this.#size < this.capacity) this.#size++;
    return evicted;
  }

  /** The most recent item, if any. */
  last(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[(this.#next - 1 + this.capacity) % this.capacity];
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(start + i) % this.capacity] as T);
    return out;
  }

  /** Forgets every item. */
  clear(): void {
    this.#items.fill(undefined);
    this.#next = 0;
    this.#size = 0;
  }
}
