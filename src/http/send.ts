import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { type BodyChunk, kLazyHeaders, kOnlyContentType, Response, type ResponseBody, typedBody } from '../response.js';
import { endSoon } from './end-soon.js';
import { NULL_PROTO } from './url-encoded.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const OCTET_TYPE = 'application/octet-stream';

/** A `[body, status]` or `[body, status, headers]` return value. */
export function isTuple(value: readonly unknown[]): boolean {
  if (value.length !== 2 && value.length !== 3) return false;
  const status = value[1];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return false;
  if (value.length === 2) return true;
  const headers = value[2];
  return typeof headers === 'object' && headers !== null && !Array.isArray(headers);
}

/** A body that streams: async iterables, web and Node streams, iterators (not arrays, Maps, Sets). */
export function isStreamBody(value: object): boolean {
  if (Symbol.asyncIterator in value || value instanceof ReadableStream || value instanceof Readable) return true;
  // A sync generator (or any iterator object) streams too; arrays, Maps and Sets are data.
  return Symbol.iterator in value && typeof (value as { next?: unknown }).next === 'function';
}

/** A response with one content type; its header map is only built if a middleware reads it. */
function typedResponse(body: string | Uint8Array | ResponseBody, type: string, status = 200): Response {
  return typedBody(body, type, status);
}

/**
 * True for a Fetch API `Response` (the global class, which `fetch()` returns and which a
 * handler gets when it uses `Response` without importing Covet's).
 */
export function isWebResponse(value: unknown): value is globalThis.Response {
  return typeof globalThis.Response === 'function' && value instanceof globalThis.Response;
}

// Headers of the connection a `fetch()` response came over, not of the response itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * A Fetch API `Response` as Covet's: its status, headers (every `Set-Cookie`) and streamed body.
 * The framing headers are left for the server to write, and a `fetch()` response (one with a
 * `url`) loses its `Content-Encoding` too: `fetch` has already decoded the body.
 */
function fromWebResponse(web: globalThis.Response): Response {
  const fetched = web.url !== '';
  const headers: [string, string][] = [];
  for (const [name, value] of web.headers) {
    if (!HOP_BY_HOP.has(name) && !(fetched && name === 'content-encoding')) headers.push([name, value]);
  }
  return new Response(web.body, { status: web.status, headers });
}

/**
 * Turns what a handler returned into a `Response` (the return-value table in docs/core.md):
 * objects, arrays, numbers and booleans → JSON; strings → text; bytes → octet-stream;
 * `[body, status, headers?]` tuples; streams; a Fetch API `Response` → its status, headers and
 * body; `undefined`/`null` → 204.
 */
export function toResponse(result: unknown): Response {
  if (result instanceof Response) return result;
  // The common case first: an object literal is JSON, without the checks for bytes, streams,
  // tuples and Fetch responses (each a walk up the prototype chain).
  if (isJsonObject(result)) {
    const body = JSON.stringify(result) as string | undefined;
    // `undefined` only from an own `toJSON` that returns nothing: the general path reports it.
    if (body !== undefined) return typedResponse(body, JSON_TYPE);
  }
  if (isWebResponse(result)) return fromWebResponse(result);
  if (result === undefined || result === null) return new Response(null, { status: 204 });
  if (typeof result === 'string') return typedResponse(result, TEXT_TYPE);
  if (typeof result === 'object') {
    if (Array.isArray(result) && isTuple(result)) {
      const inner = result[0] instanceof Response ? result[0] : toResponse(result[0] ?? null);
      inner.status = result[1] as number;
      const extra = result[2] as Record<string, string> | Headers | Map<string, string> | undefined;
      if (extra) {
        // A fetch `Headers` or a `Map` is iterated (`Object.entries` would see no fields); a record is read by key.
        const pairs = extra instanceof Headers || extra instanceof Map ? extra : Object.entries(extra);
        for (const [k, v] of pairs) inner.headers.set(k, String(v));
      }
      // `[null, 201]` is an empty 201, not a 204.
      return inner;
    }
    if (result instanceof Uint8Array) return typedResponse(result, OCTET_TYPE);
    if (isStreamBody(result)) return typedResponse(result as ResponseBody, OCTET_TYPE);
  }
  if (typeof result === 'bigint') throw new TypeError('A handler returned a bigint, which JSON cannot represent');
  const body = JSON.stringify(result);
  if (body === undefined) throw new TypeError(`A handler returned a ${typeof result}, which has no JSON form`);
  return typedResponse(body, JSON_TYPE);
}

