const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The origin form (`/path?query`) of a request target that is not already one: RFC 9112
 * §3.2.2 has servers accept the absolute form (`http://host/path?query`, what clients send to
 * proxies) too. Anything else — `*` of `OPTIONS *`, a bare authority — is returned unchanged
 * (and matches no route).
 *
 * @example
 * originForm('http://example.com/users?page=2') // '/users?page=2'
 * originForm('http://example.com') // '/'
 */
export function originForm(target: string): string {
  const m = ABSOLUTE.exec(target);
  if (m === null) return target;
  const rest = target.slice(m[0].length);
  return rest === '' || rest.charCodeAt(0) !== 47 ? `/${rest}` : rest;
}
