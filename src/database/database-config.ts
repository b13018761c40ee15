/** The databases Covet has drivers for. */
export type DriverName = 'sqlite' | 'postgresql' | 'mysql';

const DRIVER_ALIASES: Readonly<Record<string, DriverName>> = {
  sqlite: 'sqlite',
  sqlite3: 'sqlite',
  postgresql: 'postgresql',
  postgres: 'postgresql',
  pg: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
} satisfies Record<DriverAlias, DriverName>;

/** The names `driver` accepts, in any case: the drivers and their aliases. */
export type DriverAlias = DriverName | 'sqlite3' | 'postgres' | 'pg' | 'mariadb';

/** Options of `DatabaseConfig` (all but `driver` optional). Times are seconds, as in the seed. */
export interface DatabaseConfigOptions {
  /** `sqlite`, `postgresql` (`postgres`) or `mysql` (`mariadb`); any other name throws. */
  readonly driver: DriverAlias | (string & {});
  readonly host?: string;
  readonly port?: number;
  /** Database name; for SQLite the file path (`:memory:` for an in-memory database). */
  readonly database?: string;
  readonly username?: string;
  readonly password?: string;
  /** Connections kept open in the pool (SQLAlchemy's `pool_size`). Default 5. */
  readonly poolSize?: number;
  /** Extra connections opened under load and closed when idle (`max_overflow`). Default 10. */
  readonly maxOverflow?: number;
  /** Connections opened at `connect()` and kept. Default 0 (the pool fills on demand). */
  readonly minConnections?: number;
  /** Seconds an unused connection above `minConnections` stays open. Default 300. */
  readonly idleTimeout?: number;
  /** Seconds `acquire()` waits for a free connection before a `PoolTimeoutError`. Default 30. */
  readonly acquireTimeout?: number;
  /** Seconds to wait for a new connection. Default 10. */
  readonly connectTimeout?: number;
  /** TLS for PostgreSQL/MySQL: `true`, or the driver's TLS options. */
  readonly ssl?: boolean | Readonly<Record<string, unknown>>;
  /** Passed as is to the driver's connection options (`pg.Client`, `mysql2`, `better-sqlite3`). */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = true): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`DatabaseConfig.${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}`);
  }
  return value;
}

/** Normalises a driver name (`postgres` → `postgresql`); throws on an unknown one. */
export function driverName(name: string): DriverName {
  if (typeof name !== 'string') throw new TypeError('A database driver is required: sqlite, postgresql or mysql');
  const driver = DRIVER_ALIASES[name.toLowerCase()];
  if (driver === undefined) throw new TypeError(`Unknown database driver ${JSON.stringify(name)} (use sqlite, postgresql or mysql)`);
  return driver;
}

/**
 * Where and how to connect: the seed's `DatabaseConfig`. Build it from options or from a URL
 * (`DatabaseConfig.fromUrl`); `DatabaseManager` accepts either.
 *
 * @example
 * const config = new DatabaseConfig({ driver: 'postgresql', host: 'localhost', port: 5432, database: 'myapp', username: 'user', password: 'password', poolSize: 20, maxOverflow: 10 })
 */
export class DatabaseConfig {
  readonly driver: DriverName;
  readonly host: string;
  readonly port: number | undefined;
  readonly database: string;
  readonly username: string | undefined;
  /** Not enumerable, as in `pg`: `JSON.stringify`, `console.log` and loggers leave it out. */
  declare readonly password: string | undefined;
  readonly poolSize: number;
  readonly maxOverflow: number;
  readonly minConnections: number;
  readonly idleTimeout: number;
  readonly acquireTimeout: number;
  readonly connectTimeout: number;
  readonly ssl: boolean | Readonly<Record<string, unknown>> | undefined;
  readonly driverOptions: Readonly<Record<string, unknown>>;

