import { promisify } from 'node:util';
import { Readable, Transform, pipeline } from 'node:stream';
import {
  brotliCompress,
  constants,
  createBrotliCompress,
  createDeflate,
  createGzip,
  deflate,
  gzip,
  type BrotliOptions,
  type Zlib,
  type ZlibOptions,
} from 'node:zlib';
import type { Request } from '../request.js';
import { type BodyChunk, Response } from '../response.js';
import type { CallNext, MiddlewareObject } from '../types.js';
import { ResponseHeaders } from './headers.js';

/** The content codings Covet produces. */
export const ENCODINGS = ['br', 'gzip', 'deflate'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Options of `CompressionMiddleware`. */
export interface CompressionOptions {
  /**
   * Bodies smaller than this many bytes are sent as they are (compressing them costs more
   * than it saves). Streams of unknown length are always compressed. Default 1024.
   */
  readonly threshold?: number;
  /**
   * The codings offered, in the server's order of preference when the client rates several
   * equally. Default `['br', 'gzip', 'deflate']`.
   */
  readonly encodings?: readonly Encoding[];
  /** gzip and deflate level, 0–9. Default 6 (zlib's default). */
  readonly level?: number;
  /** Brotli quality, 0–11. Default 4: close to gzip's speed with smaller output; 11 is for build steps. */
  readonly brotliQuality?: number;
  /**
   * Decides from the `Content-Type` whether a response is worth compressing. Default
   * `isCompressible`: text, JSON, XML, JavaScript, SVG and other uncompressed formats — not
   * images, audio, video, archives, fonts in WOFF or `text/event-stream`.
   */
  readonly filter?: (contentType: string) => boolean;
}

const COMPRESSION_DEFAULTS: Required<CompressionOptions> = {
  threshold: 1024,
  encodings: ENCODINGS,
  level: 6,
  brotliQuality: 4,
  filter: isCompressible,
};

// Formats that are compressed already: a second pass costs CPU and saves nothing.
const COMPRESSED_APPLICATION = new Set([
  'zip',
  'gzip',
  'x-gzip',
  'x-bzip',
  'x-bzip2',
  'x-xz',
  'x-7z-compressed',
  'x-rar-compressed',
  'vnd.rar',
  'x-compress',
  'x-lzip',
  'x-lzma',
  'zstd',
  'x-zstd',
  'x-brotli',
  'java-archive',
  'pdf',
  'ogg',
  'x-apple-diskimage',
  'vnd.android.package-archive',
  'font-woff',
  'x-font-woff',
]);
const COMPRESSIBLE_IMAGES = new Set(['bmp', 'x-ms-bmp', 'x-icon', 'vnd.microsoft.icon', 'vnd.adobe.photoshop', 'x-portable-pixmap']);

/**
 * Whether a content type is worth compressing: text (but not `text/event-stream`, whose events
 * must reach the browser one by one), JSON, XML, YAML, JavaScript, SVG, WASM, fonts other
 * than WOFF, `application/octet-stream`; not images, audio, video or archives.
 *
 * @example
 * isCompressible('application/json; charset=utf-8') // true
 * isCompressible('image/png') // false
 */
export function isCompressible(contentType: string): boolean {
  const type = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0) return false;
  const top = type.slice(0, slash);
  const sub = type.slice(slash + 1);
  if (type === 'text/event-stream') return false;
  if (top === 'text') return true;
  if (/\+(?:json|xml|text|yaml)$/.test(sub)) return true;
  if (/\+(?:zip|gzip)$/.test(sub)) return false;
  switch (top) {
    case 'image':
      return COMPRESSIBLE_IMAGES.has(sub);
    case 'audio':
    case 'video':
    case 'multipart':
      return false;
    case 'font':
      return sub !== 'woff' && sub !== 'woff2';
    case 'application':
      // Office and OpenDocument files are zip archives.
      return !COMPRESSED_APPLICATION.has(sub) && !sub.startsWith('vnd.openxmlformats-') && !sub.startsWith('vnd.oasis.opendocument.');
    default:
      return true;
  }
}

/** The outcome of content negotiation on `Accept-Encoding`. */
export interface EncodingChoice {
  /** The coding to use, or `null` to send the body as it is. */
  readonly encoding: Encoding | null;
  /** False when the client refused `identity` (`identity;q=0`, or `*;q=0` without `identity`). */
  readonly identityAcceptable: boolean;
}

/** A valid q-value (RFC 9110 §12.4.2): 0 to 1 with up to three decimals. */
export const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Picks a content coding from an `Accept-Encoding` header (RFC 9110 §12.5.3): the highest
 * q-value wins, ties go to the server's order in `available`, `*` stands for every coding not
 * named, `q=0` refuses, and a client that rates `identity` above every coding gets identity.
 * No header → no coding. Entries with a malformed q-value are ignored; `x-gzip` means gzip.
 *
 * @example
 * negotiateEncoding('gzip;q=0.8, br', ['br', 'gzip']) // { encoding: 'br', identityAcceptable: true }
 */
