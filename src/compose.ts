import { toResponse } from './http/send.js';
import { isTrustedMiddleware } from './internal/trusted-middleware.js';
import type { Request } from './request.js';
import { Response } from './response.js';
import type { CallNext, Middleware, MiddlewareFunction } from './types.js';

/** Turns any error into a response; never rejects. */
export type ErrorResponder = (err: unknown, req: Request) => Response | Promise<Response>;

/**
 * A composed layer: the `Response`, or a promise of it. A chain of a synchronous handler and
 * Covet's own (trusted) middleware answers without a single promise.
 */
export type Responder = (req: Request) => Response | Promise<Response>;

/** The function form of a middleware (object middleware are called through `handle`). */
export function middlewareFunction(mw: Middleware): MiddlewareFunction {
  if (typeof mw === 'function') return mw;
  const named = { [mw.constructor?.name || 'middleware']: (req: Request, next: Parameters<MiddlewareFunction>[1]) => mw.handle(req, next) };
  return Object.values(named)[0] as MiddlewareFunction;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A middleware's result as a `Response`; a value it cannot become is an error. */
function settle(out: unknown, req: Request, onError: ErrorResponder): Response | Promise<Response> {
  if (out instanceof Response) return out;
  try {
    return toResponse(out);
  } catch (err) {
    return onError(err, req);
  }
}

/** `settle` for what a handler or middleware returned, at once unless it is a promise. */
function settleNow(out: unknown, req: Request, onError: ErrorResponder): Response | Promise<Response> {
  return out instanceof Promise || isThenable(out) ? settleLater(out, req, onError) : settle(out, req, onError);
}

/** `settle` for what a handler or middleware returned: awaited first when it is a promise. */
function settleLater(out: unknown, req: Request, onError: ErrorResponder): Promise<Response> {
  if (out instanceof Promise || isThenable(out)) {
    return Promise.resolve(out).then(
      (value: unknown) => settle(value, req, onError),
      (err: unknown) => onError(err, req),
    );
  }
  return Promise.resolve(settle(out, req, onError));
}

/**
 * The innermost layer: runs the endpoint (dependencies and handler) and turns its value or its
 * error into a `Response` — at once for a synchronous handler, else with one promise, not an
 * async function's two.
 */
export function respondWith(endpoint: (req: Request) => unknown, onError: ErrorResponder): Responder {
  return function handler(req: Request): Response | Promise<Response> {
    let out: unknown;
    try {
      out = endpoint(req);
    } catch (err) {
      return onError(err, req);
    }
    return settleNow(out, req, onError);
  };
}

/** A layer's result as the promise a user's middleware gets from `callNext`. */
function promised(out: Response | Promise<Response>): Promise<Response> {
  return out instanceof Promise ? out : Promise.resolve(out);
}

/**
 * Composes middleware around an endpoint once, when the app compiles its routes. Each layer
 * sees a `Response` from `callNext` — errors thrown further in were already turned into error
 * responses — so an outer middleware (CORS, logging, metrics) sees 401s and 500s too.
 *
 * A layer is a plain function, not an `async` one: it makes one promise per request (the
 * `then` on the middleware's promise) instead of an async function's promise plus its `await`.
 *
 * @example
 * const run = compose([logging, auth], endpoint, respondToError); await run(req)
 */
export function compose(middleware: readonly Middleware[], endpoint: Responder, onError: ErrorResponder): Responder {
  let next = endpoint;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const given = middleware[i] as Middleware;
    const inner = next;
    if (isTrustedMiddleware(given)) {
      // Covet's own middleware take a `callNext` that may return the `Response` itself, and
      // always pass it the request: the next layer is their `callNext`, no closure per request.
      // An object's `handle` is called on it directly, without the wrapper that names it.
      const self = typeof given === 'function' ? undefined : given;
      const handle = typeof given === 'function' ? given : given.handle;
      next = function trustedLayer(req: Request): Response | Promise<Response> {
        try {
          return handle.call(self, req, inner as CallNext);
        } catch (err) {
          return onError(err, req);
        }
      };
      continue;
    }
    const mw = middlewareFunction(given);
    next = function layer(req: Request): Response | Promise<Response> {
      let out: unknown;
      try {
        out = mw(req, (changed?: Request) => promised(inner(changed ?? req)));
      } catch (err) {
        return onError(err, req);
      }
      return settleNow(out, req, onError);
    };
  }
  return next;
}
