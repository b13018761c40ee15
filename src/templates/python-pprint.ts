// Python's `pprint.pformat` (width 80, dict keys sorted), for Jinja's `pprint` filter: the
// repr when it fits, otherwise one item a line, indented under its opening bracket, and long
// strings split at spaces into adjacent literals.
import { dictEntries, isPlainObject, pyRepr, pyStringRepr, setItems } from './python-repr.js';
import { isTuple } from './tuple.js';

const WIDTH = 80;

/** Python's `len()`: code points, not UTF-16 units. */
function len(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// `str.splitlines(keepends=True)`: Python's line boundaries, each kept on its line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: \v, \f and \x1c-\x1e end lines in Python
const LINES = /[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])|[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+$/gu;

class PrettyPrinter {
  readonly #seen = new Set<unknown>();

  format(v: unknown, indent: number, allowance: number, level: number): string {
    const rep = pyRepr(v, { sortKeys: true });
    if (len(rep) <= WIDTH - indent - allowance || this.#seen.has(v)) return rep;
    const next = level + 1;
    if (typeof v === 'string') return this.#string(v, indent, allowance, next);
    if (v === null || typeof v !== 'object') return rep;
    this.#seen.add(v);
    try {
      if (Array.isArray(v)) {
        if (!isTuple(v)) return `[${this.#items(v, indent, allowance + 1, next)}]`;
        const end = v.length === 1 ? ',)' : ')';
        return `(${this.#items(v, indent, allowance + end.length, next)}${end}`;
      }
      if (v instanceof Set) return v.size === 0 ? rep : `{${this.#items(setItems(v, true), indent, allowance + 1, next)}}`;
      if (isPlainObject(v) || v instanceof Map) return `{${this.#dictItems(dictEntries(v, true), indent, allowance + 1, next)}}`;
      return rep;
    } finally {
      this.#seen.delete(v);
    }
  }

  #items(items: readonly unknown[], indent: number, allowance: number, level: number): string {
    const inner = indent + 1;
    return items.map((x, i) => this.format(x, inner, i === items.length - 1 ? allowance : 1, level)).join(`,\n${' '.repeat(inner)}`);
  }

  #dictItems(entries: ReadonlyArray<[unknown, unknown]>, indent: number, allowance: number, level: number): string {
    const inner = indent + 1;
    return entries
      .map(([k, x], i) => {
        const key = pyRepr(k, { sortKeys: true });
        return `${key}: ${this.format(x, inner + len(key) + 2, i === entries.length - 1 ? allowance : 1, level)}`;
      })
      .join(`,\n${' '.repeat(inner)}`);
  }

  #string(s: string, indentIn: number, allowanceIn: number, level: number): string {
    if (s === '') return pyStringRepr(s);
    const indent = level === 1 ? indentIn + 1 : indentIn;
    const allowance = level === 1 ? allowanceIn + 1 : allowanceIn;
    const lines = s.match(LINES) ?? [s];
    const chunks: string[] = [];
    let rep = '';
    lines.forEach((line, i) => {
      rep = pyStringRepr(line);
      const lastLine = i === lines.length - 1;
      if (len(rep) <= WIDTH - indent - (lastLine ? allowance : 0)) {
        chunks.push(rep);
        return;
      }
      // Alternating runs of non-space and space, joined greedily while they fit.
      const parts = line.match(/\S*\s*/gu)?.filter((p) => p !== '') ?? [];
      let current = '';
      parts.forEach((part, j) => {
        const candidate = current + part;
        const max = WIDTH - indent - (lastLine && j === parts.length - 1 ? allowance : 0);
        if (len(pyStringRepr(candidate)) > max) {
          if (current !== '') chunks.push(pyStringRepr(current));
          current = part;
        } else current = candidate;
      });
      if (current !== '') chunks.push(pyStringRepr(current));
    });
    if (chunks.length === 1) return rep;
    const body = chunks.join(`\n${' '.repeat(indent)}`);
    return level === 1 ? `(${body})` : body;
  }
}

/**
 * Python's `pprint.pformat(value)`, as Jinja's `pprint` filter prints it.
 *
 * @example
 * pformat({ b: 1, a: 'x' }) // "{'a': 'x', 'b': 1}"
 */
export function pformat(value: unknown): string {
  return new PrettyPrinter().format(value, 0, 0, 0);
}
