import type { SqlSyntax } from './sql-syntax.js';

/** A statement rewritten for one dialect, with how to order its parameters. */
export interface CompiledSql {
  /** The SQL with the dialect's placeholders. */
  readonly text: string;
  /** How many parameters the caller must pass (`$n` style: the largest `n`). */
  readonly expected: number;
  /** Output placeholder `k` takes caller parameter `order[k]`; `null` when they line up. */
  readonly order: readonly number[] | null;
  /** The placeholder style the statement used. */
  readonly style: 'none' | '%s' | '?' | '$n' | 'template';
  /** The text around the placeholders (`pieces.length === indices.length + 1`). */
  readonly pieces: readonly string[];
  /** Placeholder `k` takes caller parameter `indices[k]`. */
  readonly indices: readonly number[];
}

const VALUE_IN_LITERAL = `A \${value} inside a quoted string, quoted identifier or comment is not bound. Bind the whole value instead: LIKE \${'%' + q + '%'}`;

/** The marker a tagged template puts where each `${value}` goes before tokenizing. */
export const TEMPLATE_MARK = '\u0000';

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** End index (exclusive) of a quoted run starting at `i`; a doubled quote is an escaped one. */
function skipQuoted(sql: string, i: number, quote: number, backslash: boolean): number {
  const n = sql.length;
  let j = i + 1;
  while (j < n) {
    const c = sql.charCodeAt(j);
    if (backslash && c === 92) {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return n;
}

const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/**
 * If a literal, quoted identifier, comment or dollar-quoted body starts at `i`, returns the index
 * just past it; otherwise -1. Placeholders and keywords are never looked for inside those.
 */
export function skipNonCode(sql: string, i: number, syn: SqlSyntax): number {
  const c = sql.charCodeAt(i);
  const next = sql.charCodeAt(i + 1);
  switch (c) {
    case 39: {
      // PostgreSQL E'…' strings take backslash escapes; the E is not part of an identifier.
      const prev = sql.charCodeAt(i - 1);
      const eString = (prev === 69 || prev === 101) && !isIdentPart(sql.charCodeAt(i - 2));
      return skipQuoted(sql, i, 39, syn.backslashEscapes || eString);
    }
    case 34:
      return skipQuoted(sql, i, 34, syn.backslashEscapes);
    case 96:
      return syn.backtickIdentifiers ? skipQuoted(sql, i, 96, false) : -1;
    case 91: {
      if (!syn.bracketIdentifiers) return -1;
      const end = sql.indexOf(']', i + 1);
      return end === -1 ? sql.length : end + 1;
    }
    case 45:
      // MySQL needs whitespace after `--`; treating `--x` as a comment there would be wrong.
      if (next !== 45 || (syn.hashComments && !/[\s]/.test(sql.charAt(i + 2)) && i + 2 < sql.length)) return -1;
      return lineEnd(sql, i);
    case 35:
      return syn.hashComments ? lineEnd(sql, i) : -1;
    case 47: {
      if (next !== 42) return -1;
      let depth = 1;
      let j = i + 2;
      while (j < sql.length) {
        const d = sql.charCodeAt(j);
        if (d === 42 && sql.charCodeAt(j + 1) === 47) {
          j += 2;
          if (--depth === 0) return j;
          continue;
        }
        if (syn.nestedComments && d === 47 && sql.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
          continue;
        }
        j++;
      }
      return sql.length;
    }
    case 36: {
      if (!syn.dollarQuotes || isDigit(next) || isIdentPart(sql.charCodeAt(i - 1))) return -1;
      DOLLAR_TAG.lastIndex = i;
      const m = DOLLAR_TAG.exec(sql);
      if (m === null) return -1;
      const end = sql.indexOf(m[0], i + m[0].length);
      return end === -1 ? sql.length : end + m[0].length;
    }
    default:
      return -1;
  }
}

function lineEnd(sql: string, i: number): number {
  const end = sql.indexOf('\n', i);
  return end === -1 ? sql.length : end + 1;
}

type Mark = { readonly kind: '%s' | '?' | '$n' | 'template'; readonly n: number };

/**
 * Rewrites a statement's placeholders for a dialect. `%s`, `?` and `$1` are all accepted (one
 * style per statement); no placeholder inside string literals, quoted identifiers, comments or
 * `$$` bodies is touched. `%%` is a literal `%`: outside those always, and inside them too in a
 * statement with `%s` placeholders (psycopg's rule: `'100%%'` is `'100%'` there, while a lone
 * `%` in a literal, as in `LIKE 'a%'`, stays as it is). `ILIKE` becomes the dialect's
 * case-insensitive LIKE. With `template`, only `TEMPLATE_MARK` characters are placeholders.
 * Values are never written into the text.
 *
 * @example
 * compileSql("SELECT * FROM t WHERE a = %s AND b = '%s'", postgres).text // "SELECT * FROM t WHERE a = $1 AND b = '%s'"
 * compileSql("SELECT * FROM t WHERE a = %s AND b LIKE '100%%'", postgres).text // "SELECT * FROM t WHERE a = $1 AND b LIKE '100%'"
 */
export function compileSql(sql: string, syn: SqlSyntax, template = false): CompiledSql {
  const first = compile(sql, syn, template, false);
  // `%%` inside literals is unescaped only once the statement is known to use `%s`: compile again.
  return first.compiled.style === '%s' && first.percentInLiteral ? compile(sql, syn, template, true).compiled : first.compiled;
}

function compile(
  sql: string,
  syn: SqlSyntax,
  template: boolean,
  unescapeLiterals: boolean,
): { readonly compiled: CompiledSql; readonly percentInLiteral: boolean } {
  const pieces: string[] = [];
  const marks: Mark[] = [];
  const n = sql.length;
  let start = 0;
  let i = 0;
  let percentInLiteral = false;
  const cut = (to: string, from: number, next: number): void => {
    pieces[marks.length] = (pieces[marks.length] ?? '') + sql.slice(start, from) + to;
    start = next;
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    const skipped = skipNonCode(sql, i, syn);
    if (skipped !== -1) {
      if (template && sql.slice(i, skipped).includes(TEMPLATE_MARK)) {
        throw new TypeError(VALUE_IN_LITERAL);
      }
      if (!template) {
        const span = sql.slice(i, skipped);
        if (span.includes('%%')) {
          if (unescapeLiterals) cut(span.replaceAll('%%', '%'), i, skipped);
          else percentInLiteral = true;
        }
      }
      i = skipped;
      continue;
    }
    if (template) {
      if (c === 0) {
        cut('', i, i + 1);
        marks.push({ kind: 'template', n: 0 });
        i++;
        continue;
      }
    } else if (c === 37) {
      const next = sql.charCodeAt(i + 1);
      if (next === 115) {
        cut('', i, i + 2);
        marks.push({ kind: '%s', n: 0 });
        i += 2;
        continue;
      }
      if (next === 37) {
        cut('%', i, i + 2);
        i += 2;
        continue;
      }
    } else if (c === 63) {
      cut('', i, i + 1);
      marks.push({ kind: '?', n: 0 });
      i++;
      continue;
    } else if (c === 36 && isDigit(sql.charCodeAt(i + 1)) && !isIdentPart(sql.charCodeAt(i - 1))) {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      cut('', i, j);
      marks.push({ kind: '$n', n: Number(sql.slice(i + 1, j)) });
      i = j;
      continue;
    }
    if (isIdentStart(c) && !isIdentPart(sql.charCodeAt(i - 1))) {
      let j = i + 1;
      while (j < n && isIdentPart(sql.charCodeAt(j))) j++;
      if (j - i === 5 && syn.ilike !== 'ILIKE' && sql.slice(i, j).toUpperCase() === 'ILIKE') cut(syn.ilike, i, j);
      i = j;
      continue;
    }
    i++;
  }
  pieces[marks.length] = (pieces[marks.length] ?? '') + sql.slice(start);
  if (marks.length === 0) {
    const text = pieces[0] ?? '';
    return { compiled: { text, expected: 0, order: null, style: 'none', pieces: [text], indices: [] }, percentInLiteral };
  }

  const has = (kind: Mark['kind']): boolean => marks.some((m) => m.kind === kind);
  if (has('%s') && has('$n')) throw new TypeError('A statement cannot mix %s and $1 placeholders');
  const style: CompiledSql['style'] = template ? 'template' : has('%s') ? '%s' : has('$n') ? '$n' : '?';
  // Merge the pieces around marks of another style: a `?` next to %s or $1 placeholders is an
  // operator (PostgreSQL's jsonb `?`) and stays in the text.
  const outPieces: string[] = [pieces[0] ?? ''];
  const indices: number[] = [];
  let expected = 0;
  for (let m = 0; m < marks.length; m++) {
    const mark = marks[m] as Mark;
    const after = pieces[m + 1] ?? '';
    if (mark.kind !== style) {
      outPieces[outPieces.length - 1] += `?${after}`;
      continue;
    }
    if (style === '$n') {
      if (mark.n < 1) throw new TypeError('Placeholders are numbered from $1');
      expected = Math.max(expected, mark.n);
      indices.push(mark.n - 1);
    } else {
      indices.push(indices.length);
      expected = indices.length;
    }
    outPieces.push(after);
  }
  const identity = indices.every((v, i) => v === i);
  return {
    compiled: {
      text: joinPieces(outPieces, indices, syn),
      expected,
      order: syn.numberedPlaceholders || identity ? null : indices,
      style,
      pieces: outPieces,
      indices,
    },
    percentInLiteral,
  };
}

/** Joins statement pieces with the dialect's placeholders (`$n` keeps the caller's numbering). */
export function joinPieces(pieces: readonly string[], indices: readonly number[], syn: SqlSyntax, offset = 0): string {
  let text = pieces[0] ?? '';
  for (let k = 0; k < indices.length; k++) {
    text += syn.numberedPlaceholders ? `$${(indices[k] as number) + 1 + offset}` : '?';
    text += pieces[k + 1] ?? '';
  }
  return text;
}

/**
 * The parameters in the order the compiled statement binds them; throws when their number does
 * not match the placeholders or one is `undefined`.
 */
export function bindParams(compiled: CompiledSql, params: readonly unknown[]): readonly unknown[] {
  if (params.length !== compiled.expected) {
    const what = compiled.style === '$n' ? `placeholders up to $${compiled.expected}` : `${compiled.expected} placeholder(s)`;
    // pg, mysql2 and Knex take one array of values; here they are separate arguments.
    const hint =
      params.length === 1 && Array.isArray(params[0]) && compiled.expected > 1
        ? ' (pass the values as separate arguments, fetchAll(sql, a, b), not as one array)'
        : '';
    throw new TypeError(`The statement has ${what} but ${params.length} parameter(s) were given${hint}`);
  }
  for (let i = 0; i < params.length; i++) {
    if (params[i] === undefined) throw new TypeError(`Parameter ${i + 1} is undefined; pass null for SQL NULL`);
  }
  const order = compiled.order;
  return order === null ? params : order.map((i) => params[i]);
}

/**
 * Splits a script into statements at `;` outside literals, identifiers, comments and `$$`
 * bodies. Empty statements are dropped.
 *
 * @example
 * splitStatements("CREATE TABLE a (x TEXT DEFAULT ';'); DROP TABLE b;", sqlite) // two statements
 */
export function splitStatements(sql: string, syn: SqlSyntax): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const skipped = skipNonCode(sql, i, syn);
    if (skipped !== -1) {
      i = skipped;
      continue;
    }
    if (sql.charCodeAt(i) === 59) {
      out.push(sql.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '' && !isOnlyComments(s, syn));
}

function isOnlyComments(sql: string, syn: SqlSyntax): boolean {
  let i = 0;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    if ((c === 45 && sql.charCodeAt(i + 1) === 45) || (c === 47 && sql.charCodeAt(i + 1) === 42) || (c === 35 && syn.hashComments)) {
      const end = skipNonCode(sql, i, syn);
      if (end === -1) return false;
      i = end;
      continue;
    }
    return false;
  }
  return true;
}

const VERBS = new Set(['SELECT', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'VALUES', 'MERGE']);

/**
 * Whether a statement inserts rows: `'insert'` for `INSERT`/`REPLACE` (also after a `WITH`
 * list), `'upsert'` for one that may update an existing row instead (`ON CONFLICT … DO UPDATE`,
 * `ON DUPLICATE KEY UPDATE`), `null` for anything else. Drivers use it to report
 * `lastInsertId` only for statements that insert.
 *
 * @example
 * insertKind("INSERT INTO t (a) VALUES ('x') ON CONFLICT (a) DO UPDATE SET n = n + 1", sqlite) // 'upsert'
 */
export function insertKind(sql: string, syn: SqlSyntax): 'insert' | 'upsert' | null {
  const n = sql.length;
  let depth = 0;
  let verb: string | null = null;
  let afterWith = false;
  let previous = '';
  let i = 0;
  while (i < n) {
    const skipped = skipNonCode(sql, i, syn);
    if (skipped !== -1) {
      i = skipped;
      continue;
    }
    const c = sql.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (isIdentStart(c) && !isIdentPart(sql.charCodeAt(i - 1))) {
      let j = i + 1;
      while (j < n && isIdentPart(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j).toUpperCase();
      i = j;
      if (verb === null) {
        if (!afterWith) {
          // The first keyword (inside a leading parenthesis too) names the statement.
          if (word !== 'WITH') {
            if (word !== 'INSERT' && word !== 'REPLACE') return null;
            verb = word;
          } else afterWith = true;
        } else if (depth === 0 && VERBS.has(word)) {
          if (word !== 'INSERT' && word !== 'REPLACE') return null;
          verb = word;
        }
        continue;
      }
      if (depth === 0 && ((previous === 'DO' && word === 'UPDATE') || (previous === 'ON' && word === 'DUPLICATE'))) return 'upsert';
      if (depth === 0) previous = word;
      continue;
    }
    i++;
  }
  return verb === null ? null : 'insert';
}

/** A bounded cache of compiled statements for one dialect (the hot path compiles once). */
export class SqlCache {
  readonly #syntax: SqlSyntax;
  readonly #max: number;
  #map = new Map<string, CompiledSql>();

  constructor(syntax: SqlSyntax, max = 1000) {
    this.#syntax = syntax;
    this.#max = max;
  }

  get(sql: string): CompiledSql {
    let hit = this.#map.get(sql);
    if (hit === undefined) {
      hit = compileSql(sql, this.#syntax);
      // Dropping everything at the bound keeps this simple; real apps have a few hundred statements.
      if (this.#map.size >= this.#max) this.#map = new Map();
      this.#map.set(sql, hit);
    }
    return hit;
  }
}

const caches = new Map<SqlSyntax, SqlCache>();

/** `compileSql` through a per-dialect cache: the hot path tokenizes each distinct statement once. */
export function compileCached(sql: string, syn: SqlSyntax): CompiledSql {
  let cache = caches.get(syn);
  if (cache === undefined) caches.set(syn, (cache = new SqlCache(syn)));
  return cache.get(sql);
}
