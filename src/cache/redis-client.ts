import { CovetError } from '../errors.js';
import { importPeer } from '../internal/import-peer.js';

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
  const mod = (await importPeer('ioredis', 'The Redis cache backend (covet/cache)')) as {
    Redis?: RedisConstructor;
    default?: RedisConstructor;
  };
  const Redis = mod.Redis ?? mod.default;
  if (typeof Redis !== 'function') {
    throw new CovetError('The installed "ioredis" exports no Redis class; install ioredis 5 or later', { code: 'ERR_MISSING_DEPENDENCY' });
  }
  return new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
}

/** Whether an error is Redis answering with an error (as opposed to not answering at all). */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}
