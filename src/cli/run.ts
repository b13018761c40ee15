import cluster, { type Worker } from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CovetApp, closeOnceStarted, kShutdownTimeout } from '../app.js';
import { supportsReusePort } from '../http/server.js';
import { ClusterMetricsAggregator } from '../monitoring/cluster-metrics.js';
import { type TreeWatcher, watchTree } from './watch-tree.js';

/** Exit codes of the `covet` command, for scripts. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  moduleNotFound: 3,
  moduleUnloadable: 4,
  portInUse: 5,
  crashLoop: 6,
  config: 7,
} as const;

/** An error the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
    this.name = 'CliError';
  }
}

/** Splits `path/to/module[:export]` into the file and the export name. */
export function splitRef(ref: string): { file: string; name: string | undefined } {
  const colon = ref.lastIndexOf(':');
  const hasExport = colon > 1; // keep Windows drive letters and plain paths intact
  return { file: withExtension(hasExport ? ref.slice(0, colon) : ref), name: hasExport ? ref.slice(colon + 1) : undefined };
}

/** Extensions tried, in order, for a module named without one (`covet run main:app`, as uvicorn users write it). */
const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** `file` as given when it exists or has an extension; else the first `file.<ext>` that exists. */
function withExtension(file: string): string {
  if (extname(file) !== '' || existsSync(file)) return file;
  return MODULE_EXTENSIONS.map((ext) => file + ext).find((candidate) => existsSync(candidate)) ?? file;
}

/**
 * Makes `import()` of `.ts` files work: registers tsx when it is installed, else leaves them to
 * Node where it strips types itself (22.18+, 24), else (Node 20) explains how to start with a
 * loader. `args` is the command line to show in that explanation (after `covet`).
 */
export async function ensureTypeScriptLoader(file: string, args = process.argv.slice(2).join(' ') || `run ${file}`): Promise<void> {
  if (!/\.[cm]?tsx?$/.test(file)) return;
  if (process.execArgv.some((a) => a.includes('tsx')) || (globalThis as { __covetTsx?: boolean }).__covetTsx) return;
  try {
    // Both of tsx's hooks, as `node --import tsx` does: in a package without `"type": "module"`
    // a `.ts` file is CommonJS, and the ESM hook alone cannot load it.
    for (const api of [await importTsxApi('esm'), await importTsxApi('cjs')]) (api as { register(): unknown }).register();
    (globalThis as { __covetTsx?: boolean }).__covetTsx = true;
  } catch {
    // Node 22.18+ and 24 strip types themselves (as `node app.ts` does): the module is imported as is.
    if ((process.features as { typescript?: string | false }).typescript) return;
    throw new CliError(
      `${file} is TypeScript and tsx is not installed: npm install -D tsx, or start with node --import tsx $(which covet) ${args}`,
      ExitCode.moduleUnloadable,
    );
  }
}

/** tsx's ESM or CommonJS API, found from the project (the current directory) first, then from Covet. */
async function importTsxApi(kind: 'esm' | 'cjs'): Promise<unknown> {
  const specifier = `tsx/${kind}/api`;
  try {
    const cjs = createRequire(join(process.cwd(), 'covet-cli.js')).resolve(specifier);
    const mjs = cjs.replace(/\.cjs$/, '.mjs');
    return await import(pathToFileURL(existsSync(mjs) ? mjs : cjs).href);
  } catch {
    return import(specifier);
  }
}

export interface RunOptions {
  readonly ref: string;
  readonly host: string;
  readonly port: number;
  /** 0: serve in this process; otherwise the number of cluster workers. */
  readonly workers: number;
  readonly reload: boolean;
  /** Each worker listens on the port itself (`SO_REUSEPORT`), the kernel spreading connections. */
  readonly reusePort?: boolean;
  readonly load: (ref: string) => Promise<CovetApp>;
  /** Crash-loop detection: more than `maxRestarts` crashes within `restartWindowMs` gives up. */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
}

// Last, the build of `covet new`'s app.ts: what an image that ships only `dist/` holds.
const DEFAULT_MODULES = ['./app.ts', './app.js', './src/app.ts', './src/app.js', './dist/app.js'];

/** The app module when none is named: the first of the usual places that exists (`covet new` writes app.ts). */
export function defaultModule(): string {
  return DEFAULT_MODULES.find((file) => existsSync(file)) ?? './app.js';
}

