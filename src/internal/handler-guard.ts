import type { Request } from '../request.js';

/** A check a handler wrapper makes before calling the handler it wraps (a token, a role). */
export type HandlerGuard = (req: Request) => void | Promise<void>;

const kGuard = Symbol('covet.handlerGuard');

interface GuardMark {
  readonly guard: HandlerGuard;
  readonly inner: unknown;
}

/**
 * Marks `wrapper` as nothing but `guard` followed by a call of `inner` with the same arguments
 * (`requireToken(handler)`, `rbac.requireRole(role, handler)`), so that a route with input
 * schemas can run the check before validating, as FastAPI runs an auth dependency before the
 * body's validation: an anonymous request is a 401, not a 400 listing the schema's errors.
 * Returns `wrapper`.
 */
export function markGuard<F extends object>(wrapper: F, guard: HandlerGuard, inner: unknown): F {
  Object.defineProperty(wrapper, kGuard, { value: { guard, inner } satisfies GuardMark });
  return wrapper;
}

/**
 * The guards of the chain of guard wrappers around a handler, outermost first, and the
 * function inside them (the handler itself, or the first wrapper that is more than a guard).
 */
export function unwrapGuards(handler: unknown): { readonly guards: readonly HandlerGuard[]; readonly inner: unknown } {
  const guards: HandlerGuard[] = [];
  let inner = handler;
  for (;;) {
    const mark = typeof inner === 'function' ? (inner as { [kGuard]?: GuardMark })[kGuard] : undefined;
    if (mark === undefined) return { guards, inner };
    guards.push(mark.guard);
    inner = mark.inner;
  }
}
