/** Keywords after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'instanceof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
]);
/** Punctuation after which a `/` starts a regular expression. */
const REGEX_AFTER = '(,=:[!&|?{};+-*%<>~^';

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\w$]/.test(c);
}

/** The end (exclusive) of the quoted string starting at `start`; strings never span lines. */
function skipQuoted(s: string, start: number): number {
  const quote = s[start];
  let i = start + 1;
  while (i < s.length && s[i] !== quote && s[i] !== '\n') i += s[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, s.length);
}

/** The end (exclusive) of the template literal starting at `start`, `${…}` parts included. */
function skipTemplate(s: string, start: number): number {
  let i = start + 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i += 2;
    else if (c === '`') return i + 1;
    else if (c === '$' && s[i + 1] === '{') i = skipExpression(s, i + 2);
    else i++;
  }
  return s.length;
}

/** The end (exclusive) of a `${…}` expression whose body starts at `start`. */
function skipExpression(s: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (c === "'" || c === '"') i = skipQuoted(s, i);
    else if (c === '`') i = skipTemplate(s, i);
    else {
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return i + 1;
      i++;
    }
  }
  return s.length;
}

/** The end (exclusive) of the regular expression literal starting at `start`, or `null` when it is none. */
function skipRegex(s: string, start: number): number | null {
  let i = start + 1;
  let inClass = false;
  while (i < s.length) {
    const c = s[i];
    if (c === '\n') return null;
    if (c === '\\') i += 2;
    else {
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      i++;
    }
  }
  if (i >= s.length) return null;
  i++;
  while (isWordChar(s[i])) i++;
  return i;
}

/** Whether a `/` at `at` may start a regular expression: decided by what precedes it. */
function regexMayStart(s: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && isSpace(s[i] as string)) i--;
  if (i < 0) return true;
  const c = s[i] as string;
  if (REGEX_AFTER.includes(c)) return true;
  if (!isWordChar(c)) return false;
  let j = i;
  while (j > 0 && isWordChar(s[j - 1])) j--;
  return REGEX_AFTER_WORD.has(s.slice(j, i + 1));
}

/**
 * JavaScript or TypeScript source with every comment replaced by spaces (line breaks kept), so
 * offsets and line numbers stay those of the original. Strings, templates and regular
 * expression literals are skipped over, so a `//` inside them is not taken for a comment. A
 * heuristic lexer, not a parser: enough to keep commented-out code and examples in doc
 * comments out of `covet security-scan`.
 *
 * @example
 * stripComments("const a = 1; // new JWTAuth('secret')") // "const a = 1;                       "
 */
export function stripComments(source: string): string {
  const out: string[] = [];
  let copied = 0;
  let i = 0;
  const blank = (from: number, to: number): void => {
    out.push(source.slice(copied, from), source.slice(from, to).replace(/[^\n]/g, ' '));
    copied = to;
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const to = end === -1 ? source.length : end;
      blank(i, to);
      i = to;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const to = end === -1 ? source.length : end + 2;
      blank(i, to);
      i = to;
    } else if (c === "'" || c === '"') {
      i = skipQuoted(source, i);
    } else if (c === '`') {
      i = skipTemplate(source, i);
    } else if (c === '/' && regexMayStart(source, i)) {
      i = skipRegex(source, i) ?? i + 1;
    } else {
      i++;
    }
  }
  out.push(source.slice(copied));
  return out.join('');
}
