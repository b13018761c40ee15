import type { OpenAPISecurityScheme } from './openapi-types.js';

/**
 * Security schemes of the OAuth2 servers included in an app (`app.oauth2Servers`, each with
 * `securityScheme()`), named `oauth2`, `oauth2_2`, … Read structurally: the core does not
 * import the security module.
 *
 * @example
 * oauth2Schemes([oauth2]) // { oauth2: { type: 'oauth2', flows: { … } } }
 */
export function oauth2Schemes(servers: unknown): Record<string, OpenAPISecurityScheme> {
  const out: Record<string, OpenAPISecurityScheme> = {};
  if (typeof servers !== 'object' || servers === null || !(Symbol.iterator in servers)) return out;
  let n = 0;
  for (const server of servers as Iterable<unknown>) {
    const make = (server as { securityScheme?: unknown } | null)?.securityScheme;
    if (typeof make !== 'function') continue;
    const scheme: unknown = make.call(server);
    if (typeof scheme !== 'object' || scheme === null) continue;
    n++;
    out[n === 1 ? 'oauth2' : `oauth2_${n}`] = scheme as OpenAPISecurityScheme;
  }
  return out;
}
