import { type AppLifecycleMessage, type CovetApp, kMountedApps } from '../app.js';
import { json, type Response } from '../response.js';
import { withDeadline } from '../internal/with-deadline.js';
import { RouteGroup } from '../route-group.js';
import { type HealthCheckMessage, healthCheckChannel } from './diagnostics-channels.js';
import { subscribeWeak } from './weak-subscribe.js';
import {
  databaseCheck,
  type ExecutableLike,
  type HealthCheckFunction,
  type HealthCheckResult,
  type PingableLike,
  type RedisPingLike,
  redisCheck,
} from './health-checks.js';

/** The status of a check and of the whole. */
export type HealthStatus = 'healthy' | 'unhealthy';

/** One check in a health report. */
export interface CheckReport {
  readonly status: HealthStatus;
  /** How long the check took, in milliseconds. */
  readonly latencyMs: number;
  readonly error?: string;
}

/** The body of `/health` and `/health/ready`: `{ status, checks: { name: { status, latencyMs, error? } } }`. */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: Readonly<Record<string, CheckReport>>;
}

/** Options of one check. */
export interface CheckOptions {
  /** A check slower than this counts as unhealthy. Default: the checker's `timeout`. */
  readonly timeout?: number;
  /** Also run it for `/health/live` (a check that only a restart can fix). Default `false`. */
  readonly liveness?: boolean;
}

/** Options of `HealthChecker`. */
export interface HealthCheckerOptions {
  /** Per-check timeout in milliseconds. Default 3000. */
  readonly timeout?: number;
}

/** What `/health/ready` knows about the app around it. */
export type ReadinessState = 'starting' | 'running' | 'draining';

interface RegisteredCheck {
  readonly fn: HealthCheckFunction;
  readonly timeout: number;
  readonly liveness: boolean;
}

const LIFECYCLE = 'covet:app:lifecycle';

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

const HEALTHY_WORDS = new Set(['healthy', 'ok', 'up', 'pass']);

/** A check's `error` as the body's text, whatever the check put there. */
function reportedError(error: unknown, fallback: string): string {
  if (error === undefined || error === null) return fallback;
  if (typeof error === 'string') return error;
  if (error instanceof Error) return errorText(error);
  if (typeof error === 'object') {
    try {
      return JSON.stringify(error) ?? fallback;
    } catch {
      return fallback;
    }
  }
  return String(error);
}

function interpret(raw: HealthCheckResult): { status: HealthStatus; error?: string } {
  // A check written in JavaScript may answer with the status text alone ('ok', 'down').
  const result: HealthCheckResult = typeof raw === 'string' ? ({ status: raw } as unknown as HealthCheckResult) : raw;
  if (result === false) return { status: 'unhealthy', error: 'check returned false' };
  if (result === undefined || result === null || result === true) return { status: 'healthy' };
  const status: unknown = result.status;
  if (status === 'unhealthy') return { status: 'unhealthy', error: reportedError(result.error, 'unhealthy') };
  // The words other health libraries use for "up" (`ok`, Terminus' `up`, the IETF draft's
  // `pass`) are healthy; any other status text ('degraded', 'down', a typo) fails closed: a
  // check that cannot say it is healthy must not keep a broken instance in the load balancer.
  if (typeof status === 'string' && !HEALTHY_WORDS.has(status.toLowerCase())) {
    return { status: 'unhealthy', error: reportedError(result.error, `check returned status ${JSON.stringify(status)}`) };
  }
  // A fetch `Response` (or any HTTP answer) returned as is: an error status is no success.
  if (typeof status === 'number' && status >= 400) {
    return { status: 'unhealthy', error: reportedError(result.error, `check returned HTTP status ${status}`) };
  }
  return { status: 'healthy' };
}

/** Whether `group` (an app or a group) includes `target`, however deep. */
function includes(group: RouteGroup, target: RouteGroup): boolean {
  for (const entry of group.entries) {
    if (entry.kind === 'group' && (entry.group === target || includes(entry.group, target))) return true;
  }
  // Apps mounted under this one serve their routes as its own: a checker in one follows the parent.
  const mounted = (group as { [kMountedApps]?: readonly RouteGroup[] })[kMountedApps];
  return mounted?.some((app) => app === target || includes(app, target)) === true;
}

/**
 * Named async health checks with per-check timeouts, and the routes that report them:
 * `/health` (every check), `/health/live` (the process answers) and `/health/ready` (every
 * check, and 503 while the app is starting or draining). 200 when healthy, 503 otherwise.
 *
 * @example
 * const health = new HealthChecker();
 * health.check('database', async () => { await db.execute('SELECT 1'); return { status: 'healthy' }; });
 * app.includeRouter(health.router, { prefix: '/health' });
 */
export class HealthChecker {
  readonly #checks = new Map<string, RegisteredCheck>();
  readonly #timeout: number;
  #router: RouteGroup | null = null;
  #state: ReadinessState = 'running';
  /** The last state each app serving `router` published (an app and the apps mounted in it). */
  readonly #appStates = new Map<object, ReadinessState>();
  #running: Promise<HealthReport> | null = null;