/**
 * The CPUs this process may really use: the cores it can run on, capped by a cgroup v2 CPU
 * quota (a container's or pod's CPU limit, `cpu.max`), which Node 20's count ignores.
 */
export function usableCpus(): number {
  let cpuMax = 'max';
  try {
    cpuMax = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    // No cgroup v2 CPU controller here (not Linux, or cgroup v1): the core count stands.
  }
  return cpusWithin(availableParallelism(), cpuMax);
}

/** `cores` capped by a cgroup v2 `cpu.max` ("QUOTA PERIOD", or "max PERIOD" for no limit), rounded up. */
export function cpusWithin(cores: number, cpuMax: string): number {
  const [quota = 'max', period = '100000'] = cpuMax.trim().split(/\s+/);
  const limit = Number(quota) / Number(period);
  if (quota === 'max' || !Number.isFinite(limit) || limit <= 0) return cores;
  return Math.max(1, Math.min(cores, Math.ceil(limit)));
}

/**
 * The port of `covet run`: `--port`, else `$PORT`, else 8000. An empty `PORT` (`PORT=` in an env
 * file) counts as unset, as `env.integer()` in a `Config` reads it; anything else that is not an
 * integer 0-65535 is bad usage.
 */
export function parsePort(flag: string | undefined, envPort: string | undefined): number {
  const text = flag ?? (envPort === '' ? undefined : envPort) ?? '8000';
  const port = Number(text);
  if (text === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    const source = flag === undefined ? 'PORT (from the environment)' : '--port';
    throw new CliError(`${source} must be an integer 0-65535, got ${text}`, ExitCode.usage);
  }
  return port;
}

/**
 * For a command whose stdout is a report for programs (`--json`, SARIF on stdout): until
 * `restore()`, everything else written to stdout — the app's logs (its default logger is
 * `console`), `app.listen() skipped: …`, the module's own prints, handlers' logs while the
 * command exercises the app — goes to stderr, so `covet routes --json | jq` parses. `report`
 * writes to stdout itself. With `active` false both just pass through.
 */
export function reserveStdout(active: boolean): { report(text: string): void; restore(): void } {
  const stdout = process.stdout;
  if (!active) return { report: (text) => void stdout.write(text), restore: () => {} };
  const own = Object.hasOwn(stdout, 'write') ? stdout.write : undefined;
  const write = stdout.write.bind(stdout);
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  return {
    report: (text) => void write(text),
    restore: () => {
      if (own === undefined) delete (stdout as { write?: unknown }).write;
      else stdout.write = own;
    },
  };
}

/** The number of workers `--workers` asks for: a count, or `auto` for one per usable CPU. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 0;
  if (value === 'auto') return usableCpus();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new CliError(`--workers must be a positive integer or "auto", got ${value}`, ExitCode.usage);
  return n;
}

type WorkerMessage = { covet: 'listening'; url: string; shutdownTimeout?: number } | { covet: 'fatal'; message: string; code: number };

/** How long the primary waits for stopping workers before killing them, beyond their drain (shutdown hooks). */
const STOP_GRACE_MS = 20_000;

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Starts the app in this process (single-process mode, or as a cluster worker). */
async function serve(opts: RunOptions): Promise<void> {
  const send = (msg: WorkerMessage): void => {
    if (cluster.isWorker && process.send) process.send(msg);
  };
  let app: CovetApp;
  try {
    app = await opts.load(opts.ref);
  } catch (err) {
    const e = toCliError(err);
    send({ covet: 'fatal', message: e.message, code: e.exitCode });
    throw e;
  }
  try {
    const listen = { host: opts.host, port: opts.port, ...(opts.reusePort === true ? { reusePort: true } : {}) };
    if (!cluster.isWorker) {
      await app.run(listen);
      return;
    }
    // A worker says nothing itself: the primary prints one listening line for all of them.
    const started = app.listen(listen);
    stopOnSigterm(app, started);
    const info = await started;
    // An app from an older copy of the package has no such property: the primary's default stands.
    const shutdownTimeout = (app as Partial<Record<typeof kShutdownTimeout, number>>)[kShutdownTimeout];
    send({ covet: 'listening', url: info.url, ...(typeof shutdownTimeout === 'number' ? { shutdownTimeout } : {}) });
  } catch (err) {
    const e =
      (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? new CliError(`port ${opts.port} on ${opts.host} is already in use`, ExitCode.portInUse)
        : toCliError(err);
    send({ covet: 'fatal', message: e.message, code: e.exitCode });
    throw e;
  }
}

/**
 * A worker's SIGTERM: drain, run the shutdown hooks, exit 0. A repeated SIGTERM is ignored: a
 * stop signalled to the whole process group (systemd's default, `timeout`, `kill -- -PGID`)
 * reaches the worker directly and again through the primary, and must not cut its drain. The
 * primary force-stops its workers when asked twice (a second Ctrl-C) or after its deadline.
 */
function stopOnSigterm(app: CovetApp, started: Promise<unknown>): void {
  // Ctrl-C reaches the whole process group: workers wait for the primary's SIGTERM instead,
  // so that one signal means one graceful drain.
  process.on('SIGINT', () => {});
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    closeOnceStarted(app, started).then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error('shutdown failed', { error: err });
        process.exit(1);
      },
    );
  });
}

