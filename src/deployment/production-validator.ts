import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { CovetApp } from '../app.js';
import { PerformanceTest } from '../testing/performance-test.js';
import { TestClient } from '../testing/test-client.js';

/** The result of one check (the seed's `{"status": ..., "message": ...}`). */
export interface CheckResult {
  readonly status: 'pass' | 'fail';
  readonly message: string;
}

/** Options of `ProductionValidator`; every check reads what it needs, with environment defaults. */
export interface ProductionValidatorOptions {
  /** The app to check (security, performance, monitoring; its databases for connectivity). */
  readonly app?: CovetApp;
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default `$DATABASE_URL`. */
  readonly databaseUrl?: string;
  /** Default `$REDIS_URL`. */
  readonly redisUrl?: string;
  /** Network timeout of each connectivity check. Default 3000 ms. */
  readonly timeoutMs?: number;
  readonly performance?: {
    readonly path?: string;
    readonly concurrentUsers?: number;
    readonly requestsPerUser?: number;
    /** Default 100 ms (the seed's requirement). */
    readonly maxAvgResponseTime?: number;
    /** Default 0.01. */
    readonly maxErrorRate?: number;
  };
  /** Where backups land and how old the newest may be. Default `$BACKUP_DIR`, 24 hours. */
  readonly backup?: { readonly directory?: string; readonly maxAgeHours?: number };
}

const pass = (message: string): CheckResult => ({ status: 'pass', message });
const fail = (message: string): CheckResult => ({ status: 'fail', message });

function describeError(err: unknown): string {
  return err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
}

/** `promise`, or a rejection with `message` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens a TCP connection, optionally sends `send` and reads until `complete(data)` says the
 * answer is whole (a reply may arrive over several packets), and closes it.
 */
function tcp(host: string, port: number, timeoutMs: number, send?: string, complete?: (data: string) => boolean): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (err?: Error): void => {
      socket.destroy();
      if (err) reject(err);
      else resolvePromise(data);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`timed out after ${timeoutMs} ms`)));
    socket.on('error', (err) => done(err));
    socket.on('connect', () => {
      if (send === undefined) done();
      else socket.write(send);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (complete === undefined || complete(data)) done();
    });
    // A server that answers and hangs up (Redis's protected-mode -DENIED) has said all it will.
    socket.on('end', () => done());
  });
}

