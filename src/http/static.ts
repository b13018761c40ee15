import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { HTTPException } from '../errors.js';
import type { Request } from '../request.js';
import { redirect, type Response } from '../response.js';
import { contentTypeFor, type ServeSpec, serveFile } from './file.js';
import { QVALUE } from './compress.js';

/** Options of `app.static(prefix, directory, options)`. */
export interface StaticOptions {
  /** File served for a directory (`/static/docs/` → `docs/index.html`). Default `index.html`; `false` to turn off. */
  readonly index?: string | false;
  /** Serve `.br`/`.gz` siblings when the client accepts them. Default `true`. */
  readonly precompressed?: boolean;
  /** `Cache-Control` max-age in seconds. Default 0 (`public, max-age=0`, revalidate with ETag). */
  readonly maxAge?: number;
  /** Add `immutable` to `Cache-Control` (for fingerprinted assets). Default `false`. */
  readonly immutable?: boolean;
  /** Serve dotfiles (`.env`, `.git/…`). Default `false`: they are 404. */
  readonly dotfiles?: boolean;
  /** Send `ETag`. Default `true`. */
  readonly etag?: boolean;
  /** Send `Last-Modified`. Default `true`. */
  readonly lastModified?: boolean;
}

const STATIC_DEFAULTS = {
  index: 'index.html',
  precompressed: true,
  maxAge: 0,
  immutable: false,
  dotfiles: false,
  etag: true,
  lastModified: true,
} as const satisfies Required<StaticOptions>;

/** A precompressed sibling: file suffix and `Content-Encoding`, in order of preference. */
const ENCODINGS = [
  { coding: 'br', suffix: '.br' },
  { coding: 'gzip', suffix: '.gz' },
] as const;
type Encoding = (typeof ENCODINGS)[number];

const NOT_FOUND_MESSAGE = 'Not Found';
function notFound(): HTTPException {
  return new HTTPException(404, NOT_FOUND_MESSAGE, { code: 'ERR_NOT_FOUND' });
}

const DRIVE = /^[A-Za-z]:/;
const COMPRESSED_NAME = /\.(?:br|gz)$/i;

/**
 * The segments of a request path relative to the root, or `null` when it could name anything
 * outside it or a hidden file: `..` and `.` segments, empty segments (`a//b`, a leading `/`
 * of an absolute path), backslashes (a separator on Windows), NUL bytes, drive letters. The
 * router already decoded `%2e`/`%2f`/`%5c`, so what is checked here is what the file system
 * will see; nothing is decoded again. A trailing `/` gives a last empty segment.
 *
 * @example
 * safeSegments('css/site.css', false) // ['css', 'site.css']
 * safeSegments('../secret', false)    // null
 */
export function safeSegments(rel: string, dotfiles: boolean): string[] | null {
  if (rel === '') return [];
  if (rel.indexOf('\\') !== -1 || rel.indexOf('\0') !== -1) return null;
  const segments = rel.split('/');
  const last = segments.length - 1;
  for (let i = 0; i <= last; i++) {
    const s = segments[i] as string;
    if (s === '') {
      if (i === last) continue; // `docs/`: a directory
      return null;
    }
    if (s.charCodeAt(0) === 0x2e) {
      if (s === '.' || s === '..' || !dotfiles) return null;
    }
    if (DRIVE.test(s)) return null;
  }
  return segments;
}

/** q-values of `br` and `gzip` in an `Accept-Encoding` header (RFC 9110 §12.5.3). */
function acceptedEncodings(header: string | null): Encoding[] {
  if (header === null || header === '') return [];
  let br = -1;
  let gzip = -1;
  let star = -1;
  for (const item of header.split(',')) {
    const semi = item.indexOf(';');
    const name = (semi === -1 ? item : item.slice(0, semi)).trim().toLowerCase();
    let q = 1;
    if (semi !== -1) {
      const m = /(?:^|;)\s*q\s*=\s*([^;\s]*)/i.exec(item.slice(semi));
      if (m !== null) {
        // A malformed q-value makes the entry void, as in `negotiateEncoding`.
        if (!QVALUE.test(m[1] ?? '')) continue;
        q = Number(m[1]);
      }
    }
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip, q);
    else if (name === '*') star = q;
  }
  if (br === -1) br = star === -1 ? 0 : star;
  if (gzip === -1) gzip = star === -1 ? 0 : star;
  const out: Encoding[] = [];
  // Preferred by q-value; on a tie brotli first (smaller).
  if (br > 0 && br >= gzip) out.push(ENCODINGS[0]);
  if (gzip > 0) out.push(ENCODINGS[1]);
  if (br > 0 && br < gzip) out.push(ENCODINGS[0]);
  return out;
}

/** A file found under the root: its real path and stats. */
interface Found {
  readonly path: string;
  readonly stats: Stats;
}

