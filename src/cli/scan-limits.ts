import type { CovetApp } from '../app.js';
import type { Request } from '../request.js';
import { json, type Response } from '../response.js';
import { routeTableVersion } from '../route-group.js';

/** The body limits one route enforces, as a request to it sees them. */
export interface RouteLimits {
  readonly method: string;
  readonly path: string;
  /** Largest buffered body (JSON, text, urlencoded forms) in bytes. */
  readonly bodyLimit: number;
  /** Largest multipart body (`maxTotalSize`) in bytes. */
  readonly uploadLimit: number;
}

/** Methods whose requests carry bodies; GET/HEAD/OPTIONS routes are not checked. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PROBE_NAME = 'covet-security-scan-probe';
const SAMPLE: Readonly<Record<string, string>> = { int: '1', float: '1.5', uuid: '00000000-0000-4000-8000-000000000000', path: 'a', str: 'a' };

/** A URL that the route's pattern matches: every `{name:conv}` gets a valid sample value. */
function sampleUrl(path: string): string {
  return path.replace(/\{[A-Za-z_][A-Za-z0-9_]*(?::([a-z]+))?\}/g, (_, conv?: string) => SAMPLE[conv ?? 'str'] ?? 'a');
}

/**
 * Reads the effective `bodyLimit` and multipart `maxTotalSize` of every route that takes a body.
 * A probe middleware is put first in the app's chain for the duration: each route gets one
 * in-process request (no socket) that the probe answers itself, so no other middleware and no
 * handler runs (mounted apps run the parent's middleware first, so their routes are read too).
 * A route the probe does not reach is skipped.
 */
export async function readRouteLimits(app: CovetApp): Promise<RouteLimits[]> {
  const seen = new Map<string, { bodyLimit: number; uploadLimit: number }>();
  const probe = (req: Request): Response => {
    const bodyLimit = req.bodyLimit;
    // For a multipart body `form()` switches the request's limit to `maxTotalSize` first.
    req.form().catch(() => {});
    if (req.route) seen.set(`${req.method} ${req.route.path}`, { bodyLimit, uploadLimit: req.bodyLimit });
    return json({ scanned: true });
  };
  app.middleware(PROBE_NAME, probe);
  const chain = app.middlewareList as unknown[];
  chain.splice(chain.indexOf(probe), 1);
  chain.unshift(probe);
  try {
    const out: RouteLimits[] = [];
    for (const row of app.routeTable()) {
      if (!BODY_METHODS.has(row.method) || !row.middleware.includes(PROBE_NAME)) continue;
      const res = await app.inject({
        method: row.method,
        url: sampleUrl(row.path),
        headers: { 'content-type': 'multipart/form-data; boundary=covet-scan' },
      });
      const limits = seen.get(`${row.method} ${row.path}`);
      if (res.status === 200 && limits) out.push({ method: row.method, path: row.path, ...limits });
    }
    return out;
  } finally {
    chain.splice(chain.indexOf(probe), 1);
    routeTableVersion.value++;
  }
}

const MiB = 1024 * 1024;

/** `52428800` → `50 MiB`, `Infinity` → `unlimited`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unlimited';
  if (n >= 1024 * MiB && n % (1024 * MiB) === 0) return `${n / (1024 * MiB)} GiB`;
  if (n >= MiB) return `${Number((n / MiB).toFixed(1))} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** Thresholds of the body/upload limit check (bytes). */
export interface LimitThresholds {
  /** Buffered bodies above this are reported. Default 10 MiB (the app default is 1 MiB). */
  readonly bodyLimit?: number;
  /** Multipart bodies above this are reported. Default 1 GiB (the default is 100 MiB). */
  readonly uploadLimit?: number;
}

export interface LimitProblem {
  readonly severity: 'medium' | 'high';
  readonly message: string;
}

function listRoutes(routes: readonly RouteLimits[]): string {
  const names = routes.map((r) => `${r.method} ${r.path}`);
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

/** Groups routes with the same too-large limit into one problem each. */
export function judgeLimits(routes: readonly RouteLimits[], thresholds: LimitThresholds = {}): LimitProblem[] {
  const maxBody = thresholds.bodyLimit ?? 10 * MiB;
  const maxUpload = thresholds.uploadLimit ?? 1024 * MiB;
  const out: LimitProblem[] = [];
  const group = (key: 'bodyLimit' | 'uploadLimit', max: number, describe: (value: string, routes: string) => string): void => {
    const byValue = new Map<number, RouteLimits[]>();
    for (const r of routes) if (r[key] > max) byValue.set(r[key], [...(byValue.get(r[key]) ?? []), r]);
    for (const [value, rs] of [...byValue].sort((a, b) => b[0] - a[0])) {
      out.push({ severity: Number.isFinite(value) ? 'medium' : 'high', message: describe(formatBytes(value), listRoutes(rs)) });
    }
  };
  group(
    'bodyLimit',
    maxBody,
    (value, rs) => `bodyLimit is ${value} on ${rs} (above ${formatBytes(maxBody)}): JSON, text and form bodies are held in memory.`,
  );
  group(
    'uploadLimit',
    maxUpload,
    (value, rs) => `multipart maxTotalSize is ${value} on ${rs} (above ${formatBytes(maxUpload)}): uploads can fill memory or disk.`,
  );
  return out;
}
