import { CovetError } from '../errors.js';
import { importPeer } from './import-peer.js';
import { withDeadline } from './with-deadline.js';

/**
 * Loads the `Redis` class of the optional `ioredis` peer dependency on first use. `feature` names
 * what needs it, for the "npm install ioredis" error. `C` is the constructor shape the caller uses.
 */
export async function loadIoredis<C extends abstract new (...args: never[]) => unknown>(feature: string): Promise<C> {
  const mod = (await importPeer('ioredis', feature)) as { Redis?: C; default?: C };
  const Redis = mod.Redis ?? mod.default;
  if (typeof Redis !== 'function') {
    throw new CovetError('The installed "ioredis" exports no Redis class; install ioredis 5 or later', { code: 'ERR_MISSING_DEPENDENCY' });
  }
  return Redis;
}

/** What `openRedis` needs of a client: an `error` event to listen to. */
interface ErrorEmitter {
  on?(event: 'error', listener: (err: unknown) => void): unknown;
}

/**
 * A new `ioredis` client for `url` with `options` (retries, `commandTimeout`…) and a listener
 * on its `error` event: ioredis reports connection errors as events and logs every retry when
 * nothing listens, while the commands that fail reject on their own.
 */
export async function openRedis<R extends ErrorEmitter>(
  feature: string,
  url: string,
  options: Readonly<Record<string, unknown>>,
): Promise<R> {
  const Redis = await loadIoredis<new (url: string, options: Readonly<Record<string, unknown>>) => R>(feature);
  const client = new Redis(url, options);
  client.on?.('error', () => {});
  return client;
}

/** Whether Redis answered with an error reply (as opposed to not answering at all). */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

/**
 * What a store needs of a Redis client to close it (`quitRedis`) and to hear of its connection
 * errors; the client shapes of the session, revocation and rate-limit stores extend it.
 */
export interface RedisConnectionLike {
  readonly status?: string;
  quit?(): Promise<unknown>;
  disconnect?(): void;
  on?(event: 'error', listener: (err: unknown) => void): unknown;
}

/**
 * A store's Redis command, bounded by its `commandTimeout` whatever the client: one passed in
 * may have no timeout of its own, and a Redis that hangs would then hold the request for ever.
 * `store` names the store in the error.
 */
export function redisCommand<T>(pending: Promise<T>, ms: number, store: string): Promise<T> {
  return withDeadline(pending, ms, () => new Error(`Redis did not answer within ${ms} ms (${store})`));
}

/**
 * Closes a client a store opened, without ever throwing or waiting on a Redis that cannot
 * answer: `QUIT` when the connection is ready (bounded by the client's `commandTimeout`), else —
 * down, reconnecting, or `QUIT` failed or timed out — the connection is dropped. Shutdown hooks
 * call this, and a Redis outage must not make the app's shutdown fail.
 */
export async function quitRedis(client: RedisConnectionLike | null | undefined): Promise<void> {
  if (client === null || client === undefined) return;
  if (client.status !== undefined && client.status !== 'ready' && typeof client.disconnect === 'function') {
    client.disconnect();
    return;
  }
  try {
    await client.quit?.();
  } catch {
    client.disconnect?.();
  }
}
