// Jinja's `tojson`: Python's `json.dumps(value, sort_keys=True, indent=…)` made safe for HTML.
import { checkStringLength } from './limits.js';
import { pyNumber } from './python-repr.js';
import { sandboxError } from './sandbox.js';
import { TemplateError } from './template-error.js';

function jsonError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A JSON string as Python writes it with `ensure_ascii`: every character outside ` `–`~` escaped. */
function jsonString(s: string): string {
  return `"${s.replace(/[^ !#-[\]-~]/g, (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** A number as Python's json writes it: ints as digits, floats as their repr, `NaN` and `Infinity` allowed. */
function jsonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return pyNumber(n);
}

/** A dict key: strings as they are; numbers, booleans and null converted, as Python's json does. */
function jsonKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number') return jsonNumber(k);
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k === null) return 'null';
  throw jsonError(`tojson: keys must be str, int, float, bool or None, not ${typeof k}`);
}

/** The longest indent `tojson` takes: each line repeats it once per level. */
const MAX_INDENT = 100;

/** Python's indent: a number of spaces (0 still breaks lines), a string as it is, none for one line. */
function indentUnit(indent: unknown): string | null {
  if (indent == null) return null;
  const unit = typeof indent === 'string' ? indent : ' '.repeat(Math.min(Math.max(0, Math.trunc(Number(indent)) || 0), MAX_INDENT + 1));
  if (unit.length > MAX_INDENT) throw sandboxError(`tojson: indents are limited to ${MAX_INDENT} characters`);
  return unit;
}

class JsonWriter {
  readonly #unit: string | null;
  readonly #seen = new Set<object>();
  /** The length written so far, roughly: strings and two characters per item (a list may hold one long string many times). */
  #length = 0;

  constructor(indent: unknown) {
    this.#unit = indentUnit(indent);
  }

  /** `undefined` for what JSON leaves out (undefined, functions, symbols). */
  write(v: unknown, depth: number): string | undefined {
    switch (typeof v) {
      case 'string':
        this.#length += v.length + 2;
        checkStringLength(this.#length, 'tojson result');
        return jsonString(v);
      case 'number':
        return jsonNumber(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return v.toString();
      case 'object':
        break;
      default:
        return undefined;
    }
    if (v === null) return 'null';
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    // Dates, Markup and anything else that says how it serialises (as JSON.stringify honours).
    if (typeof toJSON === 'function') return this.write(toJSON.call(v), depth);
    if (this.#seen.has(v)) throw jsonError('tojson: circular reference detected');
    this.#seen.add(v);
    try {
      if (Array.isArray(v) || v instanceof Set) {
        this.#length += 2 * (Array.isArray(v) ? v.length : v.size);
        checkStringLength(this.#length, 'tojson result');
        const items = [...v].map((x) => this.write(x, depth + 1) ?? 'null');
        return this.#wrap('[', items, ']', depth);
      }
      const entries: Array<[string, unknown]> =
        v instanceof Map ? [...v.entries()].map(([k, x]) => [jsonKey(k), x]) : Object.entries(v as object);
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const sep = ': ';
      const members: string[] = [];
      for (const [k, x] of entries) {
        const json = this.write(x, depth + 1);
        if (json !== undefined) members.push(jsonString(k) + sep + json);
      }
      return this.#wrap('{', members, '}', depth);
    } finally {
      this.#seen.delete(v);
    }
  }

  #wrap(open: string, items: readonly string[], close: string, depth: number): string {
    if (items.length === 0) return open + close;
    const unit = this.#unit;
    if (unit === null) return open + items.join(', ') + close;
    const inner = `\n${unit.repeat(depth + 1)}`;
    return `${open}${inner}${items.join(`,${inner}`)}\n${unit.repeat(depth)}${close}`;
  }
}

/**
 * JSON safe inside `<script>` and HTML attributes, as Jinja's `tojson` writes it: keys sorted,
 * `", "` and `": "` separators (or one item a line with `indent`), non-ASCII as `\u` escapes,
 * and `<`, `>`, `&`, `'` as `\u003c`, `\u003e`, `\u0026`, `\u0027`.
 *
 * @example
 * htmlSafeJson({ b: '</script>', a: [1, 2] }) // '{"a": [1, 2], "b": "\\u003c/script\\u003e"}'
 */
export function htmlSafeJson(value: unknown, indent?: unknown): string {
  const json = new JsonWriter(indent).write(value, 0) ?? 'null';
  return json.replace(/[<>&']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