  constructor(options: HealthCheckerOptions = {}) {
    this.#timeout = options.timeout ?? 3000;
    if (!(this.#timeout > 0)) throw new RangeError('HealthChecker timeout must be a positive number of ms');
    // The app publishes its lifecycle; the weak subscription lets an unused checker be collected.
    subscribeWeak(LIFECYCLE, this, (checker, message) => checker.#onLifecycle(message as AppLifecycleMessage));
  }

  #onLifecycle({ app, state }: AppLifecycleMessage): void {
    if (this.#router === null || !includes(app, this.#router)) return;
    // A mounted app starts and stops inside its parent's startup and shutdown: ready only when
    // every app serving the routes is running, draining when any is.
    this.#appStates.set(app, state === 'starting' ? 'starting' : state === 'running' ? 'running' : 'draining');
    const states = [...this.#appStates.values()];
    this.#state = states.includes('draining') ? 'draining' : states.includes('starting') ? 'starting' : 'running';
  }

  /**
   * Adds a check (the seed's `@health.check("name")`). It is healthy when it resolves (to
   * nothing, `true`, `{ status: 'healthy' }` or an object without a `status` text), unhealthy
   * when it throws, times out, or returns `false`, `{ status: 'unhealthy', error }`, any other
   * `status` text (alone or in an object) or an HTTP error status (a `fetch` `Response`). Returns `fn`.
   */
  check<F extends HealthCheckFunction>(name: string, fn: F, options: CheckOptions = {}): F {
    if (typeof name !== 'string' || name === '') throw new TypeError('A health check needs a name');
    if (typeof fn !== 'function') throw new TypeError(`Health check ${name} needs a function`);
    const timeout = options.timeout ?? this.#timeout;
    if (!(timeout > 0)) throw new RangeError(`Health check ${name}: timeout must be a positive number of ms`);
    this.#checks.set(name, { fn, timeout, liveness: options.liveness ?? false });
    return fn;
  }

  /** Adds a database check (`ping()`, else `execute('SELECT 1')`). */
  checkDatabase(db: PingableLike | ExecutableLike, name = 'database', options: CheckOptions = {}): this {
    this.check(name, databaseCheck(db), options);
    return this;
  }

  /** Adds a Redis check (`PING` → `PONG`). */
  checkRedis(client: RedisPingLike, name = 'redis', options: CheckOptions = {}): this {
    this.check(name, redisCheck(client), options);
    return this;
  }

  /**
   * Adds a check for each database of `app.addDatabase` that can be pinged: `database`, or
   * `database`, `database_2`, … when there are several.
   */
  checkAppDatabases(app: CovetApp, options: CheckOptions = {}): this {
    const dbs = app.databases.filter((db): db is typeof db & PingableLike => typeof db.ping === 'function');
    dbs.forEach((db, i) => {
      this.check(i === 0 ? 'database' : `database_${i + 1}`, databaseCheck(db), options);
    });
    return this;
  }

  /** Removes a check. */
  remove(name: string): boolean {
    return this.#checks.delete(name);
  }

  /** The names of the checks, in order. */
  get names(): readonly string[] {
    return [...this.#checks.keys()];
  }

  /** `starting`, `running` or `draining`, as the app including `health.router` published it. */
  get state(): ReadinessState {
    return this.#state;
  }

  /** Overrides the readiness state (e.g. `starting` until a cache is warm). */
  setState(state: ReadinessState): void {
    this.#state = state;
  }

  async #runOne(check: RegisteredCheck): Promise<CheckReport> {
    const start = performance.now();
    let outcome: { status: HealthStatus; error?: string };
    try {
      const result = await withDeadline(Promise.resolve().then(check.fn), check.timeout, () => new Error(`timed out after ${check.timeout} ms`));
      outcome = interpret(result);
    } catch (err) {
      outcome = { status: 'unhealthy', error: errorText(err) };
    }
    const latencyMs = Math.round((performance.now() - start) * 100) / 100;
    return outcome.error === undefined
      ? { status: outcome.status, latencyMs }
      : { status: outcome.status, latencyMs, error: outcome.error };
  }

  async #runAll(filter: (c: RegisteredCheck) => boolean): Promise<HealthReport> {
    const entries = [...this.#checks].filter(([, c]) => filter(c));
    const reports = await Promise.all(entries.map(([, c]) => this.#runOne(c)));
    // Defined, not assigned: a check named `__proto__` is a key of the body like any other.
    const checks: Record<string, CheckReport> = {};
    entries.forEach(([name], i) => {
      Object.defineProperty(checks, name, { value: reports[i], enumerable: true, writable: true, configurable: true });
      if (healthCheckChannel.hasSubscribers) {
        const message: HealthCheckMessage = { name, ...(reports[i] as CheckReport) };
        healthCheckChannel.publish(message);
      }
    });
    return { status: reports.every((r) => r.status === 'healthy') ? 'healthy' : 'unhealthy', checks };
  }

  /** Runs every check concurrently (concurrent callers share one run). */
  run(): Promise<HealthReport> {
    this.#running ??= this.#runAll(() => true).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Runs the liveness checks only. */
  live(): Promise<HealthReport> {
    return this.#runAll((c) => c.liveness);
  }

  /** The readiness report: every check, unhealthy while starting or draining. */
  async ready(): Promise<HealthReport> {
    const state = this.#state;
    const report = await this.run();
    if (state === 'running') return report;
    return { status: 'unhealthy', checks: { ...report.checks, lifecycle: { status: 'unhealthy', latencyMs: 0, error: state } } };
  }

  /**
   * The routes, for `app.includeRouter(health.router, { prefix: '/health' })`: `GET /` (the
   * prefix itself), `/live` and `/ready`.
   */
  get router(): RouteGroup {
    if (this.#router !== null) return this.#router;
    const router = new RouteGroup();
    const send = (report: HealthReport): Response => json(report, report.status === 'healthy' ? 200 : 503, { 'cache-control': 'no-store' });
    router.get('/', { tags: ['health'] }, async () => send(await this.run()));
    router.get('/live', { tags: ['health'] }, async () => send(await this.live()));
    router.get('/ready', { tags: ['health'] }, async () => send(await this.ready()));
    this.#router = router;
    return router;
  }
}
