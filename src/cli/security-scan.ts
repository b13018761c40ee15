import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CovetApp } from '../app.js';
import { SECRET_KEY_PATTERN, Secret } from '../config.js';
import { CliError, ExitCode } from './run.js';
import { judgeLimits, type LimitThresholds, readRouteLimits } from './scan-limits.js';
import { scanSourceSecrets } from './scan-sources.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One problem `covet security-scan` found. */
export interface Finding {
  /** A stable rule id, e.g. `COVET001`. */
  readonly rule: string;
  readonly title: string;
  readonly severity: Severity;
  readonly message: string;
  /** Where in the source the problem is, for findings about code (a literal secret). */
  readonly location?: SourceLocation;
}

/** A place in a source file: its path relative to the scan's `cwd` (`/`-separated), 1-based line. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

interface Rule {
  readonly id: string;
  readonly title: string;
  readonly help: string;
}

export const RULES: Readonly<Record<string, Rule>> = {
  debug: { id: 'COVET001', title: 'Debug mode on', help: 'Set debug: false in production: 500 responses would show stack traces.' },
  weakSecret: { id: 'COVET002', title: 'Weak or default secret', help: 'Use a random secret of at least 32 characters from the environment.' },
  corsCredentials: {
    id: 'COVET003',
    title: 'CORS allows any origin with credentials',
    help: 'List the allowed origins explicitly when allowCredentials is true.',
  },
  csrfOff: { id: 'COVET004', title: 'CSRF protection off with cookie auth', help: 'Enable CSRF protection (SecurityConfig({ csrf: true })) for cookie sessions.' },
  headers: { id: 'COVET005', title: 'Missing security headers', help: 'Add SecurityHeaders (or SecurityConfig) middleware.' },
  rateLimit: { id: 'COVET006', title: 'No rate limit on auth routes', help: 'Add RateLimiter middleware to login/token routes.' },
  audit: { id: 'COVET007', title: 'Vulnerable dependencies (npm audit)', help: 'Run npm audit fix or upgrade the packages.' },
  bodyLimit: {
    id: 'COVET008',
    title: 'Missing body/upload limit',
    help: 'Keep bodyLimit (app or route) near its 1 MiB default and multipart maxTotalSize finite; raise them only on the routes that need it.',
  },
  exposed: { id: 'COVET009', title: 'Exposed metrics or console', help: 'Protect /metrics and admin/debug consoles with authentication or a private port.' },
  migrations: { id: 'COVET010', title: 'Pending migrations', help: 'Run covet migrate up before deploying.' },
  scan: { id: 'COVET000', title: 'Check not run', help: 'The scanner could not run this check.' },
};

const DEFAULT_SECRETS = new Set([
  'secret',
  'secret-key',
  'secret_key',
  'your-secret-key',
  'your-secret-key-here',
  'changeme',
  'change-me',
  'changeit',
  'password',
  'dev',
  'development',
  'test',
  'default',
  'insecure',
  'keyboard cat',
  'supersecret',
  '123456',
]);

function finding(rule: keyof typeof RULES, severity: Severity, message: string, location?: SourceLocation): Finding {
  const r = RULES[rule] ?? { id: 'COVET000', title: rule };
  const base = { rule: r.id, title: r.title, severity, message };
  return location === undefined ? base : { ...base, location };
}

const KNOWN_DEFAULT = 'a known default value';

/** A known default value is critical, a merely weak secret high. */
function weakSecretSeverity(reason: string): Severity {
  return reason === KNOWN_DEFAULT ? 'critical' : 'high';
}

/** Why `value` is a weak secret, or `null`. */
export function weakSecretReason(value: string): string | null {
  if (DEFAULT_SECRETS.has(value.toLowerCase()) || /^(change|replace|your)[-_ ]?(me|this|secret)/i.test(value)) return KNOWN_DEFAULT;
  if (value.length < 32) return `only ${value.length} characters (use at least 32)`;
  if (new Set(value).size < 8) return 'too few distinct characters';
  return null;
}

