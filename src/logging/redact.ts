import { setOwn } from '../internal/own-field.js';
import { toJsonForm } from '../internal/to-json.js';
/** What redacted values are replaced with. */
export const REDACTED = '[REDACTED]';

/** Field names (normalized: lower case, no `-`, `_`, `.` or spaces) whose values are always secret. */
const SECRET_NAMES = new Set(['auth', 'pass', 'pin', 'otp', 'jwt', 'ssn', 'cvv', 'cvc']);
/** Fragments that make a field name secret wherever they appear in it. */
const SECRET_FRAGMENT =
  /passw|passphrase|pwd|secret|token|apikey|accesskey|authorization|cookie|sessionid|sessid|csrf|xsrf|privatekey|credential|creditcard|cardnumber|signature/;

/** Options of redaction. */
export interface RedactOptions {
  /** More secret field names (matched case-insensitively, ignoring `-` and `_`). */
  readonly keys?: readonly string[];
  /** More patterns to blank out inside strings. */
  readonly patterns?: readonly RegExp[];
  /** The replacement. Default `[REDACTED]`. */
  readonly censor?: string;
}

const normalize = (key: string): string => key.toLowerCase().replace(/[-_.\s]/g, '');

// Only strings with one of these can hold a built-in secret pattern: one test instead of four.
const MAY_HOLD_SECRET = /bearer|basic|digest|token|eyJ|:\/\/|=/i;

// Secrets that show up inside free text: auth schemes, credentials in URLs, secret query
// parameters (JWTs: `redactJwts`). Each runs in linear time on any input — a client writes
// these strings (a User-Agent, a path) — so no pattern may rescan a long run from many starts:
// URL schemes are at most 32 characters, and JWTs are found by a hand-written scan.
const BUILTIN_PATTERNS: readonly [RegExp, (censor: string) => string][] = [
  [/\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, (c) => `$1 ${c}`],
  [/(\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@]+:)[^\s@/]+@/gi, (c) => `$1${c}@`],
  [
    /([?&;](?:password|passwd|pwd|token|access_token|refresh_token|api_key|apikey|secret|client_secret|sig|signature)=)[^&\s#"']+/gi,
    (c) => `$1${c}`,
  ],
];

/** `[A-Za-z0-9_-]`: a base64url character, what JWT segments are made of. */
function isSegmentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
}

/**
 * Blanks JWTs (`eyJ…` + at least 5 characters, `.`, at least 5, `.`, the signature) in one pass:
 * what `/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*\/g` matches, without that pattern's quadratic
 * time on a long run such as `eyJ-eyJ-eyJ-…` (every `eyJ` would rescan the run). When no token
 * starts at the first `eyJ` of a segment, none starts later in it (the same `.` ends them all).
 */
export function redactJwts(text: string, censor: string): string {
  let out = '';
  let last = 0;
  let at = text.indexOf('eyJ');
  while (at !== -1) {
    const before = at === 0 ? 32 : text.charCodeAt(at - 1);
    if (isSegmentChar(before) && before !== 45) {
      at = text.indexOf('eyJ', at + 1); // no word boundary before it
      continue;
    }
    let end = at + 3;
    while (end < text.length && isSegmentChar(text.charCodeAt(end))) end++;
    if (end - at >= 8 && text.charCodeAt(end) === 46) {
      let second = end + 1;
      while (second < text.length && isSegmentChar(text.charCodeAt(second))) second++;
      if (second - end - 1 >= 5 && text.charCodeAt(second) === 46) {
        let third = second + 1;
        while (third < text.length && isSegmentChar(text.charCodeAt(third))) third++;
        out += text.slice(last, at) + censor;
        last = third;
        at = text.indexOf('eyJ', third);
        continue;
      }
    }
    at = text.indexOf('eyJ', end);
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * Removes secrets from log data: values of secret-named fields (`password`, `token`,
 * `authorization`, `cookie`, `apiKey`, …) and secret-looking text inside strings (`Bearer …`,
 * JWTs, `user:pass@` in URLs, `?password=`). Errors become `{ type, message, stack, code }`.
 */
export class Redactor {
  readonly #keys: ReadonlySet<string>;
  readonly #patterns: readonly [RegExp, string][];
  readonly #custom: boolean;
  /** Field names repeat from line to line: remember the verdicts (bounded). */
  readonly #verdicts = new Map<string, boolean>();
  readonly censor: string;

  constructor(options: RedactOptions = {}) {
    this.censor = options.censor ?? REDACTED;
    this.#keys = new Set([...SECRET_NAMES, ...(options.keys ?? []).map(normalize)]);
    this.#custom = (options.patterns ?? []).length > 0;
    this.#patterns = [
      ...BUILTIN_PATTERNS.map(([re, replace]): [RegExp, string] => [re, replace(this.censor.replace(/\$/g, '$$$$'))]),
      ...(options.patterns ?? []).map((re): [RegExp, string] => [
        re.global ? re : new RegExp(re.source, `${re.flags}g`),
        this.censor.replace(/\$/g, '$$$$'),
      ]),
    ];
  }

  /** Whether a field name is secret. */
  isSecretKey(key: string): boolean {
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined) {
      const n = normalize(key);
      verdict = this.#keys.has(n) || SECRET_FRAGMENT.test(n);
      if (this.#verdicts.size >= 4096) this.#verdicts.clear();
      this.#verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** A string with secret-looking parts blanked. */
  text(value: string): string {
    if (!this.#custom && (value.length < 8 || !MAY_HOLD_SECRET.test(value))) return value;
    let out = value;
    for (const [re, replacement] of this.#patterns) {
      re.lastIndex = 0;
      if (re.test(out)) {
        re.lastIndex = 0;
        out = out.replace(re, replacement);
      }
    }
    return redactJwts(out, this.censor);
  }

  /** A JSON-safe copy of `value` with secrets removed (cycles, depth and size bounded). */
  value(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'bigint':
        return value.toString();
      case 'boolean':
        return value;
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (value === null) return null;
    const obj = value as object;
    if (seen.has(obj)) return '[Circular]';
    if (depth >= 10) return '[Truncated]';
    seen.add(obj);
    try {
      if (obj instanceof Error) {
        const out: Record<string, unknown> = { type: obj.name, message: this.text(obj.message) };
        const code = (obj as { code?: unknown }).code;
        if (typeof code === 'string' || typeof code === 'number') out.code = code;
        if (obj.stack !== undefined) out.stack = this.text(obj.stack);
        if (obj.cause !== undefined) out.cause = this.value(obj.cause, depth + 1, seen);
        return out;
      }
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
      if (Array.isArray(obj)) return obj.slice(0, 1000).map((v) => this.value(v, depth + 1, seen) ?? null);
      if (obj instanceof Map) return this.value(Object.fromEntries(obj), depth, seen);
      if (obj instanceof Set) return this.value([...obj], depth, seen);
      if (Buffer.isBuffer(obj) || obj instanceof Uint8Array) return `[${obj.byteLength} bytes]`;
      // What JSON.stringify would write for it (a URL, a Decimal, an ObjectId), then redacted.
      const json = toJsonForm(obj);
      if (json !== obj) return this.value(json, depth + 1, seen);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) {
        const clean = this.isSecretKey(k) ? this.censor : this.value(v, depth + 1, seen);
        // An own `__proto__` field (from JSON.parse) stays a field.
        if (clean !== undefined) setOwn(out, k, clean);
      }
      return out;
    } catch {
      // A getter or a proxy trap that throws: a log call must never throw for what it was given.
      return '[Unserializable]';
    } finally {
      seen.delete(obj);
    }
  }
}
