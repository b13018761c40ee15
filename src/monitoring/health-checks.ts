/** A database that can be pinged (`DatabaseManager` has `ping()`). */
export interface PingableLike {
  ping(): Promise<unknown>;
}

/** A database that runs SQL (`execute` as in `covet/database`, or any driver wrapper). */
export interface ExecutableLike {
  execute(sql: string): Promise<unknown>;
}

/** What a health check function may return: nothing (healthy), a boolean, or a status object. */
// biome-ignore lint/suspicious/noConfusingVoidType: a check may be an async function that returns nothing
export type HealthCheckResult = void | undefined | boolean | { readonly status?: 'healthy' | 'unhealthy'; readonly error?: string };

/** A named health check: resolves when healthy, throws (or says `unhealthy`) when not. */
export type HealthCheckFunction = () => HealthCheckResult | Promise<HealthCheckResult>;

/**
 * A check for a `covet/database` `DatabaseManager` (or anything with `ping()`, or with
 * `execute(sql)`, which runs `SELECT 1`).
 *
 * @example
 * health.check('database', databaseCheck(db));
 */
export function databaseCheck(db: PingableLike | ExecutableLike, options: { readonly query?: string } = {}): HealthCheckFunction {
  const query = options.query ?? 'SELECT 1';
  if (options.query === undefined && typeof (db as Partial<PingableLike>).ping === 'function') {
    return async function databaseHealth() {
      await (db as PingableLike).ping();
    };
  }
  if (typeof (db as Partial<ExecutableLike>).execute !== 'function')
    throw new TypeError('databaseCheck() needs an object with ping() or execute(sql)');
  return async function databaseHealth() {
    await (db as ExecutableLike).execute(query);
  };
}

/** A Redis client with `ping()` (ioredis, node-redis, `CacheManager`). */
export interface RedisPingLike {
  ping(): Promise<unknown>;
}

/**
 * A check for Redis: `PING` must answer `PONG` (or `true`, as `cache.ping()` does).
 *
 * @example
 * health.check('redis', redisCheck(new Redis(process.env.REDIS_URL)));
 */
export function redisCheck(client: RedisPingLike): HealthCheckFunction {
  if (typeof client?.ping !== 'function') throw new TypeError('redisCheck() needs a client with ping()');
  return async function redisHealth() {
    const reply = await client.ping();
    if (reply !== 'PONG' && reply !== true && reply !== undefined)
      return { status: 'unhealthy', error: `unexpected PING reply ${JSON.stringify(reply)}` };
    return { status: 'healthy' };
  };
}