function redactUrl(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname === '/' ? '' : url.pathname}`;
}

const DEFAULT_PORTS: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'mysql:': 3306, 'mariadb:': 3306, 'redis:': 6379, 'rediss:': 6380 };

/**
 * Pre-deployment checks from the seed's checklist: database, Redis, security configuration,
 * performance requirements, monitoring and backups. Each resolves `{ status, message }`;
 * `validate()` runs them all.
 *
 * @example
 * const validator = new ProductionValidator({ app });
 * const { ok, results } = await validator.validate();
 * for (const r of results) console.log(`${r.status === 'pass' ? '✅' : '❌'} ${r.name}: ${r.message}`);
 */
export class ProductionValidator {
  readonly #o: ProductionValidatorOptions;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: ProductionValidatorOptions = {}) {
    this.#o = options;
    this.#env = options.env ?? process.env;
  }

  get #timeout(): number {
    return this.#o.timeoutMs ?? 3000;
  }

  /** The app's databases answer a ping, or `DATABASE_URL`'s server accepts connections. */
  async checkDatabaseConnectivity(): Promise<CheckResult> {
    const dbs = this.#o.app?.databases ?? [];
    if (dbs.length > 0) {
      try {
        // Bounded like the URL check: a server that accepts and never answers would hang here.
        const pingAll = async (): Promise<void> => {
          for (const db of dbs) {
            await db.connect();
            await db.ping?.();
          }
        };
        await withTimeout(pingAll(), this.#timeout, 'no answer to a ping');
        return pass(`${dbs.length} database(s) connected and answered a ping`);
      } catch (err) {
        return fail(`database unreachable: ${describeError(err)}`);
      }
    }
    const raw = this.#o.databaseUrl ?? this.#env.DATABASE_URL;
    if (!raw) return fail('DATABASE_URL is not set');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail('DATABASE_URL is not a valid URL');
    }
    if (url.protocol === 'sqlite:') {
      // sqlite:///relative.db, sqlite:////absolute/path.db (the path after the third slash).
      const file = decodeURIComponent(url.pathname.slice(1));
      if (file === ':memory:') return fail('DATABASE_URL is an in-memory SQLite database: data is lost on restart');
      const dir = dirname(resolve(file));
      return existsSync(dir) ? pass(`SQLite database at ${file}`) : fail(`SQLite directory ${dir} does not exist`);
    }
    const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
    if (port === undefined) return fail(`unsupported database scheme ${url.protocol}`);
    try {
      await tcp(url.hostname, port, this.#timeout);
    } catch (err) {
      return fail(`database server ${redactUrl(url)} unreachable: ${describeError(err)}`);
    }
    // Accepting connections is not enough: log in with the URL's credentials and run a query.
    const { DatabaseManager } = await import('../database/database-manager.js');
    const db = new DatabaseManager(raw);
    try {
      await withTimeout(db.ping(), this.#timeout, 'no answer to SELECT 1');
      return pass(`database ${redactUrl(url)} accepted the credentials and answered a query`);
    } catch (err) {
      // Without the driver package the login cannot be tried here: the TCP check is all there is.
      if ((err as { code?: unknown }).code === 'ERR_MISSING_DEPENDENCY')
        return pass(`database server ${redactUrl(url)} accepts connections (credentials not checked: ${describeError(err)})`);
      return fail(`database ${redactUrl(url)} refused or failed: ${describeError(err)}`);
    } finally {
      await db.close().catch(() => {});
    }
  }

  /** `REDIS_URL`'s server answers `PING` (after `AUTH` when the URL has a password). */
  async checkRedisConnectivity(): Promise<CheckResult> {
    const raw = this.#o.redisUrl ?? this.#env.REDIS_URL;
    if (!raw) return fail('REDIS_URL is not set');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail('REDIS_URL is not a valid URL');
    }
    if (url.protocol !== 'redis:') return fail(`REDIS_URL scheme ${url.protocol} is not checked (use redis://)`);
    const port = Number(url.port) || 6379;
    const password = decodeURIComponent(url.password);
    const user = decodeURIComponent(url.username);
    const cmd = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const auth = password ? (user ? cmd('AUTH', user, password) : cmd('AUTH', password)) : '';
    // One line per command (`+OK`, `+PONG` or `-ERR …`): wait for all of them, which may come
    // in separate packets, and judge by PING's.
    const replies = password ? 2 : 1;
    const lines = (data: string): string[] => data.split('\r\n').slice(0, -1);
    try {
      const reply = await tcp(url.hostname, port, this.#timeout, `${auth}${cmd('PING')}`, (data) => lines(data).length >= replies);
      if (lines(reply)[replies - 1] === '+PONG') return pass(`Redis at ${redactUrl(url)} answered PING`);
      return fail(`Redis at ${redactUrl(url)} refused: ${reply.trim().split('\r\n').find((l) => l.startsWith('-'))?.slice(1) ?? reply.trim()}`);
    } catch (err) {
      return fail(`Redis at ${redactUrl(url)} unreachable: ${describeError(err)}`);
    }
  }

  /** No high or critical `covet security-scan` finding (the app), or a strong `SECRET_KEY` and debug off. */
  async checkSecurityConfiguration(): Promise<CheckResult> {
    const { scanApp, weakSecretReason } = await import('../cli/security-scan.js');
    if (this.#o.app === undefined) {
      const secret = this.#env.SECRET_KEY;
      if (!secret) return fail('SECRET_KEY is not set');
      const reason = weakSecretReason(secret);
      if (reason) return fail(`SECRET_KEY is ${reason}`);
      if (/^(1|true|yes|on)$/i.test(this.#env.DEBUG ?? '')) return fail('DEBUG is on');
      return pass('SECRET_KEY is strong and DEBUG is off');
    }
    const findings = await scanApp(this.#o.app, { audit: false });
    const serious = findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    if (serious.length > 0) return fail(`${serious.length} high/critical finding(s): ${serious.map((f) => `${f.title} (${f.message})`).join('; ')}`);
    return pass(`no high or critical findings (${findings.length} lower)`);
  }

  /** A short load test of the app meets the response-time and error-rate requirements. */
  async checkPerformanceRequirements(): Promise<CheckResult> {
    if (this.#o.app === undefined) return fail('no app given to load test: new ProductionValidator({ app })');
    const p = this.#o.performance ?? {};
    const maxAvg = p.maxAvgResponseTime ?? 100;
    const maxErrors = p.maxErrorRate ?? 0.01;
    try {
      const path = p.path ?? '/';
      const r = await new PerformanceTest(this.#o.app).loadTest(path, {
        concurrentUsers: p.concurrentUsers ?? 10,
        requestsPerUser: p.requestsPerUser ?? 10,
      });
      const avgMs = r.avgResponseTime * 1000;
      // Which answers counted as errors (a missing route is a 404 on every request), so the
      // message says what to fix: the route, or the `performance.path` to test.
      const errors = Object.entries(r.statusCodes)
        .filter(([status]) => Number(status) === 0 || Number(status) >= 400)
        .map(([status, n]) => `${status === '0' ? 'no response' : status} ×${n}`);
      const summary = `GET ${path}: avg ${avgMs.toFixed(1)} ms, p99 ${(r.p99 * 1000).toFixed(1)} ms, ${r.requestsPerSecond.toFixed(0)} req/s, ${(r.errorRate * 100).toFixed(1)}% errors${errors.length > 0 ? ` (${errors.join(', ')})` : ''}`;
      if (avgMs > maxAvg) return fail(`${summary}: average above ${maxAvg} ms`);
      if (r.errorRate > maxErrors) return fail(`${summary}: error rate above ${maxErrors * 100}%`);
      return pass(summary);
    } catch (err) {
      return fail(`load test failed: ${describeError(err)}`);
    }
  }

  /** Liveness and readiness endpoints answer 200, and metrics are served. */
  async checkMonitoringSetup(): Promise<CheckResult> {
    const app = this.#o.app;
    if (app === undefined) return fail('no app given to check: new ProductionValidator({ app })');
    // Probed as an orchestrator would, on the started app (startup hooks run, databases
    // connected): readiness answers 503 while an app is starting or after it stopped, e.g.
    // after the performance check's run.
    const client = new TestClient(app);
    const status = async (url: string): Promise<number | string> => {
      try {
        return (await client.get(url)).status;
      } catch (err) {
        return `error (${describeError(err)})`;
      }
    };
    let live: number | string;
    let ready: number | string;
    let metrics: number | string;
    try {
      live = await status('/health/live');
      ready = await status('/health/ready');
      metrics = await status('/metrics');
    } finally {
      await client.close().catch(() => {});
    }
    const missing: string[] = [];
    if (live !== 200) missing.push(`GET /health/live → ${live}`);
    if (ready !== 200) missing.push(`GET /health/ready → ${ready}`);
    if (metrics === 404) missing.push('GET /metrics → 404 (no metrics)');
    if (missing.length > 0) return fail(missing.join(', '));
    return pass(`health probes answer 200; /metrics ${metrics === 200 ? 'served' : `answers ${metrics} (protected)`}`);
  }

  /** The backup directory (`BACKUP_DIR`) holds a backup newer than `maxAgeHours`. */
  async checkBackupConfiguration(): Promise<CheckResult> {
    const directory = this.#o.backup?.directory ?? this.#env.BACKUP_DIR;
    const maxAgeHours = this.#o.backup?.maxAgeHours ?? 24;
    if (!directory) return fail('no backup directory configured (BACKUP_DIR)');
    if (!existsSync(directory)) return fail(`backup directory ${directory} does not exist`);
    let newest = 0;
    let names: string[];
    try {
      names = readdirSync(directory);
    } catch (err) {
      return fail(`backup directory ${directory} cannot be read: ${describeError(err)}`);
    }
    for (const name of names) {
      // A dangling symlink or an entry removed meanwhile is not a backup.
      const st = statSync(join(directory, name), { throwIfNoEntry: false });
      if (st?.isFile()) newest = Math.max(newest, st.mtimeMs);
    }
    if (newest === 0) return fail(`no backups in ${directory}`);
    const ageHours = (Date.now() - newest) / 3_600_000;
    if (ageHours > maxAgeHours) return fail(`newest backup in ${directory} is ${ageHours.toFixed(1)} h old (limit ${maxAgeHours} h)`);
    return pass(`newest backup in ${directory} is ${ageHours.toFixed(1)} h old`);
  }

  /** Runs every check; `ok` when all pass. */
  async validate(): Promise<{ ok: boolean; results: (CheckResult & { name: string })[] }> {
    const names = ['Database', 'Redis', 'Security', 'Performance', 'Monitoring', 'Backup'] as const;
    const all = await Promise.all([
      this.checkDatabaseConnectivity(),
      this.checkRedisConnectivity(),
      this.checkSecurityConfiguration(),
      this.checkPerformanceRequirements(),
      this.checkMonitoringSetup(),
      this.checkBackupConfiguration(),
    ]);
    const results = all.map((r, i) => ({ name: names[i] ?? '', ...r }));
    return { ok: results.every((r) => r.status === 'pass'), results };
  }
}
