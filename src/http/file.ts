import { close, createReadStream, open, read, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { HTTPException } from '../errors.js';
import type { Request } from '../request.js';
import { Response } from '../response.js';
import { evaluatePreconditions, weakEtag } from './etag.js';
import { ifRangeMatches, parseRange } from './range.js';

const UTF8 = '; charset=utf-8';
const TYPES: Readonly<Record<string, string>> = {
  // text
  '.html': `text/html${UTF8}`,
  '.htm': `text/html${UTF8}`,
  '.xhtml': `application/xhtml+xml${UTF8}`,
  '.css': `text/css${UTF8}`,
  '.js': `text/javascript${UTF8}`,
  '.mjs': `text/javascript${UTF8}`,
  '.cjs': `text/javascript${UTF8}`,
  '.json': `application/json${UTF8}`,
  '.map': `application/json${UTF8}`,
  '.jsonld': `application/ld+json${UTF8}`,
  '.webmanifest': `application/manifest+json${UTF8}`,
  '.txt': `text/plain${UTF8}`,
  '.md': `text/markdown${UTF8}`,
  '.csv': `text/csv${UTF8}`,
  '.tsv': `text/tab-separated-values${UTF8}`,
  '.xml': `application/xml${UTF8}`,
  '.rss': `application/rss+xml${UTF8}`,
  '.atom': `application/atom+xml${UTF8}`,
  '.yaml': `application/yaml${UTF8}`,
  '.yml': `application/yaml${UTF8}`,
  '.toml': `application/toml${UTF8}`,
  '.ics': `text/calendar${UTF8}`,
  '.vtt': `text/vtt${UTF8}`,
  // images
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.apng': 'image/apng',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.ico': 'image/x-icon',
  // fonts
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  // audio and video
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.webm': 'video/webm',
  '.ogv': 'video/ogg',
  '.mov': 'video/quicktime',
  '.mpeg': 'video/mpeg',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.weba': 'audio/webm',
  // documents, archives, binaries
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.br': 'application/octet-stream',
  '.zst': 'application/zstd',
  '.xz': 'application/x-xz',
  '.bz2': 'application/x-bzip2',
  '.tar': 'application/x-tar',
  '.7z': 'application/x-7z-compressed',
  '.epub': 'application/epub+zip',
  '.rtf': 'application/rtf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.odt': 'application/vnd.oasis.opendocument.text',
};

/**
 * The content type for a file name (by extension, case-insensitive), `application/octet-stream`
 * when unknown. Text types carry `charset=utf-8`.
 *
 * @example
 * contentTypeFor('app.JS') // 'text/javascript; charset=utf-8'
 */
export function contentTypeFor(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Bodies up to this size are read into memory with one `read` (no stream machinery, and the
 * file descriptor is closed before the handler returns); larger ones are streamed.
 */
export const SMALL_FILE_BYTES = 64 * 1024;
const STREAM_CHUNK_BYTES = 64 * 1024;

/** @internal How `serveFile` answers: everything but the file itself, resolved by the caller. */
export interface ServeSpec {
  readonly contentType: string;
  readonly etag: boolean;
  readonly lastModified: boolean;
  /** `Cache-Control`, sent on 200/206/304. */
  readonly cacheControl?: string | undefined;
  /** `Vary`, sent on 200/206/304. */
  readonly vary?: string | undefined;
  /** `Content-Encoding` of the bytes on disk (a precompressed sibling). */
  readonly contentEncoding?: string | undefined;
  readonly contentDisposition?: string | undefined;
}

/**
 * A file body opened only when it is iterated, so a response that middleware drops, or a HEAD
 * answer, never holds a file descriptor. Ends with an error (which makes Covet cut the
 * connection) if the file shrank under it, so a client never mistakes a short body for a whole one.
 */
async function* fileChunks(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  const expected = end - start + 1;
  const stream = createReadStream(path, { start, end, highWaterMark: STREAM_CHUNK_BYTES });
  let sent = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      sent += chunk.length;
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
  if (sent !== expected) throw new Error(`${path} changed while it was being sent (${sent} of ${expected} bytes)`);
}

/** Reads `length` bytes at `position` with one open/read/close; the callback API is the cheapest here. */
function readSlice(path: string, position: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (openErr, fd) => {
      if (openErr) {
        reject(openErr);
        return;
      }
      const buf = Buffer.allocUnsafe(length);
      let filled = 0;
      const finish = (err: Error | null): void => {
        // Nobody waits on close: its only failure (EBADF) cannot happen on an fd we own.
        close(fd, () => {});
        if (err) reject(err);
        else resolve(buf);
      };
      const next = (): void => {
        read(fd, buf, filled, length - filled, position + filled, (readErr, n) => {
          if (readErr) return finish(readErr);
          if (n === 0) return finish(new Error(`${path} changed while it was being read (${filled} of ${length} bytes)`));
          filled += n;
          if (filled < length) next();
          else finish(null);
        });
      };
      next();
    });
  });
}

