/** The longest delay `setTimeout` keeps (2^31 - 1 ms, about 24.8 days); past it Node fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Settles as `pending` does, or rejects with `timedOut()` when it has not settled within `ms`
 * (the timer is cleared either way). For commands to a server that may hang without closing
 * the connection, where the client library itself would wait forever.
 *
 * @example
 * await withDeadline(redis.call('GET', key), 1000, () => new Error('no answer within 1000 ms'))
 */
export function withDeadline<T>(pending: Promise<T>, ms: number, timedOut: () => unknown): Promise<T> {
  // Past what a timer holds (Infinity: no deadline), Node would fire it after 1 ms.
  if (!(ms <= MAX_TIMER_MS)) return pending;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