function secretValue(value: unknown): string | undefined {
  if (value instanceof Secret) return value.reveal();
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return undefined;
}

const AUTH_PATH = /(^|\/)(login|logout|signin|sign-in|signup|register|auth|token|oauth|password|reset-password|session)s?(\/|$)/i;
const RATE_LIMIT_NAME = /rate|limit|throttl|ddos/i;
const EXPOSED_PATHS = ['/metrics', '/admin', '/debug', '/console', '/_debug', '/__debug__', '/actuator'];
/** Routes below those paths probed at most (each probe runs the route's handler). */
const MAX_EXPOSED_ROUTES = 20;

async function probe(app: CovetApp, method: string, url: string, headers: Record<string, string> = {}) {
  try {
    return await app.inject({ method, url, headers });
  } catch {
    return null;
  }
}

/** Options of `scanApp`. */
export interface ScanOptions {
  /** Run `npm audit` (default true). */
  readonly audit?: boolean;
  /** Where `package-lock.json` and `migrations/` are looked for (default the current directory). */
  readonly cwd?: string;
  /** Body/upload sizes above which a limit counts as missing. */
  readonly limits?: LimitThresholds;
  /**
   * The app's module: it and the modules it imports by relative path are searched for secrets
   * written as literals (`new JWTAuth('secret-key')`, `secretKey: 'changeme'`). Default: none.
   */
  readonly entry?: string;
}

