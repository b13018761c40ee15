/**
 * The path syntax shared by the router and the type layer: `{name}` and `{name:type}`
 * placeholders, each covering one whole segment (`{name:path}` covers the rest of the path).
 */

/** The converters a placeholder may name. */
export const CONVERTERS = ['str', 'int', 'float', 'uuid', 'path'] as const;
export type ConverterName = (typeof CONVERTERS)[number];

/** A parsed piece of a route path: literal text or a placeholder. */
export type PathPart =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string; readonly converter: ConverterName };

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}/y;

/**
 * Splits `/users/{id:int}/posts` into static text and placeholders, rejecting what the
 * router cannot serve: placeholders that share a segment with text, unknown converters,
 * duplicate names, and `{x:path}` anywhere but at the end.
 *
 * @example
 * parseRoutePath('/users/{id:int}') // [{kind:'static',text:'/users/'},{kind:'param',name:'id',converter:'int'}]
 */
export function parseRoutePath(path: string): PathPart[] {
  if (!path.startsWith('/')) throw new TypeError(`Route path must start with "/": ${JSON.stringify(path)}`);
  const parts: PathPart[] = [];
  const names = new Set<string>();
  let text = '';
  let i = 0;
  while (i < path.length) {
    const ch = path[i];
    if (ch !== '{') {
      if (ch === '}') throw new TypeError(`Unbalanced "}" in route path ${JSON.stringify(path)}`);
      text += ch;
      i++;
      continue;
    }
    PLACEHOLDER.lastIndex = i;
    const m = PLACEHOLDER.exec(path);
    if (!m) throw new TypeError(`Malformed placeholder in route path ${JSON.stringify(path)} at ${i}`);
    const name = m[1] as string;
    const converter = (m[2] ?? 'str') as ConverterName;
    if (!CONVERTERS.includes(converter)) {
      throw new TypeError(`Unknown converter "${converter}" in ${JSON.stringify(path)} (known: ${CONVERTERS.join(', ')})`);
    }
    if (names.has(name)) throw new TypeError(`Duplicate parameter "${name}" in route path ${JSON.stringify(path)}`);
    names.add(name);
    const end = i + m[0].length;
    // A placeholder is a whole segment: this keeps matching a cheap scan to the next "/".
    if (!text.endsWith('/') || (end < path.length && path[end] !== '/')) {
      throw new TypeError(`Parameter {${name}} must be a whole path segment in ${JSON.stringify(path)}`);
    }
    if (converter === 'path' && end !== path.length) {
      throw new TypeError(`{${name}:path} must be the last segment of ${JSON.stringify(path)}`);
    }
    parts.push({ kind: 'static', text });
    text = '';
    parts.push({ kind: 'param', name, converter });
    i = end;
  }
  if (text) parts.push({ kind: 'static', text });
  return parts;
}

/** Converts one raw (already percent-decoded) segment; `undefined` means "does not match". */
export type Converter = (raw: string) => unknown;

// As in Starlette: unsigned decimal digits, no signs, exponents or spaces.
const INT = /^\d+$/;
const FLOAT = /^\d+(?:\.\d+)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function toInt(raw: string): number | undefined {
  // Fast path for the common case: short runs of ASCII digits, no regex.
  const len = raw.length;
  if (len > 0 && len < 16) {
    let n = 0;
    for (let i = 0; i < len; i++) {
      const c = raw.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      n = n * 10 + c;
    }
    return n;
  }
  if (!INT.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

function toFloat(raw: string): number | undefined {
  if (!FLOAT.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** The converter functions by name; `str` and `path` keep the text. */
export const CONVERTER_FUNCTIONS: Readonly<Record<ConverterName, Converter | null>> = {
  str: null,
  path: null,
  int: toInt,
  float: toFloat,
  uuid: (raw) => (UUID.test(raw) ? raw.toLowerCase() : undefined),
};

/** Tried in this order when several placeholders sit at the same place: narrow before wide. */
export const CONVERTER_PRIORITY: Readonly<Record<ConverterName, number>> = { int: 0, float: 1, uuid: 2, str: 3, path: 4 };
