import type { QueryInit } from './client-types.js';

/** `{name}` or `{name:converter}` in a Covet route path. */
const PLACEHOLDER = /\{([^}:]+)(?::([^}]+))?\}/g;

/**
 * The URL for a route path with its params filled in (percent-encoded; a `{name:path}` param
 * keeps its slashes) and the query appended (arrays repeat the name, `undefined`/`null` are
 * left out).
 *
 * @example
 * buildUrl('http://127.0.0.1:3000', '/files/{p:path}', { p: 'a b/c' }, { tag: ['x', 'y'] })
 * // 'http://127.0.0.1:3000/files/a%20b/c?tag=x&tag=y'
 */
export function buildUrl(
  base: string,
  path: string,
  params: Readonly<Record<string, unknown>> | undefined,
  query: QueryInit | undefined,
): string {
  const filled = path.replace(PLACEHOLDER, (_, name: string, converter: string | undefined) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new TypeError(`Missing path param "${name}" for ${path}`);
    const text = paramText(name, value);
    const segments = converter === 'path' ? text.split('/') : [text];
    for (const segment of segments) {
      // URL parsers (fetch's too) resolve `.` and `..` segments (`%2E` encoded too, so encoding
      // cannot save them): the request would go to another route. So would an empty value
      // (`/users/` for `/users/{id}`). `%2e` as text is encoded to `%252e`, which is safe.
      if (segment === '.' || segment === '..' || (segment === '' && segments.length === 1))
        throw new TypeError(`Path param "${name}" cannot be ${JSON.stringify(text)}: the URL would point to another path`);
    }
    return segments.map(encodeURIComponent).join('/');
  });
  return base.replace(/\/+$/, '') + filled + queryString(query);
}

function paramText(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new TypeError(`Path param "${name}" must be a string or a number, got ${typeof value}`);
}

function queryText(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  throw new TypeError(`Query param "${name}" must be a string, number or boolean, got ${typeof value}`);
}

function queryString(query: QueryInit | undefined): string {
  if (query === undefined) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) search.append(name, queryText(name, item));
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