export function negotiateEncoding(header: string | null | undefined, available: readonly Encoding[] = ENCODINGS): EncodingChoice {
  if (header === null || header === undefined) return { encoding: null, identityAcceptable: true };
  const weights = new Map<string, number>();
  for (const item of header.split(',')) {
    const [token = '', ...params] = item.split(';');
    let name = token.trim().toLowerCase();
    if (name === '') continue;
    if (name === 'x-gzip') name = 'gzip';
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = param.slice(eq + 1).trim();
      q = QVALUE.test(value) ? Number(value) : Number.NaN;
    }
    if (Number.isNaN(q) || weights.has(name)) continue;
    weights.set(name, q);
  }
  const star = weights.get('*');
  // identity is acceptable unless refused by name or by `*;q=0`; when only implied, it comes last.
  const identity = weights.get('identity') ?? star ?? Number.MIN_VALUE;
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const coding of available) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  const identityAcceptable = identity > 0;
  if (best !== null && identity > bestQ) best = null;
  return { encoding: best, identityAcceptable };
}

/**
 * Adds a field name to `Vary` unless it (or `*`) is already there.
 *
 * @example
 * appendVary(res.headers, 'Accept-Encoding')
 */
export function appendVary(headers: ResponseHeaders, field: string): void {
  const current = headers.get('vary');
  if (current === null || current.trim() === '') {
    headers.set('vary', field);
    return;
  }
  const names = current.split(',').map((name) => name.trim().toLowerCase());
  if (names.includes('*') || names.includes(field.toLowerCase())) return;
  headers.set('vary', `${current}, ${field}`);
}

const gzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gzip);
const deflateAsync = promisify<Buffer, ZlibOptions, Buffer>(deflate);
const brotliAsync = promisify<Buffer, BrotliOptions, Buffer>(brotliCompress);

function hasNoTransform(cacheControl: string | null): boolean {
  if (cacheControl === null) return false;
  return cacheControl.split(',').some((directive) => directive.trim().toLowerCase() === 'no-transform');
}

/**
 * Compresses responses with brotli, gzip or deflate (`node:zlib`), chosen by the request's
 * `Accept-Encoding` q-values. Whole bodies are compressed off the main thread; streamed bodies
 * are compressed as they flow, with backpressure (a slow client pauses the producer).
 *
 * `HEAD` requests get the headers a `GET` would (`Content-Encoding`, `Vary`, a weak `ETag`) without
 * a `Content-Length`. Left alone: 1xx, 204, 206 and 304 responses; responses with a
 * `Content-Encoding` already (precompressed static files), a `Content-Range`, or
 * `Cache-Control: no-transform`; content types the `filter` refuses (images, video, archives,
 * `text/event-stream`…); bodies under `threshold` bytes. Every compressible response gets
 * `Vary: Accept-Encoding`; a compressed one loses `Content-Length` and `Accept-Ranges`, and a
 * strong `ETag` becomes weak (the bytes differ from the identity representation's).
 *
 * @example
 * app.addMiddleware(new CompressionMiddleware({ threshold: 512 }));
 */
export class CompressionMiddleware implements MiddlewareObject {
  readonly #opts: Required<CompressionOptions>;

  constructor(options: CompressionOptions = {}) {
    const opts = { ...COMPRESSION_DEFAULTS, ...options };
    if (!Number.isInteger(opts.threshold) || opts.threshold < 0) {
      throw new RangeError('CompressionMiddleware threshold must be a non-negative integer');
    }
    if (!Number.isInteger(opts.level) || opts.level < 0 || opts.level > 9) {
      throw new RangeError('CompressionMiddleware level must be an integer from 0 to 9');
    }
    if (!Number.isInteger(opts.brotliQuality) || opts.brotliQuality < 0 || opts.brotliQuality > 11) {
      throw new RangeError('CompressionMiddleware brotliQuality must be an integer from 0 to 11');
    }
    for (const coding of opts.encodings) {
      if (!(ENCODINGS as readonly string[]).includes(coding)) {
        throw new TypeError(`CompressionMiddleware cannot produce ${JSON.stringify(coding)}`);
      }
    }
    this.#opts = { ...opts, encodings: [...new Set(opts.encodings)] };
  }

