import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { setOwn } from './internal/own-field.js';

/** A setting is missing or malformed; the message names the variable (or the `.env` line). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const MASK = '********';

/**
 * A value that must not be printed: `String(s)`, `JSON.stringify` and `console.log` show
 * `********`; `reveal()` returns the value.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }
}

/** Keys whose values are masked when a `Config` is printed. */
export const SECRET_KEY_PATTERN = /secret|password|passwd|pwd|token|api_?key|private|credential|signing/i;

/** `value` with the password of a URL (`postgres://user:pass@host`) masked. */
function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+@/i, `$1${MASK}@`);
}

/** A bad value quoted for an error message — unless its key names a secret (never shown). */
function shown(key: string, raw: string): string {
  const value = maskValue(key, raw);
  return value === raw ? `"${raw}"` : String(value);
}

/** The value as it may be shown: secrets and secret-looking keys masked. */
export function maskValue(key: string, value: unknown): unknown {
  if (value instanceof Secret) return MASK;
  if (value === undefined || value === null || value === '') return value;
  if (SECRET_KEY_PATTERN.test(key)) return MASK;
  if (typeof value === 'string') return maskUrlPassword(value);
  return value;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** Where `parseDotEnv` resolves `${NAME}` references besides the file's own earlier keys. */
export interface DotEnvVariables {
  /** Consulted before the file's keys: the real environment, when it wins over the file. */
  readonly before?: Readonly<Record<string, string | undefined>>;
  /** Consulted after the file's keys: earlier files. Default `process.env` when neither is given. */
  readonly after?: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses the text of a `.env` file as dotenv does: `KEY=value` lines, `#` comments, blank lines,
 * an optional `export ` prefix, single quotes (literal), backquotes (literal but for `${VAR}`),
 * double quotes (`\n` escapes) — each may span lines — and `${VAR}` references to earlier keys
 * (then `process.env`, unless `variables` says otherwise); `\$` is a literal `$`.
 * Throws `ConfigError` naming the file and line.
 */
export function parseDotEnv(text: string, source = '.env', variables?: DotEnvVariables): Record<string, string> {
  const before = variables?.before;
  const after = variables === undefined ? process.env : variables.after;
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      // Only the first word: the rest of a broken line may be a secret (`API_KEY: abc…`).
      const word = /^[^\s:=]{1,40}/.exec(line)?.[0] ?? '';
      throw new ConfigError(`${source}:${lineNo}: expected KEY=value, got "${word}${word.length < line.length ? '…' : ''}"`);
    }
    const key = m[1] ?? '';
    let value = m[2] ?? '';
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // Find the closing quote, across lines.
      let body = value.slice(1);
      let end = findClosing(body, quote);
      while (end < 0 && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i] ?? ''}`;
        end = findClosing(body, quote);
      }
      if (end < 0) throw new ConfigError(`${source}:${lineNo}: unterminated ${quote} quote in the value of ${key}`);
      const rest = body.slice(end + 1).trim();
      if (rest !== '' && !rest.startsWith('#')) throw new ConfigError(`${source}:${lineNo}: unexpected text after the quoted value of ${key}`);
      value = body.slice(0, end);
      if (quote === '"') value = value.replace(/\\([nrt"\\])/g, (_, c: string) => ESCAPES[c] ?? c);
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    if (quote !== "'") {
      value = value.replace(/\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string | undefined) =>
        name === undefined ? '$' : (before?.[name] ?? (Object.hasOwn(out, name) ? out[name] : undefined) ?? after?.[name] ?? ''),
      );
    }
    setOwn(out, key, value);
  }
  return out;
}

function findClosing(body: string, quote: string): number {
  for (let j = 0; j < body.length; j++) {
    if (body[j] === '\\' && quote === '"') {
      j++;
      continue;
    }
    if (body[j] === quote) return j;
  }
  return -1;
}

/** Options of `loadDotEnv` and `Config.load`. */
export interface DotEnvOptions {
  /** The environment to fill. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Replace variables that are already set. Default `false`: the real environment wins. */
  readonly override?: boolean;
}

/**
 * Reads a `.env` file (a missing file is no error) and copies its values into `env`, not
 * replacing variables that are set. Returns the parsed values.
 */
export function loadDotEnv(path = '.env', options: DotEnvOptions = {}): Record<string, string> {
  const file = resolve(path);
  if (!existsSync(file)) return {};
  const env = options.env ?? process.env;
  // `${NAME}` means the value NAME ends up with: the environment's, unless the file overrides it.
  const values = parseDotEnv(readFileSync(file, 'utf8'), path, options.override ? { after: env } : { before: env });
  for (const [k, v] of Object.entries(values)) if (options.override || env[k] === undefined) env[k] = v;
  return values;
}

// While `Config.load` constructs a config, field helpers read this environment and collect
// every missing variable instead of failing at the first.
let activeEnv: NodeJS.ProcessEnv | undefined;
let missing: string[] | undefined;

function lookup(name: string): string | undefined {
  const value = (activeEnv ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

function requireValue<T>(name: string, hint: string): T {
  if (missing !== undefined) {
    missing.push(name);
    return undefined as T;
  }
  throw new ConfigError(`${name} is required${hint}: set it in the environment or in .env`);
}

function convert<T>(name: string, fallback: T | undefined, hint: string, parse: (raw: string) => T): T {
  const raw = lookup(name);
  if (raw === undefined) return fallback === undefined ? requireValue<T>(name, hint) : fallback;
  return parse(raw);
}

/**
 * Typed fields from environment variables, for `Config` subclasses. Without a fallback a value
 * is required: construction fails with a `ConfigError` naming the variable.
 *
 * @example
 * class ProductionConfig extends Config {
 *   DATABASE_URL = env.string('DATABASE_URL');
 *   PORT = env.number('PORT', 8000);
 *   DEBUG = env.boolean('DEBUG', false);
 *   SECRET_KEY = env.secret('SECRET_KEY');
 * }
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export const env = {
  string(name: string, fallback?: string): string {
    return convert(name, fallback, '', (raw) => raw);
  },
  number(name: string, fallback?: number): number {
    return convert(name, fallback, ' (a number)', (raw) => {
      // Decimal only: `Number` would also read "0x1F90" as 8080 and "" as 0.
      const n = DECIMAL.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got ${shown(name, raw)}`);
      return n;
    });
  },
  integer(name: string, fallback?: number): number {
    const n = env.number(name, fallback);
    if (n !== undefined && !Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got ${shown(name, lookup(name) ?? '')}`);
    // Past 2^53 a number is no longer exact: "9007199254740993" would silently read as …992.
    if (n !== undefined && !Number.isSafeInteger(n)) {
      throw new ConfigError(`${name} must be an integer between -9007199254740991 and 9007199254740991, got ${shown(name, lookup(name) ?? '')}`);
    }
    return n;
  },
  boolean(name: string, fallback?: boolean): boolean {
    return convert(name, fallback, ' (true or false)', (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(`${name} must be true or false (1/0, yes/no, on/off), got ${shown(name, raw)}`);
    });
  },
  /** A comma-separated list (`a, b ,c` → `['a', 'b', 'c']`). */
  list(name: string, fallback?: readonly string[]): string[] {
    return convert(name, fallback === undefined ? undefined : [...fallback], '', (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  },
  /** One of `choices`. */
  oneOf<const T extends string>(name: string, choices: readonly T[], fallback?: T): T {
    return convert(name, fallback, ` (one of ${choices.join(', ')})`, (raw) => {
      if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${shown(name, raw)}`);
      return raw as T;
    });
  },
  /** A value that is never printed (see `Secret`). */
  secret(name: string, fallback?: string): Secret {
    return convert(name, fallback === undefined ? undefined : new Secret(fallback), '', (raw) => new Secret(raw));
  },
};