function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  return new CliError(err instanceof Error ? err.message : String(err), ExitCode.error);
}

/**
 * `covet run`: serves in this process, or supervises `workers` cluster workers (restart with
 * backoff, crash-loop detection, graceful SIGTERM, `--reload` on file changes).
 * Resolves with an exit code, or `-1` while the server keeps running.
 */
export async function runCommand(opts: RunOptions): Promise<number> {
  const { file } = splitRef(opts.ref);
  if (cluster.isWorker) {
    await serve(opts);
    return -1;
  }
  if (opts.reusePort === true) {
    if (!supportsReusePort()) throw new CliError(`--reuse-port needs Node 22.12 or later (this is Node ${process.versions.node})`, ExitCode.usage);
    // Every worker would pick a port of its own.
    if (opts.port === 0) throw new CliError('--reuse-port needs a fixed --port (not 0)', ExitCode.usage);
  }
  if (!existsSync(file)) throw new CliError(`app module not found: ${file}`, ExitCode.moduleNotFound);
  if (opts.workers === 0 && !opts.reload) {
    await serve(opts);
    return -1;
  }
  return supervise(opts, opts.workers === 0 ? 1 : opts.workers);
}

/**
 * `COVET_MAX_RESTARTS`: crashes tolerated within the window (default 5; empty counts as unset).
 * A value that is not a non-negative integer would disable crash-loop detection (`NaN`), so it
 * is bad usage.
 */
export function maxRestartsFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 5;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`COVET_MAX_RESTARTS must be a non-negative integer, got ${value}`, ExitCode.usage);
  return n;
}

