/** What a run sees of itself: `dropped` turns `true` once `forget` lets go of it. */
export interface FlightState {
  readonly dropped: boolean;
}

interface Flight<T> {
  readonly promise: Promise<T>;
  readonly state: { dropped: boolean };
}

/**
 * Concurrent calls for one key share one run: the first starts it, the others await the same
 * promise (its value or its rejection), and the key is free again once it settles. `forget`
 * frees the key at once (after an invalidation): later calls start a new run, and the old one,
 * told through its `FlightState`, should not store what it loaded.
 *
 * @example
 * const flights = new SingleFlight<string, Row | null>();
 * const row = await flights.run('user:1', () => db.fetchOne('…', 1)); // one query however many callers
 */
export class SingleFlight<K, T> {
  readonly #running = new Map<K, Flight<T>>();

  /** The run in progress for `key`, if any. */
  current(key: K): Promise<T> | undefined {
    return this.#running.get(key)?.promise;
  }

  /** Joins the run for `key`, or starts `fn` as that run. */
  run(key: K, fn: (state: FlightState) => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running !== undefined) return running.promise;
    const state = { dropped: false };
    const promise = (async () => {
      try {
        return await fn(state);
      } finally {
        // A forgotten run must not free the key of the run that replaced it.
        if (this.#running.get(key)?.state === state) this.#running.delete(key);
      }
    })();
    this.#running.set(key, { promise, state });
    return promise;
  }

  /**
   * Lets go of the run for `key` (marking it dropped): the next call starts a new one. Callers
   * that joined it still get its result.
   */
  forget(key: K): void {
    const running = this.#running.get(key);
    if (running === undefined) return;
    running.state.dropped = true;
    this.#running.delete(key);
  }

  /** Lets go of every run in progress (`forget` for each key). */
  forgetAll(): void {
    for (const running of this.#running.values()) running.state.dropped = true;
    this.#running.clear();
  }

  /** Runs in progress. */
  get size(): number {
    return this.#running.size;
  }
}
