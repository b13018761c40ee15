import { stripComments } from './strip-comments.js';

/** A secret written into source code as a string literal. */
export interface LiteralSecret {
  /** 1-based line of the literal's name (or of `new JWTAuth(`). */
  readonly line: number;
  /** What it was given to: `JWTAuth` for `new JWTAuth('…')`, else the property or variable name. */
  readonly name: string;
  /** The literal's value (several for an array of literals, as `secretKey: ['old', 'new']`). */
  readonly values: readonly string[];
  /**
   * For a fallback (`process.env.JWT_SECRET ?? 'dev'`): the environment variable it stands in
   * for, `JWT_SECRET`. The literal is what the app runs with wherever that variable is unset.
   */
  readonly fallback?: string;
}

// A string literal without interpolation: '…', "…" or `…`.
const STRING = String.raw`'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\`(?:[^\`\\$]|\\.)*\``;
const STRINGS = String.raw`\[\s*(?:(?:${STRING})\s*,\s*)*(?:${STRING})\s*,?\s*\]`;
const VALUE = `(${STRING}|${STRINGS})`;
// After the value: the end of the property, argument or statement (so `'a' + b` and `'a' ?? b` are not literals).
const END = String.raw`(?=\s*(?:[,;)}\]]|$))`;
const NAME = String.raw`[A-Za-z_$][\w$]*`;
// `process.env.NAME` or `process.env['NAME']`, then `??` or `||`: what follows is a fallback.
const ENV_FALLBACK = new RegExp(
  String.raw`process\.env\s*(?:\.\s*(${NAME})|\[\s*(?:'(${NAME})'|"(${NAME})")\s*\])\s*(?:\?\?|\|\|)\s*${VALUE}${END}`,
  'gm',
);

// What a value is given to, each ending where the value starts: `new JWTAuth(` (the seed's
// positional HS256 secret), `secretKey:` in an object literal (after `{` or `,`, so
// `cond ? secret : '…'` is not one), and `const secretKey =` or a class field such as
// `SECRET_KEY =` in a `Config` subclass.
const JWT_AUTH_CALL = String.raw`\bnew\s+(JWTAuth)\s*(?:<[^>()]*>\s*)?\(\s*`;
const PROPERTY_KEY = String.raw`[{,]\s*(?:(${NAME})|'(${NAME})'|"(${NAME})")\s*:\s*`;
const DECLARED = String.raw`(?:\b(?:const|let|var)\s+|^[ \t]*(?:(?:readonly|static|public|private|protected|declare)\s+)*)(${NAME})\s*(?::\s*string\s*)?=\s*`;

const POSITIONAL = new RegExp(`${JWT_AUTH_CALL}${VALUE}${END}`, 'gm');
const PROPERTY = new RegExp(`${PROPERTY_KEY}${VALUE}${END}`, 'gm');
const DECLARATION = new RegExp(`${DECLARED}${VALUE}${END}`, 'gm');
/** Names that hold secrets: `secret`, `secretKey`, `JWT_SECRET`, `clientSecret`, `session_secret`… */
const SECRET_NAME = /secret/i;
/** What an `ENV_FALLBACK` is given to, read back from just before it. */
const FALLBACK_TARGET = new RegExp(`(?:${JWT_AUTH_CALL}|${PROPERTY_KEY}|${DECLARED})$`, 'm');

function unquote(literal: string): string {
  return literal
    .slice(1, -1)
    .replace(/\\(?:x([0-9a-fA-F]{2})|u\{?([0-9a-fA-F]{1,6})\}?|(.))/g, (_, hex?: string, uni?: string, ch?: string) => {
      if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16));
      if (uni !== undefined) return String.fromCodePoint(Number.parseInt(uni, 16));
      return ch === 'n' ? '\n' : ch === 't' ? '\t' : (ch ?? '');
    });
}

function valuesOf(value: string): string[] {
  if (!value.startsWith('[')) return [unquote(value)];
  return [...value.matchAll(new RegExp(STRING, 'g'))].map((m) => unquote(m[0]));
}

/** Line starts of `source`, for offset → line. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/**
 * The secrets a JavaScript or TypeScript source passes as string literals: `new JWTAuth('…')`,
 * and properties or variables whose name contains `secret` (`secretKey: '…'`,
 * `const JWT_SECRET = '…'`) set to a literal or an array of literals; and literals an
 * environment variable falls back to (`process.env.JWT_SECRET ?? 'dev'`, `secretKey:
 * process.env.KEY || 'dev'`), with `fallback` naming the variable. A value computed at run time
 * (`process.env.JWT_SECRET`, `env.secret('SECRET_KEY')`, `'prefix-' + suffix`) is not a literal
 * and is not returned; comments are ignored. In source order.
 *
 * @example
 * findLiteralSecrets("const auth = new JWTAuth({ secretKey: 'changeme' })")
 * // [{ line: 1, name: 'secretKey', values: ['changeme'] }]
 */
export function findLiteralSecrets(source: string): LiteralSecret[] {
  const code = stripComments(source);
  const starts = lineStarts(code);
  const found: (LiteralSecret & { readonly at: number })[] = [];
  const add = (at: number, name: string, value: string, fallback?: string): void => {
    found.push({ at, line: lineAt(starts, at), name, values: valuesOf(value), ...(fallback === undefined ? {} : { fallback }) });
  };
  for (const m of code.matchAll(POSITIONAL)) add(m.index, m[1] as string, m[2] as string);
  for (const m of code.matchAll(PROPERTY)) {
    const name = (m[1] ?? m[2] ?? m[3]) as string;
    // The name's offset, not the `{`/`,` before it (which may be on an earlier line).
    if (SECRET_NAME.test(name)) add(m.index + m[0].indexOf(name), name, m[4] as string);
  }
  for (const m of code.matchAll(DECLARATION)) {
    const name = m[1] as string;
    if (SECRET_NAME.test(name)) add(m.index + m[0].indexOf(name), name, m[2] as string);
  }
  for (const m of code.matchAll(ENV_FALLBACK)) {
    const variable = (m[1] ?? m[2] ?? m[3]) as string;
    const start = Math.max(0, m.index - 256);
    const target = FALLBACK_TARGET.exec(code.slice(start, m.index));
    const name = target === null ? undefined : (target[1] ?? target[2] ?? target[3] ?? target[4] ?? target[5]);
    const secret = SECRET_NAME.test(variable) || name === 'JWTAuth' || (name !== undefined && SECRET_NAME.test(name));
    if (!secret) continue;
    // Reported at the name it is given to when there is one, else at the variable.
    const at = target === null || name === undefined ? m.index : start + target.index + target[0].indexOf(name);
    add(at, name ?? variable, m[4] as string, variable);
  }
  return found.sort((a, b) => a.at - b.at).map(({ at: _, ...secret }) => secret);
}
