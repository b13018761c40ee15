import { loadIoredis } from '../internal/load-ioredis.js';

/**
 * What the Redis backend needs from a client. An `ioredis` client has it (`call` sends any
 * command); pass one as `redis` to share your connection, or give a URL and Covet creates (and
 * on `close()` quits) its own.
 */
export interface RedisCacheClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A new connection with the same settings (used for the pub/sub subscriber). */
  duplicate?(): RedisCacheClient;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
  subscribe?(...channels: string[]): Promise<unknown>;
  quit?(): Promise<unknown>;
  disconnect?(): void;
  /** `ioredis`'s connection state (`ready`, `reconnecting`…), when the client has one. */
  readonly status?: string;
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisCacheClient;

/**
 * Creates an `ioredis` client for `url` (the optional peer dependency, imported on first use).
 * A command fails after one reconnection attempt instead of queueing for ever, so a cache never
 * holds a request hostage while Redis is down.
 */
export async function createRedisClient(url: string): Promise<RedisCacheClient> {
  const Redis = await loadIoredis<RedisConstructor>('The Redis cache backend (covet/cache)');
  return new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
}
