import type { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { afterNext, trustMiddleware } from '../internal/trusted-middleware.js';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import type { CallNext, MiddlewareFunction } from '../types.js';
import type { ConsoleStore } from './console-store.js';
import { keepBody, type RequestRecord } from './request-record.js';

/** Keeps the request body when the handler read it (it is cached then); one still on the socket stays there. */
function keepRequestBody(req: Request, raw: IncomingMessage | null, record: RequestRecord): void {
  if (raw === null ? !req.headers.has('content-length') : !raw.readableEnded) return;
  req.body().then(
    (bytes) => {
      if (!record.detailsDropped) record.requestBody = keepBody(bytes);
    },
    () => {
      // Streamed with req.stream(), too large, or failed: nothing to show.
    },
  );
}

/**
 * The console's recording middleware, installed at the front of the app's chain: times every
 * request except those of the console's own routes (under `prefix`), runs it inside `requests`
 * (once the app has shown it queries, caches or traces) so that channel messages find their
 * request, and files the record. The hot path copies a few references into one flat record
 * (the Node request's raw header list, the response's status, content type and small body) and
 * keeps neither the `Request` nor the `Response`; redaction happens when the record is looked at.
 * It is a trusted middleware (its result is `callNext`'s): `compose` calls it without a promise
 * layer of its own.
 *
 * @example
 * app.addMiddleware(createRequestRecorder(store, requests, '/_covet'))
 */
export function createRequestRecorder(store: ConsoleStore, requests: AsyncLocalStorage<RequestRecord>, prefix: string): MiddlewareFunction {
  const below = `${prefix}/`;
  const keepDetails = store.options.maxDetails > 0;
  const keepBodies = keepDetails && store.options.bodyLimit > 0;
  return trustMiddleware(function covetConsole(req: Request, callNext: CallNext): Response | Promise<Response> {
    const route = req.route;
    const path = route === null ? null : route.path;
    // The console's own routes (and 401s on them) are not recorded.
    if (path !== null && (path === prefix || path.startsWith(below))) return callNext(req);
    const raw = req.raw;
    // The Node request's `url` is the raw target already; `req.url` would decode the path.
    const record = store.begin(req.method, raw === null ? req.url.raw : (raw.url ?? '/'), path);
    if (keepDetails) record.requestHeaders = raw === null ? req.headers : raw.rawHeaders;
    const attributing = store.attributing;
    if (attributing) record.bound = true;
    return afterNext(
      () => (attributing ? requests.run(record, callNext, req) : callNext(req)),
      (response) => {
        store.finish(record, response);
        if (keepBodies) keepRequestBody(req, raw, record);
        return response;
      },
      (err: unknown) => {
        store.finishWith(record, 500);
        throw err;
      },
    );
  });
}