/**
 * A handler serving files below `root` for the `{path:path}` parameter of its route. Paths
 * that leave the root (`..`, encoded dots, absolute paths, NUL) are 404; so are symlinks whose
 * target is outside the root, dotfiles (unless `dotfiles`) and directories without an index.
 * Answers conditional requests (304), ranges (206/416) and HEAD, and serves `.br`/`.gz`
 * siblings when the client accepts them; see docs/static-files.md.
 *
 * @example
 * app.get('/assets/{path:path}', createStaticHandler('public', { maxAge: 31536000, immutable: true }))
 */
export function createStaticHandler(root: string, options: StaticOptions = {}): (req: Request) => Promise<Response> {
  const opts = { ...STATIC_DEFAULTS, ...options };
  if (!Number.isInteger(opts.maxAge) || opts.maxAge < 0) throw new RangeError('static maxAge must be a non-negative integer (seconds)');
  if (opts.index !== false && (opts.index === '' || /[/\\\0]/.test(opts.index))) {
    throw new TypeError('static index must be a file name (no slashes)');
  }
  const rootPath = resolve(root);
  const cacheControl = `public, max-age=${opts.maxAge}${opts.immutable ? ', immutable' : ''}`;
  const vary = opts.precompressed ? 'Accept-Encoding' : undefined;
  const dotfiles = opts.dotfiles;
  // Resolved on first use (the folder may be created after the app), then kept.
  let realRoot: string | null = null;
  let rootPrefix = '';

  /** Resolves the root's real path (again, after a deploy switched a symlinked root); false when it is gone. */
  async function resolveRoot(): Promise<boolean> {
    const real = await realpath(rootPath).catch(() => null);
    if (real === null) return false;
    realRoot = real;
    rootPrefix = real.endsWith(sep) ? real : real + sep;
    return true;
  }

  /** The real path and stats of `path` if it exists and its real path is inside the real root. */
  async function lookup(path: string): Promise<Found | null> {
    if (realRoot === null && !(await resolveRoot())) return null;
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      return null; // ENOENT, ENOTDIR, ELOOP, EACCES: all look like "no such file"
    }
    if (real !== realRoot && !real.startsWith(rootPrefix)) {
      // The root may be a symlink that was switched since (a deploy's `current` → a new
      // release): resolve it again before calling the path outside.
      const before = realRoot;
      if (!(await resolveRoot()) || realRoot === before) return null;
    }
    if (real !== realRoot) {
      if (!real.startsWith(rootPrefix)) return null;
      // A symlink inside the root may point at a dotfile inside the root.
      if (!dotfiles && real.includes(`${sep}.`, rootPrefix.length - 1)) return null;
    }
    const stats = await stat(real).catch(() => null);
    return stats === null ? null : { path: real, stats };
  }

  /** The best precompressed sibling of `path` the client accepts, if any exists. */
  async function precompressedSibling(path: string, req: Request): Promise<(Found & { coding: string }) | null> {
    for (const enc of acceptedEncodings(req.headers.get('accept-encoding'))) {
      const found = await lookup(path + enc.suffix);
      if (found?.stats.isFile()) return { ...found, coding: enc.coding };
    }
    return null;
  }

  async function serve(req: Request, path: string, found: Found, typeName: string): Promise<Response> {
    let target = found;
    let contentEncoding: string | undefined;
    // `app.js.gz` asked for by name is itself (application/gzip), never re-encoded.
    if (opts.precompressed && !COMPRESSED_NAME.test(typeName)) {
      const sibling = await precompressedSibling(path, req);
      if (sibling !== null) {
        target = sibling;
        contentEncoding = sibling.coding;
      }
    }
    const spec: ServeSpec = {
      contentType: contentTypeFor(typeName),
      etag: opts.etag,
      lastModified: opts.lastModified,
      cacheControl,
      vary,
      contentEncoding,
    };
    try {
      return await serveFile(target.path, target.stats, spec, req);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(); // deleted meanwhile
      throw err;
    }
  }

  return async function serveStatic(req: Request): Promise<Response> {
    const param = (req.params as Record<string, unknown>).path;
    const segments = safeSegments(typeof param === 'string' ? param : '', dotfiles);
    if (segments === null) throw notFound();
    const trailingSlash = segments.length === 0 || segments[segments.length - 1] === '';
    const relative = segments.join(sep);
    const path = relative === '' ? rootPath : rootPath + sep + relative;
    const found = await lookup(path);
    if (found === null) throw notFound();
    if (found.stats.isFile()) {
      // `app.js/` is not a directory; answering would give relative links the wrong base.
      if (trailingSlash) throw notFound();
      return serve(req, path, found, path);
    }
    if (!found.stats.isDirectory() || opts.index === false) throw notFound();
    const indexPath = (path.endsWith(sep) ? path : path + sep) + opts.index;
    const index = await lookup(indexPath);
    if (index === null || !index.stats.isFile()) throw notFound();
    if (!trailingSlash) {
      // `/static/docs` → `/static/docs/`, so the index page's relative links resolve.
      const raw = req.url.raw;
      const q = raw.indexOf('?');
      return redirect(q === -1 ? `${raw}/` : `${raw.slice(0, q)}/${raw.slice(q)}`, 308);
    }
    return serve(req, indexPath, index, opts.index);
  };
}
