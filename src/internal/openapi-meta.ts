/**
 * What a wrapper (`jwtAuth.requireToken`, `rbac.requireRole`, `rateLimiter.limit`…) tells the
 * OpenAPI generator about the handler or middleware it returns: the security it requires and
 * the error responses it may send. Kept on the function under a well-known symbol, so the
 * core reads it without importing the module that set it.
 */

/** A security requirement: scheme name → scopes (OpenAPI's Security Requirement Object). */
export type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

/** An error response a wrapper may send, with its JSON body's schema and its headers. */
export interface OpenAPIMetaResponse {
  readonly description: string;
  /** The JSON body (default: `{ error: string }`). */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** Response headers: name → OpenAPI Header Object (`{ description, schema }`). */
  readonly headers?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** OpenAPI facts about a handler or middleware. */
export interface OpenAPIMeta {
  /** Security schemes this function enforces, by name, with their definitions. */
  readonly securitySchemes?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Requirements added to the operation's `security` (any one of them suffices). */
  readonly security?: readonly SecurityRequirement[];
  /** Extra responses the wrapper may send: status → description (an `{ error }` body), or the response in full. */
  readonly responses?: Readonly<Record<string, string | OpenAPIMetaResponse>>;
  /** Leave the route out of the document (the docs page itself, internal endpoints). */
  readonly exclude?: boolean;
}

/** The symbol the annotation is stored under (shared across copies of the package). */
export const OPENAPI_META: unique symbol = Symbol.for('covet.openapi.meta') as never;

type Annotated = { [OPENAPI_META]?: OpenAPIMeta };

/** The annotation of `fn` (merged from the wrappers around it), or `undefined`. */
export function openAPIMetaOf(fn: unknown): OpenAPIMeta | undefined {
  if ((typeof fn !== 'function' && typeof fn !== 'object') || fn === null) return undefined;
  return (fn as Annotated)[OPENAPI_META];
}

function mergeMeta(a: OpenAPIMeta | undefined, b: OpenAPIMeta | undefined): OpenAPIMeta {
  if (a === undefined) return b ?? {};
  if (b === undefined) return a;
  const securitySchemes = { ...a.securitySchemes, ...b.securitySchemes };
  const security = [...(a.security ?? []), ...(b.security ?? [])];
  const responses = { ...a.responses, ...b.responses };
  return {
    ...(Object.keys(securitySchemes).length > 0 ? { securitySchemes } : {}),
    ...(security.length > 0 ? { security } : {}),
    ...(Object.keys(responses).length > 0 ? { responses } : {}),
    ...(a.exclude || b.exclude ? { exclude: true } : {}),
  };
}

/**
 * Annotates `wrapper` with `meta` plus whatever `inner` (the function it wraps) carried, so an
 * annotation survives any number of wrappers. Returns `wrapper`.
 *
 * @example
 * return annotateOpenAPI(function requireToken(req, deps) { … }, { security: [{ bearerAuth: [] }] }, handler);
 */
export function annotateOpenAPI<F extends object>(wrapper: F, meta: OpenAPIMeta | undefined, inner?: unknown): F {
  const merged = mergeMeta(openAPIMetaOf(inner), meta);
  Object.defineProperty(wrapper, OPENAPI_META, { value: merged, enumerable: false, configurable: true, writable: false });
  return wrapper;
}

/** The `bearerAuth` scheme and requirement a JWT check adds (HTTP bearer, JWT format). */
export const BEARER_JWT_META: OpenAPIMeta = Object.freeze({
  securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  security: [{ bearerAuth: [] }],
  responses: { '401': 'Missing or invalid bearer token' },
});