/** True for object literals and prototype-free records (`req.query`): the JSON fast path. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || proto === NULL_PROTO;
}

/**
 * True for an object literal that is not an iterable one: what a handler's value is written as
 * JSON for without further checks. (`{ async *[Symbol.asyncIterator]() {…} }` streams.)
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && !(Symbol.asyncIterator in value) && !(Symbol.iterator in value);
}

/**
 * True for class instances with a `toJSON` method (ORM models, `Date`): written as JSON by the
 * fast path too, as `toResponse` would (not arrays, bytes, streams or responses).
 */
export function isJsonModel(value: unknown): value is { toJSON(): unknown } {
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON !== 'function') return false;
  return !(Array.isArray(value) || value instanceof Response || value instanceof Uint8Array || isStreamBody(value));
}

/** Writes a JSON value with a precomputed header block; the hot path for `return {...}`. */
export function writeJson(res: ServerResponse, status: number, data: unknown, close: boolean): void {
  const body = JSON.stringify(data);
  const headers = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))];
  if (close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  endSoon(res, body);
}

export function noBodyStatus(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** Closes an unread stream body (HEAD, 204, client gone) so its producer can clean up. */
export async function discard(body: ResponseBody): Promise<void> {
  if (body === null || typeof body !== 'object' || body instanceof Uint8Array) return;
  if (body instanceof Readable) body.destroy();
  else if (body instanceof ReadableStream) await body.cancel().catch(() => {});
  else if (Symbol.asyncIterator in body) await (body as AsyncIterable<BodyChunk>)[Symbol.asyncIterator]().return?.();
  // A sync generator's `finally` deserves to run too.
  else if (Symbol.iterator in body) (body as Iterable<BodyChunk>)[Symbol.iterator]().return?.();
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

type ChunkIterator = Iterator<BodyChunk> | AsyncIterator<BodyChunk>;

/**
 * How a streamed body fails when the client leaves before its end: the request did not
 * complete, so generator dependencies get this at their `yield` (a transaction rolls back).
 */
export class ClientClosedError extends Error {
  constructor() {
    super('The client closed the connection');
    this.name = 'ClientClosedError';
  }
}

/**
 * The next chunk, or `null` as soon as the client is gone — so an idle stream (an SSE feed
 * waiting for events) notices a disconnect at once, not at its next write. One listener per
 * step, removed again: racing a long-lived promise would pile up reactions.
 */
function nextOrGone(iterator: ChunkIterator, res: ServerResponse): Promise<IteratorResult<BodyChunk> | null> {
  if (res.destroyed) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const gone = (): void => resolve(null);
    res.once('close', gone);
    Promise.resolve(iterator.next()).then(
      (step) => {
        res.off('close', gone);
        resolve(step);
      },
      (err: unknown) => {
        res.off('close', gone);
        reject(err);
      },
    );
  });
}

/** The iterator of a streamed body, async or not. */
export function iteratorOf(body: AsyncIterable<BodyChunk> | Iterable<BodyChunk>): ChunkIterator {
  return Symbol.asyncIterator in body
    ? (body as AsyncIterable<BodyChunk>)[Symbol.asyncIterator]()
    : (body as Iterable<BodyChunk>)[Symbol.iterator]();
}

function checkChunk(chunk: unknown): BodyChunk {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw new TypeError('A streamed body must yield strings or bytes');
  return chunk;
}

/**
 * Ends a streamed body's producer early. A Node stream (a file, a compressor fed by a
 * generator) is destroyed: its iterator's `return()` does nothing while a read is pending, and
 * a destroyed compressor stops its source too. Otherwise `return()`, not awaited: an async
 * generator busy in an `await` only returns at its next `yield`.
 */
function stopProducer(body: object, iterator: ChunkIterator): void {
  if (body instanceof Readable) body.destroy();
  else void Promise.resolve(iterator.return?.()).catch(() => {});
}

/**
 * In-process twin of `pipeIterable`'s start: waits for a streamed body's first non-empty chunk
 * (the moment a socket response writes its head) and returns a body that yields it, then the
 * rest. A source that fails before that is stopped and its error thrown, so the caller can
 * still answer with an error response, as over a socket.
 */
