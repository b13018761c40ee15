import type { Request } from './request.js';
import { Response } from './response.js';
import { toResponse } from './http/send.js';
import type { Middleware, MiddlewareFunction } from './types.js';

/** Turns any error into a response; never rejects. */
export type ErrorResponder = (err: unknown, req: Request) => Response | Promise<Response>;

/** The function form of a middleware (object middleware are called through `handle`). */
export function middlewareFunction(mw: Middleware): MiddlewareFunction {
  if (typeof mw === 'function') return mw;
  const named = { [mw.constructor?.name || 'middleware']: (req: Request, next: Parameters<MiddlewareFunction>[1]) => mw.handle(req, next) };
  return Object.values(named)[0] as MiddlewareFunction;
}

/**
 * Composes middleware around an endpoint once, when the app compiles its routes. Each layer
 * sees a `Response` from `callNext` — errors thrown further in were already turned into error
 * responses — so an outer middleware (CORS, logging, metrics) sees 401s and 500s too.
 *
 * @example
 * const run = compose([logging, auth], endpoint, respondToError); await run(req)
 */
export function compose(
  middleware: readonly Middleware[],
  endpoint: (req: Request) => Promise<Response>,
  onError: ErrorResponder,
): (req: Request) => Promise<Response> {
  let next = endpoint;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const mw = middlewareFunction(middleware[i] as Middleware);
    const inner = next;
    next = async function layer(req: Request): Promise<Response> {
      try {
        const out = await mw(req, (changed?: Request) => inner(changed ?? req));
        return out instanceof Response ? out : toResponse(out);
      } catch (err) {
        return onError(err, req);
      }
    };
  }
  return next;
}
