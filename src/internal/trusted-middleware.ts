import type { Response } from '../response.js';

/**
 * Marks a middleware (function or object) whose result is always the `Response` its `callNext`
 * gave (or a promise of it), or an error only where `callNext` failed: Covet's own
 * observability middleware. `compose` calls such a layer directly instead of wrapping it in a
 * `then` that checks its result and turns its errors into responses, and its `callNext` may
 * return the `Response` itself, not a promise, when the layers inside answered at once — so a
 * synchronous handler behind trusted middleware answers without a promise, which counts
 * double while `AsyncLocalStorage` has promise hooks on. Use `afterNext` to handle both. A
 * trusted middleware always calls `callNext(req)` with the request it was given.
 */
export const kTrustedMiddleware: unique symbol = Symbol.for('covet.trustedMiddleware');

/**
 * For trusted middleware: calls `next` (which calls `callNext`) and hands the `Response` to
 * `done` — at once when `next` returned it, once it resolves when it returned a promise. An
 * error, thrown or rejected, goes to `failed`, which rethrows it.
 */
export function afterNext(
  next: () => Response | Promise<Response>,
  done: (res: Response) => Response,
  failed: (err: unknown) => never,
): Response | Promise<Response> {
  let out: Response | Promise<Response>;
  try {
    out = next();
  } catch (err) {
    return failed(err);
  }
  return out instanceof Promise ? out.then(done, failed) : done(out);
}

/** Whether `mw` (a function, or an object's `handle` method) carries the `kTrustedMiddleware` mark. */
export function isTrustedMiddleware(mw: unknown): boolean {
  const fn = typeof mw === 'function' ? mw : typeof mw === 'object' && mw !== null ? (mw as { handle?: unknown }).handle : undefined;
  return typeof fn === 'function' && (fn as { [kTrustedMiddleware]?: unknown })[kTrustedMiddleware] === true;
}

/** Marks `fn` (a middleware function or a `handle` method) as trusted; returns it. */
export function trustMiddleware<F extends (...args: never[]) => unknown>(fn: F): F {
  Object.defineProperty(fn, kTrustedMiddleware, { value: true });
  return fn;
}
