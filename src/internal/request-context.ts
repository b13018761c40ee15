import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What Covet's observability keeps per async context — the current span and the fields of
 * log lines — in one store. One `AsyncLocalStorage` instead of one per feature: on Node 20
 * every storage costs every promise and callback the process creates while it is in use.
 *
 * The first of `TracingMiddleware`, `logger.middleware()` and Sentry's request scope to see a
 * request opens its store (`request` set); the others fill in their part of that same store
 * instead of opening another. Nested contexts (`trace()`, `logger.context()`) copy the store.
 */
export interface ContextStore {
  /** The request the store was opened for, if a request middleware opened it. */
  readonly request: object | undefined;
  /** The current span (a tracing `ActiveSpan`). */
  span: unknown;
  /** The tracer that made `span`. */
  tracer: unknown;
  /** Fields added to every log line. */
  log: Readonly<Record<string, unknown>> | undefined;
}

/** The store of the calling code's async context (nested contexts always run in it). */
export const contextStorage = new AsyncLocalStorage<ContextStore>();

/** The slot of a `Request` that holds the store its request middleware opened. */
export const kContextStore: unique symbol = Symbol('covet.contextStore');

/**
 * Request contexts are tracked only in apps that use them. On Node 20 an `AsyncLocalStorage`
 * in use runs a hook for every promise and callback of the process: about 13% of a small
 * route's throughput. Many apps never ask for the current span or log fields inside a request
 * — the request middleware themselves hold their request's store — so:
 *
 * - The first `LEARNING_REQUESTS` requests run inside `contextStorage` (`learning`). Code that
 *   asks for the context during a request (`currentContext()`: a log line, `trace()`,
 *   `currentSpan()`…) marks the app as one that uses it: requests are `tracked` from then on.
 * - If none asked, the storage is turned off and requests run `untracked`: their store is
 *   current only while their synchronous part runs (`syncStore`). Should code ask after all,
 *   tracking turns on for good: asked from a request's synchronous part, that request's store
 *   is entered for the rest of it; every later request runs inside `contextStorage`. Code that
 *   asks from anywhere else — after an `await` of a request in flight, or a timer that belongs
 *   to no request — gets no context that once: nothing tells the two apart, and a background
 *   job must never take on (and keep) a request's correlation id or trace.
 */
const LEARNING = 0;
const UNTRACKED = 1;
const TRACKED = 2;
const LEARNING_REQUESTS = 1000;
let mode: typeof LEARNING | typeof UNTRACKED | typeof TRACKED = LEARNING;
let learningLeft = LEARNING_REQUESTS;
/** While untracked: the store of the request whose synchronous part runs now. */
let syncStore: ContextStore | undefined;
/** Requests whose store is open (while not tracked). */
let inFlight = 0;

/** How requests run now: inside `contextStorage` (`learning`, `tracked`) or not (`untracked`). */
export function contextTracking(): 'learning' | 'untracked' | 'tracked' {
  return mode === LEARNING ? 'learning' : mode === UNTRACKED ? 'untracked' : 'tracked';
}

/** @internal Tests only: start over, learning for `learningRequests` requests (0: untracked at once). */
export function resetContextTracking(learningRequests = LEARNING_REQUESTS): void {
  mode = learningRequests > 0 ? LEARNING : UNTRACKED;
  learningLeft = learningRequests;
  syncStore = undefined;
  inFlight = 0;
}

/**
 * The calling code's context, for code that uses it (log lines, spans): asked for during a
 * request, it makes requests tracked.
 */
export function currentContext(): ContextStore | undefined {
  if (mode === TRACKED) return contextStorage.getStore();
  if (mode === LEARNING) {
    const store = contextStorage.getStore();
    if (inFlight > 0) mode = TRACKED;
    return store;
  }
  const current = syncStore;
  if (current === undefined) {
    // Outside any request's synchronous part: no context (from a request after an `await`,
    // this once). Requests from now on are tracked, unless none is in flight.
    if (inFlight > 0) mode = TRACKED;
    return contextStorage.getStore();
  }
  mode = TRACKED;
  // The rest of this request (what its synchronous part goes on to start) runs in its store.
  contextStorage.enterWith(current);
  return current;
}

/** The calling code's context without turning tracking on: for the request middleware. */
export function peekContext(): ContextStore | undefined {
  return mode === UNTRACKED ? (syncStore ?? contextStorage.getStore()) : contextStorage.getStore();
}

type StoreFields = Partial<Pick<ContextStore, 'span' | 'tracer' | 'log'>>;

/**
 * The store a request middleware runs the rest of `request` in, with `fields` set: the one
 * another request middleware already opened for it (`opened: false`), or a new one
 * (`opened: true`; `closeRequestContext()` must follow when the request ends, whatever the
 * outcome). When the open store already has one of `fields` set (tracing twice), the request
 * gets a nested copy instead (`opened: false`).
 */
export function requestContextFor(request: object, fields: StoreFields): { store: ContextStore; opened: boolean } {
  const slot = request as { [kContextStore]?: ContextStore };
  const existing = slot[kContextStore];
  if (existing === undefined) {
    const outer = peekContext();
    // Written out, not spread: one shape for every store, and no property copying per request.
    const store: ContextStore = {
      request,
      span: 'span' in fields ? fields.span : outer?.span,
      tracer: 'tracer' in fields ? fields.tracer : outer?.tracer,
      log: 'log' in fields ? fields.log : outer?.log,
    };
    slot[kContextStore] = store;
    return { store, opened: true };
  }
  if ((fields.span === undefined || existing.span === undefined) && (fields.log === undefined || existing.log === undefined)) {
    if (fields.span !== undefined) {
      existing.span = fields.span;
      existing.tracer = fields.tracer;
    }
    if (fields.log !== undefined) existing.log = fields.log;
    return { store: existing, opened: false };
  }
  return { store: { ...existing, ...fields }, opened: false };
}

/**
 * Runs `fn(arg)`, the rest of a request, with `store` (from `requestContextFor`) as its
 * context: inside `contextStorage` while learning or tracked, else as the store of the
 * synchronous part.
 */
export function runRequestContext<A, T>(store: ContextStore, opened: boolean, fn: (arg: A) => T, arg: A): T {
  if (mode === TRACKED) return contextStorage.getStore() === store ? fn(arg) : contextStorage.run(store, fn, arg);
  if (opened) inFlight++;
  if (mode === LEARNING) {
    if (!opened || learningLeft-- > 0) return contextStorage.getStore() === store ? fn(arg) : contextStorage.run(store, fn, arg);
    // Nothing asked for the context so far: stop paying for it.
    mode = UNTRACKED;
    contextStorage.disable();
  }
  const outer = syncStore;
  const outerTracked = contextStorage.getStore();
  syncStore = store;
  try {
    return fn(arg);
  } finally {
    syncStore = outer;
    // Tracking turned on inside: the store entered then belongs to the request, not to the
    // code around it.
    if ((mode as number) === TRACKED) contextStorage.enterWith(outerTracked as ContextStore);
  }
}

/** Ends a request whose store `requestContextFor` opened. */
export function closeRequestContext(): void {
  if (inFlight > 0) inFlight--;
}

/** The store opened for `request`, if a request middleware opened one. */
export function requestStore(request: object): ContextStore | undefined {
  return (request as { [kContextStore]?: ContextStore })[kContextStore];
}