  async handle(req: Request, callNext: CallNext): Promise<Response> {
    const res = await callNext(req);
    const status = res.status;
    const body = res.body;
    const head = req.method === 'HEAD';
    // A HEAD answer may have no body yet a GET's headers (a file's Content-Length).
    if ((body === null && !head) || status < 200 || status === 204 || status === 206 || status === 304) return res;
    const headers = res.headers;
    if (headers.has('content-encoding') || headers.has('content-range') || hasNoTransform(headers.get('cache-control'))) return res;
    const type = headers.get('content-type');
    if (type === null || !this.#opts.filter(type)) return res;
    appendVary(headers, 'Accept-Encoding');
    const { encoding, identityAcceptable } = negotiateEncoding(req.headers.get('accept-encoding'), this.#opts.encodings);
    if (encoding === null) return res;
    const whole = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Uint8Array ? body : null;
    // A client that refuses identity gets a compressed body whatever its size.
    if (identityAcceptable) {
      const declared = Number(headers.get('content-length') ?? Number.NaN);
      const size = whole !== null ? whole.byteLength : declared;
      if (size < this.#opts.threshold) return res;
    }
    // A new Response rather than edits to the handler's: one it keeps and returns again (a
    // cached page) must not come back already encoded for the next client.
    const out = new ResponseHeaders(headers);
    out.set('content-encoding', encoding);
    out.delete('content-length');
    out.delete('accept-ranges');
    const etag = out.get('etag');
    if (etag?.startsWith('"')) out.set('etag', `W/${etag}`);
    // HEAD gets the headers the GET would (a cache may update its stored GET from them), with
    // no Content-Length: the compressed length is unknown without compressing, and RFC 9110
    // §8.6 allows none but the GET's. An empty stream body keeps one from being added.
    if (head) return new Response([], { status, headers: out });
    const text = /^text\/|json|xml|javascript/i.test(type);
    let encoded: Buffer | Readable;
    if (whole !== null) {
      const input = Buffer.isBuffer(whole) ? whole : Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength);
      encoded = await this.#compressWhole(encoding, input, text);
    } else {
      encoded = compressStream(body as Exclude<typeof body, string | Uint8Array | null>, this.#createStream(encoding, text));
    }
    return new Response(encoded, { status, headers: out });
  }

  #compressWhole(encoding: Encoding, input: Buffer, text: boolean): Promise<Buffer> {
    if (encoding === 'gzip') return gzipAsync(input, { level: this.#opts.level });
    if (encoding === 'deflate') return deflateAsync(input, { level: this.#opts.level });
    return brotliAsync(input, { params: this.#brotliParams(text, input.byteLength) });
  }

  #createStream(encoding: Encoding, text: boolean): Transform & Zlib {
    if (encoding === 'gzip') return createGzip({ level: this.#opts.level });
    if (encoding === 'deflate') return createDeflate({ level: this.#opts.level });
    return createBrotliCompress({ params: this.#brotliParams(text, 0) });
  }

  #brotliParams(text: boolean, sizeHint: number): Record<number, number> {
    const params: Record<number, number> = {
      [constants.BROTLI_PARAM_QUALITY]: this.#opts.brotliQuality,
      [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
    };
    if (sizeHint > 0) params[constants.BROTLI_PARAM_SIZE_HINT] = sizeHint;
    return params;
  }
}

/**
 * Pipes a streamed body through a zlib stream. `pipeline` carries backpressure both ways and
 * tears both ends down together: when the client goes away the writer destroys the zlib stream,
 * which ends the producer (its `finally` runs); when the producer fails, the zlib stream fails
 * and the writer cuts the connection.
 */
function compressStream(
  body: Readable | ReadableStream<Uint8Array> | AsyncIterable<BodyChunk> | Iterable<BodyChunk>,
  zlib: Transform & Zlib,
): Readable {
  // objectMode off: a chunk that is not a string or bytes fails the stream instead of being coerced.
  const source =
    body instanceof Readable ? body : Readable.from(body as AsyncIterable<BodyChunk> | Iterable<BodyChunk>, { objectMode: false });
  pipeline(source, flushWhenIdle(zlib), zlib, () => {
    // Errors reach the reader through `zlib`, which pipeline destroys with them.
  });
  return zlib;
}

/**
 * Passes chunks through, and flushes `zlib` once the producer pauses: when no further chunk has
 * arrived by the next turn of the event loop. zlib otherwise holds data back until it fills a
 * block, so a slowly produced stream (progress lines, a log tail, NDJSON) would reach the
 * client only at its end; a fast producer still fills whole blocks between flushes.
 */
function flushWhenIdle(zlib: Transform & Zlib): Transform {
  let idle: NodeJS.Immediate | undefined;
  let waiting = false;
  const flush = (): void => {
    idle = undefined;
    if (zlib.destroyed || zlib.writableEnded) return;
    // Chunks still queued here (the client is slow, zlib's buffer is full) are flushed once
    // zlib has taken them.
    if (passer.readableLength > 0) {
      if (!waiting) {
        waiting = true;
        zlib.once('drain', () => {
          waiting = false;
          idle ??= setImmediate(flush);
        });
      }
      return;
    }
    zlib.flush();
  };
  const passer = new Transform({
    transform(chunk, _encoding, callback) {
      if (idle !== undefined) clearImmediate(idle);
      idle = setImmediate(flush);
      callback(null, chunk);
    },
    flush(callback) {
      if (idle !== undefined) clearImmediate(idle);
      idle = undefined;
      callback();
    },
    destroy(err, callback) {
      if (idle !== undefined) clearImmediate(idle);
      idle = undefined;
      callback(err);
    },
  });
  return passer;
}