function supervise(opts: RunOptions, count: number): Promise<number> {
  const maxRestarts = opts.maxRestarts ?? maxRestartsFrom(process.env.COVET_MAX_RESTARTS);
  const windowMs = opts.restartWindowMs ?? 30_000;
  const crashes: number[] = [];
  const workers = new Set<Worker>();
  let stopping = false;
  let announced = false;
  let announcedUrl = '';
  const ready = new Set<Worker>();
  /** The longest drain a worker said its app allows (`server.shutdownTimeout`), default 10 s. */
  let drainMs = 10_000;
  let restarting = false;
  /** --reload only: the app failed to start or died, and waits for the next file change. */
  let waiting = false;
  // The workers' `MetricsManager({ aggregateCluster: true })` ask the primary for the
  // cluster-wide metrics; this primary is ours, so it answers them (otherwise every scrape of
  // /metrics waited `clusterTimeout` and got one worker's numbers).
  const aggregator = new ClusterMetricsAggregator().attach();
  let result: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    result = r;
  }).finally(() => aggregator.close());

  const finish = (code: number): void => {
    stopping = true;
    watcher?.close();
    if (workers.size === 0) {
      result(code);
      return;
    }
    for (const w of workers) w.process.kill('SIGTERM');
    // Each worker drains for its app's shutdownTimeout, then runs its shutdown hooks.
    const force = setTimeout(() => {
      for (const w of workers) w.process.kill('SIGKILL');
    }, drainMs + STOP_GRACE_MS);
    force.unref();
    const check = setInterval(() => {
      if (workers.size === 0) {
        clearInterval(check);
        clearTimeout(force);
        result(code);
      }
    }, 20);
  };

  /** `replaces`: the pid of the crashed worker this one takes over from. */
  const fork = (replaces?: number): void => {
    const w = cluster.fork();
    workers.add(w);
    w.on('message', (msg: WorkerMessage) => {
      if (msg?.covet === 'listening') {
        ready.add(w);
        if (typeof msg.shutdownTimeout === 'number' && msg.shutdownTimeout > drainMs) drainMs = msg.shutdownTimeout;
        // One announcement once every worker accepts connections (they share one address);
        // a replacement for a crashed worker only completes the crash's story, on stderr.
        if (announced && replaces !== undefined) {
          process.stderr.write(`covet: worker ${w.process.pid} replaced worker ${replaces}\n`);
          // With --port 0, a worker that replaced the last one listening got a new port.
          if (msg.url !== announcedUrl) {
            announcedUrl = msg.url;
            write(`Covet listening on ${msg.url}`);
          }
        }
        if (announced || stopping || ready.size < count) return;
        announced = true;
        announcedUrl = msg.url;
        const pids = [...ready].map((r) => r.process.pid).join(', ');
        const started = `Started ${count} worker${count === 1 ? ` (pid ${pids}` : `s (pids ${pids}`}; primary pid ${process.pid})`;
        // One write, so that no worker's output lands between the two lines.
        write(`Covet listening on ${msg.url}\n${started}`);
      } else if (msg?.covet === 'fatal' && !stopping) {
        process.stderr.write(`covet: ${msg.message}\n`);
        // While developing with --reload, a file saved half-written (a syntax error, a failing
        // startup hook) is fixed by the next save: wait for it rather than end the command.
        if (opts.reload && msg.code !== ExitCode.portInUse) {
          waiting = true;
          process.stderr.write('covet: waiting for a file change to restart\n');
          return;
        }
        finish(msg.code);
      }
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      ready.delete(w);
      if (stopping || restarting || waiting) return;
      if (opts.reload) {
        // As a development server does: a crashed app waits for the fix, no restart loop.
        waiting = true;
        process.stderr.write(`covet: worker ${w.process.pid} died (${signal ?? `exit code ${code}`}); waiting for a file change to restart\n`);
        return;
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && (crashes[0] ?? now) < now - windowMs) crashes.shift();
      if (crashes.length > maxRestarts) {
        process.stderr.write(
          `covet: worker crash loop: ${crashes.length} crashes within ${Math.round(windowMs / 1000)}s (last: ${signal ?? `exit code ${code}`}); giving up\n`,
        );
        finish(ExitCode.crashLoop);
        return;
      }
      const delay = Math.min(100 * 2 ** (crashes.length - 1), 5_000);
      process.stderr.write(`covet: worker ${w.process.pid} died (${signal ?? `exit code ${code}`}); restarting in ${delay} ms\n`);
      setTimeout(() => {
        if (!stopping) fork(w.process.pid);
      }, delay);
    });
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means now; a repeated SIGTERM is the same stop delivered twice.
      if (signal === 'SIGINT') {
        for (const w of workers) w.process.kill('SIGKILL');
        process.exit(1);
      }
      return;
    }
    write(`${signal} received: stopping ${workers.size} worker(s)`);
    finish(ExitCode.ok);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let watcher: TreeWatcher | undefined;
  if (opts.reload) {
    let timer: NodeJS.Timeout | undefined;
    const ignored = (path: string): boolean => /(^|[\\/])(node_modules|\.git|dist|coverage)([\\/]|$)/.test(path);
    watcher = watchTree(
      process.cwd(),
      (path) => {
        if (!/\.(m?[jt]sx?|json|env)$|\.env/.test(path)) return;
        clearTimeout(timer);
        timer = setTimeout(() => void restartAll(path), 100);
      },
      ignored,
    );
  }
  const restartAll = async (path: string): Promise<void> => {
    if (stopping || restarting) return;
    restarting = true;
    write(`${path} changed: restarting`);
    const exits = [...workers].map((w) => new Promise((r) => w.once('exit', r)));
    for (const w of workers) w.process.kill('SIGTERM');
    await Promise.all(exits);
    restarting = false;
    waiting = false;
    announced = false;
    crashes.length = 0;
    if (!stopping) for (let i = 0; i < count; i++) fork();
  };

  for (let i = 0; i < count; i++) fork();
  return done;
}
