import type { IncomingMessage } from 'node:http';
import { HTTPException } from '../errors.js';

/** The default largest request body: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function payloadTooLarge(limit: number): HTTPException {
  return new HTTPException(413, `Payload Too Large: the body exceeds ${limit} bytes`, { code: 'ERR_BODY_TOO_LARGE' });
}

/**
 * Reads a Node request body into one Buffer, refusing more than `limit` bytes: at once when
 * `Content-Length` says so, else as soon as the stream passes the limit.
 */
export function readNodeBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(payloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading; the response carries `Connection: close` so the rest is never parsed.
        req.pause();
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new HTTPException(400, 'Request body could not be read', { code: 'ERR_BODY_READ', cause: err }));
    };
    const onClose = (): void => {
      if (!req.complete) onError(new Error('client closed the connection before the body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Whether a request body source is a web `ReadableStream` (`app.handle()`), not a Node request. */
export function isWebStream(source: object): source is ReadableStream<Uint8Array> {
  return typeof (source as { getReader?: unknown }).getReader === 'function';
}

/** Bytes of a web stream chunk as a Buffer, without copying. */
function chunkBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * A web `ReadableStream` body (`app.handle()`) chunk by chunk, with `readNodeBody`'s rules:
 * refused at once when `Content-Length` (`declared`) is over `limit`, else cancelled as soon as
 * it passes the limit — or when the reader stops early. Never buffered whole first.
 */
export async function* webBodyChunks(
  body: ReadableStream<Uint8Array>,
  declared: string | undefined,
  limit: number,
): AsyncGenerator<Buffer, void, undefined> {
  if (declared !== undefined && Number(declared) > limit) {
    body.cancel().catch(() => {});
    throw payloadTooLarge(limit);
  }
  const reader = body.getReader();
  let size = 0;
  let ended = false;
  try {
    for (;;) {
      let step: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
      try {
        step = await reader.read();
      } catch (err) {
        ended = true;
        throw new HTTPException(400, 'Request body could not be read', { code: 'ERR_BODY_READ', cause: err });
      }
      if (step.done) {
        ended = true;
        return;
      }
      size += step.value.byteLength;
      if (size > limit) throw payloadTooLarge(limit);
      if (step.value.byteLength > 0) yield chunkBuffer(step.value);
    }
  } finally {
    if (!ended) reader.cancel().catch(() => {});
  }
}

/** `webBodyChunks` gathered into one Buffer. */
export async function readWebBody(body: ReadableStream<Uint8Array>, declared: string | undefined, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of webBodyChunks(body, declared, limit)) chunks.push(chunk);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** The media type of a `Content-Type` value, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined | null): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * A body's bytes as UTF-8 text, without a leading byte order mark: what the Fetch API's
 * `text()` gives, and what JSON parsers (Fastify's, Python's) accept — some Windows tools write
 * one ahead of a JSON or text body.
 *
 * @example
 * decodeUtf8(Buffer.from('\ufeff{"a":1}')) // '{"a":1}'
 */
export function decodeUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** `application/json` and every `+json` type (`application/problem+json`, …). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

// `__proto__` keys, and `constructor` keys holding a `prototype`, are how JSON bodies poison
// prototypes once merged into other objects; they are dropped while parsing.
function dropPoisonedKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value) return undefined;
  return value;
}

// Keys may be written with escapes (`"\u005f_proto__"`), so any `\u` sends the text the slow way.
function mayHidePoison(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

/**
 * The deepest nesting of arrays and objects a JSON body may have. `JSON.parse` accepts any depth,
 * but what comes next does not: `JSON.stringify` (a handler echoing the body), a recursive
 * validator or a merge overflows the stack a few thousand levels down — a 500 for a client's
 * input. Go's `encoding/json` stops at 10 000, serde_json at 128; real documents stay far below.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whether a parsed JSON value nests arrays and objects more than `max` levels deep. `text` is the
 * JSON it came from: text of `2 * max + 1` characters or fewer cannot hold such nesting, so
 * ordinary bodies skip the walk. The walk is iterative (no stack to overflow) and stops at the
 * first value too deep; it visits each array and object at most once.
 *
 * @example
 * jsonDeeperThan(JSON.parse('[[1]]'), '[[1]]'.padEnd(10), 1) // true
 */
export function jsonDeeperThan(value: unknown, text: string, max: number): boolean {
  if (text.length <= 2 * max + 1 || value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    const depth = (depths.pop() as number) + 1;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child === null || typeof child !== 'object') continue;
      if (depth > max) return true;
      stack.push(child);
      depths.push(depth);
    }
  }
  return false;
}

function tooDeep(): HTTPException {
  return new HTTPException(400, 'JSON in request body is nested too deeply', { code: 'ERR_JSON_TOO_DEEP' });
}

/**
 * `JSON.parse` with Covet's rules: empty or malformed text → 400, nesting deeper than
 * `MAX_JSON_DEPTH` → 400, poisoned keys removed.
 *
 * @example
 * parseJsonBody('{"__proto__":{"admin":true},"a":1}') // { a: 1 }
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new HTTPException(400, 'Request body is empty; expected JSON', { code: 'ERR_EMPTY_JSON' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HTTPException(400, 'Malformed JSON in request body', { code: 'ERR_MALFORMED_JSON' });
  }
  const screened = screenJson(value, text);
  if (screened === TOO_DEEP) throw tooDeep();
  return screened;
}

/** What `screenJson` returns for a value nested deeper than `MAX_JSON_DEPTH`. */
export const TOO_DEEP: unique symbol = Symbol('json too deep');

/**
 * Covet's rules for a value `JSON.parse(text)` gave: `TOO_DEEP` when it nests deeper than
 * `MAX_JSON_DEPTH`, else the value with its poisoned keys removed (parsed again, only when the
 * text could hide one). Shared by request bodies and `ws.receiveJson()`.
 *
 * @example
 * screenJson(JSON.parse('{"__proto__":{"x":1},"a":1}'), '{"__proto__":{"x":1},"a":1}') // { a: 1 }
 */
export function screenJson(value: unknown, text: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (jsonDeeperThan(value, text, MAX_JSON_DEPTH)) return TOO_DEEP;
  if (!mayHidePoison(text)) return value;
  try {
    return JSON.parse(text, dropPoisonedKeys);
  } catch {
    // The reviver walks the value recursively; within MAX_JSON_DEPTH it should not overflow.
    return TOO_DEEP;
  }
}

/**
 * A 415 for a body sent with a `Content-Encoding` (gzip, br…): Covet does not decompress
 * request bodies, so parsing the encoded bytes as text, JSON or a form would hand the handler
 * garbage (or a misleading 400). `null` when there is no coding or only `identity`.
 * RFC 9110 §15.5.16: the answer names what is accepted in `Accept-Encoding`.
 *
 * @example
 * unsupportedBodyEncoding('gzip') // HTTPException 415 "Unsupported Content-Encoding: gzip"
 */
export function unsupportedBodyEncoding(header: string | string[] | undefined): HTTPException | null {
  if (header === undefined) return null;
  const codings = String(header)
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return null;
  return new HTTPException(415, `Unsupported Content-Encoding: ${codings.join(', ').slice(0, 100)}`, {
    code: 'ERR_UNSUPPORTED_CONTENT_ENCODING',
    headers: { 'accept-encoding': 'identity' },
  });
}