export async function startStream(body: AsyncIterable<BodyChunk> | Iterable<BodyChunk>): Promise<AsyncIterableIterator<BodyChunk>> {
  const iterator = iteratorOf(body);
  let first: IteratorResult<BodyChunk>;
  try {
    do first = await iterator.next();
    while (!first.done && checkChunk(first.value).length === 0);
  } catch (err) {
    stopProducer(body, iterator);
    throw err;
  }
  let pending: IteratorResult<BodyChunk> | null = first;
  const started: AsyncIterableIterator<BodyChunk> = {
    next: async () => {
      if (pending === null) return iterator.next();
      const step = pending;
      pending = null;
      return step;
    },
    return: async (value?: unknown) => {
      pending = null;
      return (await iterator.return?.(value as BodyChunk)) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => started,
  };
  return started;
}

/**
 * Streams an iterable body with backpressure: waits for `drain` whenever the socket is full.
 * Rejects with `ClientClosedError` when the client leaves before the end.
 * The head is written with the first chunk (HTTP/1.1 sends it then anyway), so a source that
 * fails before producing anything leaves `res.headersSent` false and the caller can still
 * answer with an error response, as Fastify does.
 */
async function pipeIterable(
  res: ServerResponse,
  body: AsyncIterable<BodyChunk> | Iterable<BodyChunk>,
  status: number,
  headers: string[],
): Promise<void> {
  const iterator = iteratorOf(body);
  let finished = false;
  try {
    for (;;) {
      const step = await nextOrGone(iterator, res);
      if (step === null) throw new ClientClosedError();
      if (step.done) {
        finished = true;
        break;
      }
      const chunk = checkChunk(step.value);
      if (chunk.length === 0) continue;
      if (!res.headersSent) res.writeHead(status, headers);
      if (!res.write(chunk)) await waitForDrain(res);
    }
  } finally {
    // Ends the producer when the client left early or the loop threw.
    if (!finished) stopProducer(body, iterator);
  }
  if (!res.headersSent) res.writeHead(status, headers);
  res.end();
}

/**
 * Writes a `Response` to a Node response. A string or bytes body is written at once and nothing
 * is returned; a stream returns a promise that settles after its last chunk. A stream that fails
 * midway destroys the connection so the client sees a truncated response, not a clean end; one
 * that fails before its first chunk rejects with nothing written (`res.headersSent` is false).
 */
export function writeResponse(res: ServerResponse, response: Response, head: boolean, close: boolean): Promise<void> | undefined {
  const onlyType = response[kOnlyContentType]();
  if (onlyType !== null) {
    // A handler's value that no middleware touched: one precomputed header block.
    const body = response.body;
    const status = response.status;
    if ((typeof body === 'string' || body instanceof Uint8Array) && !noBodyStatus(status)) {
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      const headers = ['content-type', onlyType, 'content-length', String(length)];
      const lazy = response[kLazyHeaders]();
      if (lazy !== null) for (let i = 0; i < lazy.length; i++) headers.push(lazy[i] as string);
      if (close) headers.push('connection', 'close');
      res.writeHead(status, headers);
      endSoon(res, body);
      return undefined;
    }
  }
  const headers = response.headers.flatInto([]);
  if (close && !response.headers.has('connection')) headers.push('connection', 'close');
  const status = response.status;
  const body = response.body;
  if (body === null || noBodyStatus(status)) {
    if (!noBodyStatus(status) && !response.headers.has('content-length')) headers.push('content-length', '0');
    res.writeHead(status, headers);
    endSoon(res);
    return body === null ? undefined : discard(body);
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    if (!response.headers.has('content-length')) {
      headers.push('content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
    }
    res.writeHead(status, headers);
    endSoon(res, body);
    return undefined;
  }
  if (head) {
    res.writeHead(status, headers);
    res.end();
    return discard(body);
  }
  return pipeIterable(res, body as AsyncIterable<BodyChunk>, status, headers);
}

/** Collects a `Response` body into one Buffer (in-process dispatch). */
export async function collectBody(response: Response, head: boolean): Promise<Buffer> {
  const body = response.body;
  if (body === null || head || noBodyStatus(response.status)) {
    await discard(body);
    return Buffer.alloc(0);
  }
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<BodyChunk>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
