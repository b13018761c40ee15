import { OAuth2Error } from './oauth2-error.js';

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The scopes of a `scope` parameter, in order and without duplicates; `invalid_scope` for a
 * malformed one (RFC 6749 §3.3: tokens separated by single spaces).
 */
export function parseScope(value: string): string[] {
  const tokens = value.split(' ');
  const out: string[] = [];
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new OAuth2Error('invalid_scope', 'Malformed scope parameter');
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

/**
 * The scopes to grant: the requested ones (each must be allowed) or, when none were asked for,
 * the defaults. `allowed === null` allows anything well-formed.
 */
export function grantScopes(requested: string | undefined, allowed: readonly string[] | null, defaults: readonly string[]): string {
  if (requested === undefined) return defaults.join(' ');
  const scopes = parseScope(requested);
  for (const scope of scopes) {
    if (allowed !== null && !allowed.includes(scope)) throw new OAuth2Error('invalid_scope', `Scope not allowed for this client: ${scope}`);
  }
  return scopes.join(' ');
}
