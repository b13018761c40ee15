import type { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ConsoleStore } from './console-store.js';
import type { RequestRecord } from './request-record.js';

/**
 * The diagnostics channels the console listens to. The database, cache, tracing and health
 * modules publish on them only while someone subscribes, so they cost nothing otherwise.
 */
export const CONSOLE_CHANNELS = {
  /** One message per executed SQL statement: `{ sql, paramCount, durationMs, dialect, error? }`. */
  query: 'covet:db:query',
  /** One message per cache read: `{ backend, namespace, key, hit }`. */
  cache: 'covet:cache:access',
  /** One message per finished, sampled span: the tracing module's `SpanData`. */
  span: 'covet:trace:span',
  /** One message per health check run: `{ name, status, latencyMs, error? }`. */
  health: 'covet:health:check',
} as const;

/**
 * Feeds the store from the channels, attributing each message to the request it happened in
 * (through `requests`, the console's `AsyncLocalStorage`). Returns the unsubscribe function.
 *
 * @example
 * const stop = subscribeConsoleChannels(store, requests); // … stop() at shutdown
 */
export function subscribeConsoleChannels(store: ConsoleStore, requests: AsyncLocalStorage<RequestRecord>): () => void {
  const listeners: [string, (message: unknown) => void][] = [
    [CONSOLE_CHANNELS.query, (m) => store.onQuery(m, requests.getStore() ?? store.soleRequest())],
    [CONSOLE_CHANNELS.cache, (m) => store.onCache(m, requests.getStore() ?? store.soleRequest())],
    [CONSOLE_CHANNELS.span, (m) => store.onSpan(m, requests.getStore() ?? store.soleRequest())],
    [CONSOLE_CHANNELS.health, (m) => store.onHealth(m)],
  ];
  for (const [name, listener] of listeners) subscribe(name, listener);
  return () => {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
  };
}
