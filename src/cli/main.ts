#!/usr/bin/env node
import cluster from 'node:cluster';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CovetApp } from '../app.js';
import { whileCliLoading } from '../internal/cli-loading.js';
import { parseArgsMessage } from '../internal/parse-args-message.js';
import { CliError, defaultModule, ensureTypeScriptLoader, ExitCode, parsePort, parseWorkers, reserveStdout, runCommand, splitRef } from './run.js';

const HELP = `covet — the Covet command line

Usage:
  covet run [module[:export]] [--host 127.0.0.1] [--port 8000] [--workers N|auto] [--reuse-port] [--reload]
  covet routes [module[:export]] [--json]
  covet performance-test [module[:export] | --url URL] [--path /] [--concurrency 10] [--duration 10] [--json]
  covet new NAME [--covet-spec SPEC]
  covet security-scan [module[:export]] [--format text|sarif] [--output FILE] [--fail-on high] [--no-audit]
  covet fuzz [module[:export]] [--runs N] [--seed S] [--json] [--max-failures N] [--fail-on 5xx|schema|any]
             [--timeout MS] [--header NAME:VALUE]
  covet migrate up|down|status|create NAME|make NAME|lint   (covet migrate --help)
  covet --version

Every command takes --help (or: covet help COMMAND). The module defaults to the first of ./app.ts, ./app.js,
./src/app.ts, ./src/app.js and ./dist/app.js that exists; the app is its default export, else its export
named "app", else the app the module called app.run()/app.listen() on. TypeScript modules are loaded
with tsx when it is installed, else by Node itself where it strips types (22.18+, 24).

Exit codes: 0 ok, 1 error, 2 bad usage, 3 module not found, 4 module unloadable,
5 port in use, 6 worker crash loop, 7 configuration error (.env or a required setting).
`;

const COMMAND_HELP: Record<string, string> = {
  run: `Usage: covet run [module[:export]] [options]

Serves the app until SIGTERM/SIGINT, then drains in-flight requests, runs the shutdown hooks
and exits with code 0.

Options:
  --host HOST       interface to bind (default 127.0.0.1; 0.0.0.0 in containers)
  --port PORT       port, 0-65535 (default 8000, or $PORT)
  --workers N       serve from N node:cluster workers ("auto": one per usable CPU, within a container CPU limit); crashed workers
                    restart with backoff, a crash loop exits with code 6
  --reuse-port      each worker listens on the port itself (SO_REUSEPORT, Node 22.12+): the
                    kernel spreads new connections evenly instead of the cluster primary
  --reload          restart when files below the current directory change (development)
  -h, --help        this help
`,
  routes: `Usage: covet routes [module[:export]] [--json]

Prints every route: method, path, name and middleware.

Options:
  --json            print the table as JSON
  -h, --help        this help
`,
  'performance-test': `Usage: covet performance-test [module[:export] | --url URL] [options]

Load-tests a running server (--url) or the app module (started on 127.0.0.1 with a free port),
shows a progress bar on a TTY, then a results table (req/s, p50/p90/p99, errors).

Options:
  --url URL         a running server to test instead of an app module
  --path PATH       the path to request (default /; with --url, the URL's own path)
  --concurrency N   concurrent connections (default 10)
  --duration S      seconds to run (default 10)
  --json            print the results as JSON
  -h, --help        this help
`,
  new: `Usage: covet new NAME [--covet-spec SPEC]

Creates the folder NAME with a working project: app.ts, tests, tsconfig, Dockerfile and README.
Then: cd NAME && npm install && npm test.

Options:
  --covet-spec SPEC the covet dependency (default ^<this version>; e.g. file:../covet)
  -h, --help        this help
`,
  'security-scan': `Usage: covet security-scan [module[:export]] [options]

Checks the app's configuration: debug mode, weak/default secrets (in the config, the
environment, or written as literals in the app's source), CORS * with credentials,
CSRF off with cookie sessions, missing security headers, auth routes without rate limiting,
exposed /metrics or consoles, unbounded body limits, pending migrations and npm audit results
(skipped quietly when offline). Probes use GET/OPTIONS in process, never the network.

Options:
  --format F        text (default) or sarif (SARIF 2.1.0 for code scanning)
  --output FILE     write the report to FILE instead of stdout
  --fail-on S       exit 1 when a finding is at or above S: low, medium, high (default), critical
  --no-audit        skip npm audit
  -h, --help        this help
`,
};

/** A CovetApp, also from a second copy of the package (where `instanceof` fails). */
function isApp(value: unknown): value is CovetApp {
  if (value instanceof CovetApp) return true;
  const v = value as Partial<Record<'listen' | 'run' | 'routeTable' | 'close', unknown>> | null;
  return typeof v === 'object' && v !== null && typeof v.listen === 'function' && typeof v.run === 'function' && typeof v.routeTable === 'function';
}

/** The apps each module has handed to `app.run()`/`app.listen()` while loaded (see `loadApp`). */
const skippedAppsByModule = new Map<string, readonly unknown[]>();

