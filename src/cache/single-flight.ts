/**
 * Concurrent calls for one key share one run: the first starts it, the others await the same
 * promise (its value or its rejection), and the key is free again once it settles.
 *
 * @example
 * const flights = new SingleFlight<string, Row | null>();
 * const row = await flights.run('user:1', () => db.fetchOne('…', 1)); // one query however many callers
 */
export class SingleFlight<K, T> {
  readonly #running = new Map<K, Promise<T>>();

  /** The run in progress for `key`, if any. */
  current(key: K): Promise<T> | undefined {
    return this.#running.get(key);
  }

  /** Joins the run for `key`, or starts `fn` as that run. */
  run(key: K, fn: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    const started = (async () => {
      try {
        return await fn();
      } finally {
        this.#running.delete(key);
      }
    })();
    this.#running.set(key, started);
    return started;
  }

  /** Runs in progress. */
  get size(): number {
    return this.#running.size;
  }
}