/** Options of `Config.load`. */
export interface ConfigLoadOptions {
  /**
   * `.env` files to read, later ones winning; missing files are skipped. Default `.env` and
   * `.env.<NODE_ENV>`. The real environment wins over every file.
   */
  readonly files?: readonly string[];
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Application settings. Subclass it with fields (the seed's `class ProductionConfig(Config)`),
 * typed from the environment with `env.*`, or build one from a record; read values with `get`.
 * Printing a config (`console.log`, `JSON.stringify`) masks secrets.
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

  /** The settings with secrets masked, safe to log. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (typeof v !== 'function') out[k] = maskValue(k, v);
    return out;
  }

  [inspect.custom](): string {
    return `${this.constructor.name} ${inspect(this.toJSON())}`;
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

  /**
   * Builds a config class from the environment plus `.env` files, failing fast with one
   * `ConfigError` that names every missing variable.
   *
   * @example
   * const config = Config.load(ProductionConfig); // reads .env and .env.production
   */
  static load<C extends Config>(cls: new () => C, options: ConfigLoadOptions = {}): C {
    const base = options.env ?? process.env;
    const files = options.files ?? ['.env', `.env.${base.NODE_ENV ?? 'development'}`];
    const merged: NodeJS.ProcessEnv = {};
    for (const file of files) {
      const path = resolve(file);
      // `${NAME}` means the value NAME ends up with: the environment's, else the latest file's.
      if (existsSync(path)) Object.assign(merged, parseDotEnv(readFileSync(path, 'utf8'), file, { before: base, after: merged }));
    }
    for (const [k, v] of Object.entries(base)) if (v !== undefined) merged[k] = v;
    const saved = [activeEnv, missing] as const;
    activeEnv = merged;
    missing = [];
    try {
      const config = new cls();
      if (missing.length > 0) {
        const names = [...new Set(missing)];
        throw new ConfigError(
          `${cls.name}: missing required setting${names.length === 1 ? '' : 's'} ${names.join(', ')}: set ${names.length === 1 ? 'it' : 'them'} in the environment or in .env`,
        );
      }
      return config;
    } finally {
      [activeEnv, missing] = saved;
    }
  }

  /**
   * Picks the config class for an environment name (default `NODE_ENV`, else `development`)
   * and loads it, as the seed's per-environment subclasses.
   *
   * @example
   * const config = Config.forEnvironment({ development: DevConfig, production: ProductionConfig });
   */
  static forEnvironment<C extends Config>(
    classes: Readonly<Record<string, new () => C>>,
    options: ConfigLoadOptions & { readonly environment?: string } = {},
  ): C {
    const name = options.environment ?? (options.env ?? process.env).NODE_ENV ?? 'development';
    const cls = classes[name];
    if (cls === undefined) throw new ConfigError(`no config for environment "${name}" (known: ${Object.keys(classes).join(', ')})`);
    return Config.load(cls, options);
  }
}