/**
 * Loads `path/to/module[:export]` and returns the app it exports (without `:export`, a module
 * that exports none is served through the one app its `app.run()`/`app.listen()` was called on).
 */
export async function loadApp(ref: string): Promise<CovetApp> {
  const { file, name } = splitRef(ref);
  await ensureTypeScriptLoader(file);
  let mod: Record<string, unknown>;
  let skippedApps: readonly unknown[];
  try {
    // `app.run()` at the end of the module (the seed's Quick Start) is left to this command.
    const href = pathToFileURL(resolve(file)).href;
    const loaded = await whileCliLoading(() => import(href));
    mod = loaded.value as Record<string, unknown>;
    // A second load of the same module in this process does not run it again.
    skippedApps = loaded.skippedApps.length > 0 ? loaded.skippedApps : (skippedAppsByModule.get(href) ?? []);
    skippedAppsByModule.set(href, skippedApps);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).startsWith(`Cannot find module '${resolve(file)}'`)) {
      throw new CliError(`app module not found: ${file}`, ExitCode.moduleNotFound);
    }
    if (err instanceof Error && err.name === 'ConfigError') throw new CliError(`configuration error: ${err.message}`, ExitCode.config);
    // Node's own type stripping (no tsx installed) refuses enums, namespaces and parameter properties.
    const hint = code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' ? ' (Node strips types but does not transform this syntax: npm install -D tsx)' : '';
    throw new CliError(`cannot load ${file}: ${err instanceof Error ? err.message : String(err)}${hint}`, ExitCode.moduleUnloadable);
  }
  // A CommonJS module (a `.ts` file in a package without `"type": "module"`) has its exports
  // under `default`.
  const cjs = (typeof mod.default === 'object' && mod.default !== null ? mod.default : {}) as Record<string, unknown>;
  const candidates = name !== undefined ? [mod[name], cjs[name]] : [mod.default, mod.app, cjs.default, cjs.app];
  // A module that does not export its app but ends with `app.run()` or `await app.listen(…)`
  // (the README's example) is served through the app that made that call.
  const skipped = skippedApps.filter(isApp);
  if (name === undefined && skipped.length === 1) candidates.push(skipped[0]);
  const app = candidates.find(isApp);
  if (app === undefined) {
    throw new CliError(`${file} has no CovetApp export${name ? ` named "${name}"` : ' (default or "app")'}`, ExitCode.moduleUnloadable);
  }
  return app;
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The flags each command takes (besides --help); any other is bad usage. */
const COMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  run: ['host', 'port', 'workers', 'reload', 'reuse-port'],
  routes: ['json'],
  'performance-test': ['url', 'path', 'concurrency', 'duration', 'json'],
  new: ['covet-spec'],
  'security-scan': ['format', 'output', 'fail-on', 'no-audit'],
};

/** Throws a usage error for a flag `command` does not take. */
function checkFlags(command: string, given: readonly string[]): void {
  const allowed = COMMAND_FLAGS[command];
  if (allowed === undefined) return;
  for (const flag of given) {
    if (flag === 'help' || flag === 'version' || allowed.includes(flag)) continue;
    throw new CliError(`covet ${command} takes no --${flag}\nRun "covet ${command} --help" for usage.`, ExitCode.usage);
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        workers: { type: 'string' },
        reload: { type: 'boolean', default: false },
        'reuse-port': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        format: { type: 'string', default: 'text' },
        output: { type: 'string' },
        'fail-on': { type: 'string', default: 'high' },
        'no-audit': { type: 'boolean', default: false },
        'covet-spec': { type: 'string' },
        url: { type: 'string' },
        path: { type: 'string' },
        concurrency: { type: 'string', default: '10' },
        duration: { type: 'string', default: '10' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${parseArgsMessage(err)}\nRun "covet --help" for usage.`, ExitCode.usage);
  }
}

function positiveNumber(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliError(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`, ExitCode.usage);
  }
  return n;
}