function notModified(spec: ServeSpec, etag: string | null, lastModified: string | null): Response {
  // RFC 9110 §15.4.5: the validators and caching headers a 200 would carry, no body metadata.
  const res = new Response(null, { status: 304 });
  if (etag !== null) res.headers.set('etag', etag);
  if (lastModified !== null) res.headers.set('last-modified', lastModified);
  if (spec.cacheControl !== undefined) res.headers.set('cache-control', spec.cacheControl);
  if (spec.vary !== undefined) res.headers.set('vary', spec.vary);
  return res;
}

/**
 * @internal Answers a request for the regular file at `path` whose `stats` the caller just
 * read: preconditions (304/412), `Range` (206/416) with `If-Range`, HEAD without touching the
 * file, small bodies read whole, large ones streamed. Without `req` it is a plain 200.
 *
 * @example
 * serveFile(path, await stat(path), { contentType: 'text/plain', etag: true, lastModified: true }, req)
 */
export async function serveFile(path: string, stats: Stats, spec: ServeSpec, req: Request | undefined): Promise<Response> {
  const size = stats.size;
  const mtimeMs = stats.mtimeMs;
  const etag = spec.etag ? weakEtag(size, mtimeMs) : null;
  const lastModified = spec.lastModified ? new Date(mtimeMs).toUTCString() : null;
  let status = 200;
  let start = 0;
  let end = size - 1;
  let head = false;
  if (req !== undefined) {
    const method = req.method;
    head = method === 'HEAD';
    const headers = req.headers;
    const pre = evaluatePreconditions(headers, etag, spec.lastModified ? mtimeMs : null);
    if (pre === 'not-modified') {
      if (method === 'GET' || head) return notModified(spec, etag, lastModified);
      throw new HTTPException(412, 'Precondition Failed', { code: 'ERR_PRECONDITION_FAILED' });
    }
    if (pre === 'failed') throw new HTTPException(412, 'Precondition Failed', { code: 'ERR_PRECONDITION_FAILED' });
    // Range is defined for GET only (RFC 9110 §14.2): HEAD and others get the whole length.
    const range = method === 'GET' ? headers.get('range') : null;
    if (range !== null) {
      const ifRange = headers.get('if-range');
      if (ifRange === null || ifRangeMatches(ifRange, etag, spec.lastModified ? mtimeMs : null)) {
        const wanted = parseRange(range, size);
        if (wanted.kind === 'unsatisfiable') {
          throw new HTTPException(416, 'Range Not Satisfiable', {
            code: 'ERR_RANGE_NOT_SATISFIABLE',
            headers: { 'content-range': `bytes */${size}`, 'accept-ranges': 'bytes' },
          });
        }
        if (wanted.kind === 'range') {
          status = 206;
          start = wanted.start;
          end = wanted.end;
        }
      }
    }
  }
  const length = end - start + 1;
  let body: Buffer | AsyncIterable<Buffer> | null = null;
  if (!head && length > 0) body = length <= SMALL_FILE_BYTES ? await readSlice(path, start, length) : fileChunks(path, start, end);
  const res = new Response(body, { status });
  const h = res.headers;
  h.set('content-type', spec.contentType);
  h.set('content-length', String(length));
  if (req !== undefined) h.set('accept-ranges', 'bytes');
  if (status === 206) h.set('content-range', `bytes ${start}-${end}/${size}`);
  if (spec.contentEncoding !== undefined) h.set('content-encoding', spec.contentEncoding);
  if (etag !== null) h.set('etag', etag);
  if (lastModified !== null) h.set('last-modified', lastModified);
  if (spec.cacheControl !== undefined) h.set('cache-control', spec.cacheControl);
  if (spec.vary !== undefined) h.set('vary', spec.vary);
  if (spec.contentDisposition !== undefined) h.set('content-disposition', spec.contentDisposition);
  return res;
}

/** Options of `file()`. */
export interface FileOptions {
  /** Overrides the type guessed from the extension. */
  readonly contentType?: string;
  /** Sends `Content-Disposition: attachment` with this download name. */
  readonly downloadName?: string;
  /**
   * The request being answered. With it, `file()` also answers conditional requests
   * (`If-None-Match`/`If-Modified-Since` → 304), byte ranges (`Range` → 206, 416 when
   * unsatisfiable, `If-Range` respected) and HEAD without reading the file.
   */
  readonly request?: Request;
  /** `Cache-Control` to send (none by default). */
  readonly cacheControl?: string;
}

function attachment(downloadName: string): string {
  const name = basename(downloadName);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Sends a file from disk with its length, type, `ETag` and `Last-Modified`; pass the request to
 * get 304s, ranges and HEAD as static files do. A missing file → 404. The path is used as
 * given: never build it from request input (use `app.static` for that).
 *
 * @example
 * app.get('/report', (req) => file('reports/latest.pdf', { downloadName: 'report.pdf', request: req }))
 */
export async function file(path: string, options: FileOptions = {}): Promise<Response> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) throw new HTTPException(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
  const spec: ServeSpec = {
    contentType: options.contentType ?? contentTypeFor(path),
    etag: true,
    lastModified: true,
    cacheControl: options.cacheControl,
    contentDisposition: options.downloadName === undefined ? undefined : attachment(options.downloadName),
  };
  try {
    return await serveFile(path, info, spec, options.request);
  } catch (err) {
    // Deleted between stat and read: the same answer as deleted before.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new HTTPException(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
    throw err;
  }
}