  constructor(options: DatabaseConfigOptions) {
    if (typeof options === 'string') throw new TypeError('new DatabaseConfig() takes options ({ driver, host, … }); for a URL use DatabaseConfig.fromUrl(url)');
    this.driver = driverName(options.driver);
    this.host = options.host ?? (this.driver === 'sqlite' ? '' : 'localhost');
    this.port = options.port;
    this.database = options.database ?? (this.driver === 'sqlite' ? ':memory:' : '');
    this.username = options.username;
    Object.defineProperty(this, 'password', { value: options.password, enumerable: false });
    this.poolSize = positive('poolSize', options.poolSize, 5, false);
    this.maxOverflow = positive('maxOverflow', options.maxOverflow, 10);
    this.minConnections = positive('minConnections', options.minConnections, 0);
    this.idleTimeout = positive('idleTimeout', options.idleTimeout, 300);
    this.acquireTimeout = positive('acquireTimeout', options.acquireTimeout, 30);
    this.connectTimeout = positive('connectTimeout', options.connectTimeout, 10, false);
    this.ssl = options.ssl;
    this.driverOptions = options.driverOptions ?? {};
    if (this.minConnections > this.poolSize + this.maxOverflow) {
      throw new RangeError('DatabaseConfig.minConnections cannot exceed poolSize + maxOverflow');
    }
  }

  /**
   * Parses `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite:///:memory:`,
   * `postgresql://user:pass@host:5432/db?sslmode=require`, `mysql://user:pass@host:3306/db`.
   * `overrides` win over what the URL says.
   *
   * @example
   * DatabaseConfig.fromUrl('postgresql://app:secret@127.0.0.1:5432/app', { poolSize: 20 })
   */
  static fromUrl(url: string, overrides: Partial<DatabaseConfigOptions> = {}): DatabaseConfig {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    if (scheme === undefined) throw new TypeError('A database URL needs a scheme: sqlite:///app.db, postgresql://…, mysql://…');
    const driver = driverName(scheme.split('+')[0] ?? scheme);
    if (driver === 'sqlite') {
      const rest = url.slice(scheme.length + 1);
      // sqlite:///x.db → "x.db" (relative), sqlite:////abs/x.db → "/abs/x.db"; also sqlite::memory:
      const path = rest.startsWith('///') ? rest.slice(3) : rest.startsWith('//') ? rest.slice(2) : rest;
      const clean = path.split('?')[0] ?? '';
      return new DatabaseConfig({ driver, database: clean === '' ? ':memory:' : decodeURIComponent(clean), ...overrides });
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`Invalid database URL: ${redactUrl(url)}`);
    }
    const query = parsed.searchParams;
    const sslmode = query.get('sslmode') ?? query.get('ssl');
    const ssl =
      sslmode === null || sslmode === 'disable' || sslmode === 'false'
        ? undefined
        : sslmode === 'no-verify'
          ? { rejectUnauthorized: false }
          : true;
    const number = (key: string): number | undefined => {
      const v = query.get(key);
      return v === null ? undefined : Number(v);
    };
    const options: DatabaseConfigOptions = {
      driver,
      host: decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || 'localhost',
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
      ...(parsed.port ? { port: Number(parsed.port) } : {}),
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(ssl === undefined ? {} : { ssl }),
      ...(number('pool_size') === undefined ? {} : { poolSize: number('pool_size') as number }),
      ...(number('max_overflow') === undefined ? {} : { maxOverflow: number('max_overflow') as number }),
      ...(number('connect_timeout') === undefined ? {} : { connectTimeout: number('connect_timeout') as number }),
    };
    return new DatabaseConfig({ ...options, ...overrides });
  }

  /** The options this config was built from (defaults filled in). */
  toOptions(): DatabaseConfigOptions {
    const o = { ...this, password: this.password } as unknown as Record<string, unknown>;
    for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
    return o as unknown as DatabaseConfigOptions;
  }

  /** A copy with some options changed. */
  with(overrides: Partial<DatabaseConfigOptions>): DatabaseConfig {
    return new DatabaseConfig({ ...this.toOptions(), ...overrides });
  }

  /** Largest number of open connections (`poolSize + maxOverflow`; 1 for SQLite). */
  get maxConnections(): number {
    return this.driver === 'sqlite' ? 1 : this.poolSize + this.maxOverflow;
  }

  /** A URL for logs and errors: the password is replaced by `***`. */
  toString(): string {
    if (this.driver === 'sqlite') return `sqlite:///${this.database}`;
    const auth = this.username === undefined ? '' : `${encodeURIComponent(this.username)}${this.password === undefined ? '' : ':***'}@`;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.driver}://${auth}${host}${this.port === undefined ? '' : `:${this.port}`}/${this.database}`;
  }
}

/** A database URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}
