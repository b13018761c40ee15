import type { Request } from '../request.js';
import type { RequestState } from '../types.js';

/** Any request, whatever its params, body and query types. */
export type AnyRequest = Request<unknown, unknown, unknown>;

/**
 * A request whose `req.state.user` is known to be set (inside `requireToken`,
 * `requirePermission`, `requireRole`).
 *
 * @example
 * const show = (req: WithUser<Request, { sub: string }>) => req.state.user.sub
 */
export type WithUser<R, U> = R & { readonly state: RequestState & { user: U } };

/** A handler as the security wrappers take and return it: `(req, deps) => result`. */
export type GuardedHandler<R, D, U> = (req: WithUser<R, U>, deps: D) => unknown;

/** A wrapped handler: same request and deps types as the route expects (sync when it can be). */
export type WrappedHandler<R, D> = (req: R, deps: D) => unknown;
