import { channel } from 'node:diagnostics_channel';

/** The message on the `covet:cache:access` diagnostics channel: one per single-key read. */
export interface CacheAccessMessage {
  /** `memory`, `redis` or `multi-level`. */
  readonly backend: string;
  readonly namespace: string;
  readonly key: string;
  /** Whether a value was found (fresh or stale); an unreachable backend reads as a miss. */
  readonly hit: boolean;
}

/**
 * `covet:cache:access`: every `get`/`getOrSet`/`cached` read of a cache, hit or miss — for the
 * console's hit rates and custom metrics. Publishing costs nothing while nobody subscribes.
 *
 * @example
 * diagnostics_channel.subscribe('covet:cache:access', (m) => (m.hit ? hits++ : misses++));
 */
export const cacheAccessChannel = channel('covet:cache:access');
