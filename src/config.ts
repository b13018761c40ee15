/**
 * Application settings. Subclass it with fields (the seed's `class ProductionConfig(Config)`),
 * or build one from a record or the environment; read values with `get`.
 *
 * @example
 * class ProductionConfig extends Config { DATABASE_URL = process.env.DATABASE_URL; CACHE_TTL = 3600 }
 * const app = new CovetApp({ config: new ProductionConfig() });
 * app.config.get('CACHE_TTL', 60) // 3600
 */
export class Config {
  [key: string]: unknown;

  constructor(values: Readonly<Record<string, unknown>> = {}) {
    Object.assign(this, values);
  }

  /** The value of `key`, or `fallback` when it is missing or `undefined`. */
  get<T = unknown>(key: string, fallback?: T): T {
    const value = Object.hasOwn(this, key) ? this[key] : undefined;
    return (value === undefined ? fallback : value) as T;
  }

  /**
   * Settings from environment variables, optionally only those starting with `prefix` (which
   * is removed): `Config.fromEnv('APP_')` turns `APP_DEBUG=1` into `DEBUG: '1'`.
   */
  static fromEnv(prefix = '', env: NodeJS.ProcessEnv = process.env): Config {
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (k.startsWith(prefix) && v !== undefined) values[k.slice(prefix.length)] = v;
    return new Config(values);
  }
}