export async function main(argv: string[]): Promise<number> {
  // `covet help fuzz` is `covet fuzz --help`, for the commands that parse their own flags too.
  if (argv[0] === 'help' && (argv[1] === 'migrate' || argv[1] === 'fuzz') && argv.length === 2) return main([argv[1], '--help']);
  if (argv[0] === 'migrate') {
    // Loaded only for this command: the CLI core does not depend on covet/database.
    const { runMigrateCommand } = await import('../database/migrations/cli.js');
    // TypeScript migrations load as `covet run` loads a TypeScript app: through tsx when installed.
    const loadTypeScript = (file: string): Promise<void> => ensureTypeScriptLoader(file, argv.join(' '));
    return runMigrateCommand(argv.slice(1), undefined, { loadTypeScript });
  }
  if (argv[0] === 'fuzz') {
    // Its own flags (--fail-on has another meaning and default than security-scan's).
    const { fuzzCommand } = await import('./fuzz.js');
    return fuzzCommand(argv.slice(1), loadApp);
  }
  const { values, positionals, tokens } = parse(argv);
  const [command, target = defaultModule(), ...extra] = positionals;
  if (values.version) {
    process.stdout.write(`${readVersion()}\n`);
    return ExitCode.ok;
  }
  if (command === 'help' && positionals[1] !== undefined && COMMAND_HELP[positionals[1]] !== undefined) {
    process.stdout.write(COMMAND_HELP[positionals[1]] as string);
    return ExitCode.ok;
  }
  if (command === 'help' && positionals[1] !== undefined)
    throw new CliError(`unknown command "${positionals[1]}"\nRun "covet --help" for usage.`, ExitCode.usage);
  if (command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? ExitCode.usage : ExitCode.ok;
  }
  if (values.help) {
    const help = COMMAND_HELP[command];
    if (help === undefined) throw new CliError(`unknown command "${command}"\nRun "covet --help" for usage.`, ExitCode.usage);
    process.stdout.write(help);
    return ExitCode.ok;
  }
  checkFlags(
    command,
    tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])),
  );
  if (target !== undefined && /:$/.test(target)) throw new CliError(`nothing after ":" in ${target}: name the export (module:export) or leave the ":" out`, ExitCode.usage);
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"\nRun "covet ${command} --help" for usage.`, ExitCode.usage);
  if (command === 'run') {
    return runCommand({
      ref: target,
      host: values.host,
      port: parsePort(values.port, process.env.PORT),
      workers: parseWorkers(values.workers),
      reload: values.reload,
      reusePort: values['reuse-port'],
      load: loadApp,
    });
  }
  if (command === 'routes') {
    const out = reserveStdout(values.json);
    let app: CovetApp;
    try {
      app = await loadApp(target);
    } finally {
      out.restore();
    }
    const rows = app.routeTable();
    if (values.json) {
      out.report(`${JSON.stringify(rows.map((r) => ({ method: r.method, path: r.path, name: r.name ?? null, middleware: r.middleware })), null, 2)}\n`);
      return ExitCode.ok;
    }
    const methodWidth = Math.max(6, ...rows.map((r) => r.method.length));
    const width = Math.max(4, ...rows.map((r) => r.path.length));
    const nameWidth = Math.max(4, ...rows.map((r) => (r.name ?? '').length));
    process.stdout.write(`${'METHOD'.padEnd(methodWidth + 2)}${'PATH'.padEnd(width + 2)}${'NAME'.padEnd(nameWidth + 2)}MIDDLEWARE\n`);
    for (const r of rows) {
      process.stdout.write(`${r.method.padEnd(methodWidth + 2)}${r.path.padEnd(width + 2)}${(r.name ?? '').padEnd(nameWidth + 2)}${r.middleware.join(', ')}\n`);
    }
    return ExitCode.ok;
  }
  if (command === 'performance-test') {
    const { performanceTestCommand } = await import('./performance-test.js');
    const concurrency = positiveNumber('concurrency', values.concurrency, true);
    const duration = positiveNumber('duration', values.duration, false);
    const out = reserveStdout(values.json);
    try {
      return await performanceTestCommand({
        target: positionals[1],
        url: values.url,
        path: values.path,
        concurrency,
        duration,
        json: values.json,
        load: loadApp,
        report: out.report,
      });
    } finally {
      out.restore();
    }
  }
  if (command === 'new') {
    const name = positionals[1];
    if (name === undefined) throw new CliError('covet new needs a project name: covet new NAME', ExitCode.usage);
    const { newProject } = await import('./new.js');
    const dir = newProject({ name, covetSpec: values['covet-spec'] ?? `^${readVersion()}` });
    process.stdout.write(`Created ${dir}\n\nNext:\n  cd ${name}\n  npm install\n  npm test\n  npm run dev\n`);
    return ExitCode.ok;
  }
  if (command === 'security-scan') {
    const scan = await import('./security-scan.js');
    const failOn = scan.parseSeverity(values['fail-on']);
    if (values.format !== 'text' && values.format !== 'sarif') throw new CliError(`--format must be text or sarif, got ${values.format}`, ExitCode.usage);
    const out = reserveStdout(values.format === 'sarif' && values.output === undefined);
    try {
      const app = await loadApp(target);
      const findings = await scan.scanApp(app, { audit: !values['no-audit'], entry: splitRef(target).file });
      const report =
        values.format === 'sarif' ? `${JSON.stringify(scan.toSarif(findings, splitRef(target).file, readVersion()), null, 2)}\n` : scan.formatText(findings);
      if (values.output !== undefined) writeFileSync(values.output, report);
      else out.report(report);
      return scan.exitCodeFor(findings, failOn);
    } finally {
      out.restore();
    }
  }
  throw new CliError(`unknown command "${command}"\nRun "covet --help" for usage.`, ExitCode.usage);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // The installed `covet` command is a symlink to this file.
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      const code = err instanceof CliError ? err.exitCode : ExitCode.error;
      // A worker already told the primary, which prints the message once.
      if (!cluster.isWorker) process.stderr.write(`covet: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(code);
    },
  );
}