/** Runs every check on `app` and returns the findings, most severe first. */
export async function scanApp(app: CovetApp, options: ScanOptions = {}): Promise<Finding[]> {
  const out: Finding[] = [];
  const routes = app.routeTable();
  const security = (app.securityConfig ?? null) as { cors?: unknown; csrf?: unknown; securityHeaders?: unknown; secretKey?: unknown } | null;
  const allMiddleware = new Set(routes.flatMap((r) => r.middleware));

  if (app.debug) out.push(finding('debug', 'high', 'The app runs with debug: true: errors show stack traces and details to clients.'));

  // Secrets written as literals in the app's source, reported where they are written.
  const literals = options.entry === undefined ? new Set<string>() : await checkSourceSecrets(options.entry, options.cwd ?? process.cwd(), out);
  // Secrets: the app config, the security config and the usual environment variables.
  const secrets: [string, unknown][] = [];
  for (const [k, v] of Object.entries(app.config)) if (SECRET_KEY_PATTERN.test(k) || v instanceof Secret) secrets.push([`config ${k}`, v]);
  for (const name of ['SECRET_KEY', 'JWT_SECRET', 'SESSION_SECRET', 'CSRF_SECRET']) if (process.env[name]) secrets.push([`$${name}`, process.env[name]]);
  if (security && 'secretKey' in security) secrets.push(['securityConfig.secretKey', security.secretKey]);
  for (const [where, raw] of secrets) {
    const value = secretValue(raw);
    if (value === undefined || value === '') continue;
    // A config value that is a literal reported above is the same secret: once is enough.
    if (!where.startsWith('$') && literals.has(value)) continue;
    const reason = weakSecretReason(value);
    if (reason) out.push(finding('weakSecret', weakSecretSeverity(reason), `${where} is ${reason}.`));
  }

  // Probes go through the app in process (no socket) with GET/OPTIONS only.
  const firstGet = routes.find((r) => r.method === 'GET' && !r.path.includes('{'))?.path ?? '/';
  const evil = 'https://evil.example';
  const cors = await probe(app, 'OPTIONS', firstGet, { origin: evil, 'access-control-request-method': 'GET' });
  const corsGet = await probe(app, 'GET', firstGet, { origin: evil });
  for (const res of [cors, corsGet]) {
    if (!res) continue;
    const allow = res.headers.get('access-control-allow-origin');
    if (res.headers.get('access-control-allow-credentials') === 'true' && (allow === '*' || allow === evil)) {
      out.push(finding('corsCredentials', 'high', `CORS reflects any origin (${evil}) with Access-Control-Allow-Credentials: true on ${firstGet}.`));
      break;
    }
  }

  const page = corsGet ?? (await probe(app, 'GET', firstGet));
  if (page) {
    const missing = ['x-content-type-options', 'content-security-policy', 'referrer-policy'].filter((h) => !page.headers.has(h));
    if (!page.headers.has('x-frame-options') && !/frame-ancestors/.test(page.headers.get('content-security-policy') ?? '')) missing.push('x-frame-options');
    if (missing.length > 0) out.push(finding('headers', 'medium', `Responses lack ${missing.join(', ')} (checked GET ${firstGet}).`));
    if (!page.headers.has('strict-transport-security')) out.push(finding('headers', 'low', 'Responses lack Strict-Transport-Security (HSTS).'));
  }

  const cookieAuth = [...allMiddleware].some((m) => /session|cookie/i.test(m));
  const unsafeRoutes = routes.some((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
  const csrfOn = (security?.csrf ?? null) !== null || [...allMiddleware].some((m) => /csrf|xsrf/i.test(m));
  if (cookieAuth && unsafeRoutes && !csrfOn) {
    out.push(finding('csrfOff', 'high', 'Cookie sessions are used for state-changing routes but CSRF protection is off.'));
  }

  for (const r of routes) {
    if (r.method === 'GET' || r.method === 'HEAD' || r.method === 'OPTIONS') continue;
    if (AUTH_PATH.test(r.path) && !r.middleware.some((m) => RATE_LIMIT_NAME.test(m))) {
      out.push(finding('rateLimit', 'medium', `${r.method} ${r.path} has no rate-limiting middleware (brute force).`));
    }
  }

  // The usual paths, and the app's own GET routes below them (the seed's `/debug/performance`).
  const exposedRoutes = routes
    .filter((r) => r.method === 'GET' && !r.path.includes('{') && EXPOSED_PATHS.some((p) => p !== '/metrics' && r.path.startsWith(`${p}/`)))
    .map((r) => r.path);
  for (const path of new Set([...EXPOSED_PATHS, ...exposedRoutes.slice(0, MAX_EXPOSED_ROUTES)])) {
    const res = await probe(app, 'GET', path);
    if (res && res.status === 200) out.push(finding('exposed', path === '/metrics' ? 'medium' : 'high', `GET ${path} answers 200 without authentication.`));
  }

  for (const p of judgeLimits(await readRouteLimits(app), options.limits)) out.push(finding('bodyLimit', p.severity, p.message));

  await checkMigrations(app, out, options.cwd ?? process.cwd());
  if (options.audit !== false) await npmAudit(out, options.cwd ?? process.cwd());

  return out.sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
}

/**
 * Weak literal secrets in the app's source, reported with file and line (never the value).
 * Returns the weak values found.
 */
async function checkSourceSecrets(entry: string, cwd: string, out: Finding[]): Promise<Set<string>> {
  const weak = new Set<string>();
  for (const secret of await scanSourceSecrets(entry, cwd)) {
    let worst: string | null = null;
    for (const value of secret.values) {
      const reason = value === '' ? null : weakSecretReason(value);
      if (reason === null) continue;
      weak.add(value);
      if (worst === null || reason === KNOWN_DEFAULT) worst = reason;
    }
    // One finding per literal: an array of keys counts once, at its worst value.
    if (worst === null) continue;
    const what = secret.name === 'JWTAuth' ? 'JWTAuth secret' : secret.name;
    const location = { file: secret.file, line: secret.line };
    const used = secret.fallback === undefined ? '' : `, used wherever $${secret.fallback} is unset,`;
    out.push(finding('weakSecret', weakSecretSeverity(worst), `literal ${what} at ${location.file}:${location.line}${used} is ${worst}.`, location));
  }
  return weak;
}

async function checkMigrations(app: CovetApp, out: Finding[], cwd: string): Promise<void> {
  const directory = resolve(cwd, 'migrations');
  const db = app.databases.find((d) => typeof d === 'object' && d !== null && 'dialect' in d && 'pool' in d);
  if (db === undefined || !existsSync(directory)) return;
  try {
    const { migrationStatus } = await import('../database/migrations/migrator.js');
    await db.connect();
    try {
      const status = await migrationStatus({ db: db as never, directory });
      const pending = status.filter((s) => !s.applied).map((s) => s.name);
      if (pending.length > 0) out.push(finding('migrations', 'medium', `${pending.length} pending migration(s): ${pending.join(', ')}.`));
    } finally {
      await db.close();
    }
  } catch (err) {
    out.push(finding('scan', 'info', `Pending migrations not checked: ${err instanceof Error ? err.message : String(err)}`));
  }
}

interface AuditJson {
  readonly metadata?: { readonly vulnerabilities?: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>> };
}

function npmAudit(out: Finding[], cwd: string): Promise<void> {
  if (!existsSync(resolve(cwd, 'package-lock.json'))) return Promise.resolve();
  return new Promise((done) => {
    execFile('npm', ['audit', '--json', '--omit=dev'], { cwd, timeout: 30_000, maxBuffer: 32 * 1024 * 1024 }, (_err, stdout) => {
      try {
        const report = JSON.parse(stdout) as AuditJson;
        const v = report.metadata?.vulnerabilities;
        if (v === undefined) throw new Error('no audit metadata (offline?)');
        const map: [keyof NonNullable<typeof v>, Severity][] = [
          ['critical', 'critical'],
          ['high', 'high'],
          ['moderate', 'medium'],
          ['low', 'low'],
        ];
        for (const [k, sev] of map) if ((v[k] ?? 0) > 0) out.push(finding('audit', sev, `npm audit: ${v[k]} ${k} vulnerabilit${v[k] === 1 ? 'y' : 'ies'} in production dependencies.`));
      } catch (err) {
        // Offline or no registry: never fail the scan for it.
        out.push(finding('scan', 'info', `npm audit not available: ${err instanceof Error ? err.message : String(err)}`));
      }
      done();
    });
  });
}

/** The findings as text lines. */
export function formatText(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No findings.\n';
  const lines = findings.map((f) => `${f.severity.toUpperCase().padEnd(8)} ${f.rule}  ${f.title}: ${f.message}`);
  const counts = SEVERITIES.slice()
    .reverse()
    .map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${lines.join('\n')}\n\n${findings.length} finding${findings.length === 1 ? '' : 's'}: ${counts.join(', ')}\n`;
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

/** The findings as SARIF 2.1.0, for code scanning in CI. */
export function toSarif(findings: readonly Finding[], artifact: string, version: string): object {
  const rules = Object.values(RULES).map((r) => ({ id: r.id, name: r.title.replace(/\W+/g, ''), shortDescription: { text: r.title }, help: { text: r.help } }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'covet security-scan', version, informationUri: 'https://github.com/covet/covet', rules } },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: rules.findIndex((r) => r.id === f.rule),
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.title}: ${f.message}` },
          properties: { severity: f.severity },
          locations: [
            {
              physicalLocation:
                f.location === undefined
                  ? { artifactLocation: { uri: artifact } }
                  : { artifactLocation: { uri: f.location.file }, region: { startLine: f.location.line } },
            },
          ],
        })),
      },
    ],
  };
}

export function parseSeverity(value: string): Severity {
  if ((SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  throw new CliError(`--fail-on must be one of ${SEVERITIES.join(', ')}, got ${value}`, ExitCode.usage);
}

/** Exit code 1 when a finding is at or above `failOn`. */
export function exitCodeFor(findings: readonly Finding[], failOn: Severity): number {
  const min = SEVERITIES.indexOf(failOn);
  return findings.some((f) => f.severity !== 'info' && SEVERITIES.indexOf(f.severity) >= min) ? ExitCode.error : ExitCode.ok;
}
