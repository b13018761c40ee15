/**
 * Marks a middleware (function or object) whose result is always the `Response` its `callNext`
 * resolved to, or a rejection only where `callNext` rejected: Covet's own observability
 * middleware. `compose` calls such a layer directly instead of wrapping it in a `then` that
 * checks its result and turns its errors into responses — one promise less per layer and
 * request, which counts double while `AsyncLocalStorage` has promise hooks on.
 */
export const kTrustedMiddleware: unique symbol = Symbol.for('covet.trustedMiddleware');

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
