import { channel } from 'node:diagnostics_channel';
import type { Dialect } from './drivers/dialect.js';
import type { DriverResult } from './drivers/driver.js';

/** The message on the `covet:db:query` diagnostics channel: one per statement run. */
export interface QueryMessage {
  /** The statement as sent (placeholders, never values). */
  readonly sql: string;
  readonly paramCount: number;
  readonly durationMs: number;
  /** `sqlite`, `postgresql` or `mysql`. */
  readonly dialect: string;
  /** The error message when the statement failed. */
  readonly error?: string;
}

/**
 * `covet:db:query`: every statement a database runs, with its duration — for the console's
 * query log and N+1 detection, and custom metrics. Publishing costs nothing while nobody
 * subscribes; fast paths that skip the generic execution path take it while anyone does.
 *
 * @example
 * diagnostics_channel.subscribe('covet:db:query', (m) => slow.push(m));
 */
export const queryChannel = channel('covet:db:query');

/** Runs a statement and publishes it on `covet:db:query` (call only when `queryChannel.hasSubscribers`). */
export function observeQuery(
  dialect: Dialect,
  sql: string,
  params: readonly unknown[],
  run: () => Promise<DriverResult>,
): Promise<DriverResult> {
  const start = performance.now();
  const publish = (error: unknown): void => {
    const message: QueryMessage = {
      sql,
      paramCount: params.length,
      durationMs: performance.now() - start,
      dialect: dialect.name,
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    };
    queryChannel.publish(message);
  };
  let pending: Promise<DriverResult>;
  try {
    pending = run();
  } catch (err) {
    publish(err);
    return Promise.reject(err);
  }
  return pending.then(
    (result) => {
      publish(undefined);
      return result;
    },
    (err: unknown) => {
      publish(err);
      throw err;
    },
  );
}
