import { CovetError } from '../errors.js';
import { addFieldError } from '../internal/field-errors.js';
import { ValidationError } from '../validation-error.js';

/** One suspicious string found by `scan`. */
export interface SQLInjectionFinding {
  /** Dotted path of the field (`_root` for a bare string). */
  readonly field: string;
  /** Names of the patterns that matched (`union-select`, `tautology`, …). */
  readonly patterns: readonly string[];
  /** The start of the value (at most 100 characters), for the report. */
  readonly excerpt: string;
}

/** Options of `SQLInjectionProtector`. */
export interface SQLInjectionProtectorOptions {
  /** What `sanitize` does on a finding: throw a 400 `ValidationError` (default) or only report. */
  readonly action?: 'reject' | 'report';
  /** Called with the findings before `sanitize` rejects or returns (log them, count them). */
  readonly onDetect?: (findings: readonly SQLInjectionFinding[]) => void;
  /** More patterns, by name. Keep them linear (no nested quantifiers). */
  readonly patterns?: Readonly<Record<string, RegExp>>;
  /** Deepest nesting walked. Default 32. */
  readonly maxDepth?: number;
}

// Every quantifier is bounded and separated by literals: linear on adversarial input.
const PATTERNS: Readonly<Record<string, RegExp>> = {
  'union-select': /\bunion\b[\s(/*]{1,20}(?:all\b[\s(/*]{1,20})?select\b/i,
  // `' OR 'a'='a`, `' or 2>1`, `x' or name like '%`, `' or x is null`; not `(see above) and this
  // is great` or `"best" or worst > average` (`<`, `>` and LIKE need a value after them).
  tautology:
    /['"`)]\s{0,10}(?:or|and|\|\||&&)\s{1,10}[('"`]{0,2}\w{0,30}['"`]{0,2}\s{0,10}(?:=|<>|!=|(?:<|>|like\b)\s{0,10}[('"`\d]|is\s{1,10}(?:not\s{1,10})?null\b)/i,
  'numeric-tautology': /\b(?:or|and)\s{1,10}(\d{1,10})\s{0,10}=\s{0,10}\1\b/i,
  // After a single quote anywhere (`admin'--`, `x' #`, but not the hashtag in `'finale' #tv`);
  // after `"`, a backtick or `)` only a `/*` or a `--`/`#` that ends the input (`x") --`): prose
  // has `"hi" -- then` and `(really) #tag`.
  'comment-after-quote': /'\s{0,10}(?:--|#(?!\w)|\/\*)|["`)]\s{0,10}(?:\/\*|(?:--|#)\s{0,10}$)/,
  // A statement after `;`, by its SQL shape (`DROP TABLE`, `DELETE FROM`, `UPDATE t SET`…), not
  // the bare verb: "moved; update my address" and "; create a summary" are prose.
  'stacked-query':
    /;\s{0,10}(?:drop\s{1,10}(?:table|database|schema|view|index|user|role|procedure|function|trigger)\b|delete\s{1,10}from\b|insert\s{1,10}into\b|update\s{1,10}[\w."`[\]]{1,64}\s{1,10}set\b|alter\s{1,10}(?:table|database|schema|user|role|view)\b|create\s{1,10}(?:table|database|schema|user|role|view|index|procedure|function|trigger|or\s{1,10}replace)\b|truncate\s{1,10}(?:table\b|[\w."`[\]]{1,64}\s{0,10}(?:;|--|#|$))|exec(?:ute)?\s{0,10}(?:\(|@|xp_|sp_|master\.)|shutdown\s{0,10}(?:with\s{1,10}nowait\s{0,10})?(?:;|--|#|$)|(?:grant|revoke)\s{1,10}(?:all|select|insert|update|delete|usage|execute|create|alter|drop)\b|declare\s{1,10}@)/i,
  // `sleep(5)`, `sleep((select …))`, `benchmark(1000000, …)`: not "Sleep (8h) matters" or "benchmark (2024)".
  'time-based':
    /\b(?:pg_sleep|randomblob)\s{0,10}\(|\bsleep\s{0,10}\(\s{0,10}(?:\d{1,10}(?:\.\d{1,10})?\s{0,10}\)|\(|if\b|select\b|case\b)|\bbenchmark\s{0,10}\(\s{0,10}\d{1,12}\s{0,10},|\bwaitfor\s{1,10}delay\b/i,
  'system-objects': /\b(?:information_schema|pg_catalog|sysobjects|syscolumns|xp_cmdshell|sqlite_master|mysql\.user)\b/i,
  'file-access': /\b(?:load_file\s{0,10}\(|into\s{1,10}(?:out|dump)file\b)/i,
};

/**
 * Detects and reports input that looks like SQL injection. It does not make SQL safe and
 * never rewrites strings: **bound parameters are the defence** (`db.fetchAll("… WHERE name = %s",
 * name)` or `` db.sql`… ${name}` ``); this is a tripwire for logging and for refusing
 * obvious attacks on fields that will never hold such text. Patterns are heuristics: they match
 * SQL shapes (`; DROP TABLE`, `'--`), not bare words, yet prose can still match now and then.
 *
 * @example
 * const sqlProtector = new SQLInjectionProtector({ onDetect: (f) => logger.warn('sqli', { findings: f }) });
 * sqlProtector.isSuspicious("' OR '1'='1")          // true
 * const data = sqlProtector.sanitize(await req.json()) // unchanged data, or 400 {"errors": {field: ["Suspicious input"]}}
 */
export class SQLInjectionProtector {
  readonly #patterns: readonly (readonly [string, RegExp])[];
  readonly #action: 'reject' | 'report';
  readonly #onDetect: ((findings: readonly SQLInjectionFinding[]) => void) | undefined;
  readonly #maxDepth: number;

  constructor(options: SQLInjectionProtectorOptions = {}) {
    const all = { ...PATTERNS, ...options.patterns };
    this.#patterns = Object.entries(all).map(([name, re]) => [name, new RegExp(re.source, re.flags.replace(/[gy]/g, ''))] as const);
    this.#action = options.action ?? 'reject';
    this.#onDetect = options.onDetect;
    this.#maxDepth = options.maxDepth ?? 32;
  }

  /** Names of the patterns `value` matches (empty when none). */
  detect(value: string): string[] {
    const out: string[] = [];
    for (const [name, re] of this.#patterns) if (re.test(value)) out.push(name);
    return out;
  }

  /** Whether `value` matches any pattern. */
  isSuspicious(value: string): boolean {
    return this.detect(value).length > 0;
  }

  /** Every suspicious string in `data` (strings in objects and arrays, keys too). */
  scan(data: unknown): SQLInjectionFinding[] {
    const findings: SQLInjectionFinding[] = [];
    this.#walk(data, [], 0, findings);
    return findings;
  }

  #walk(value: unknown, path: string[], depth: number, findings: SQLInjectionFinding[]): void {
    if (typeof value === 'string') {
      const patterns = this.detect(value);
      if (patterns.length > 0) findings.push({ field: path.length === 0 ? '_root' : path.join('.'), patterns, excerpt: value.slice(0, 100) });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (depth >= this.#maxDepth) throw new CovetError('Input is nested too deeply to scan', { code: 'ERR_SQLI_TOO_DEEP' });
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [key, item] of entries) {
      path.push(key);
      if (!Array.isArray(value)) this.#walk(key, path, depth + 1, findings);
      this.#walk(item, path, depth + 1, findings);
      path.pop();
    }
  }

  /**
   * Scans `data` and reports findings to `onDetect`; with `action: 'reject'` (the default)
   * any finding throws a 400 `ValidationError` (`{"errors": {field: ["Suspicious input"]}}`).
   * Returns `data` itself, unchanged.
   */
  sanitize<T>(data: T): T {
    const findings = this.scan(data);
    if (findings.length === 0) return data;
    this.#onDetect?.(findings);
    if (this.#action === 'reject') {
      const errors: Record<string, string[]> = {};
      for (const f of findings) if (!Object.hasOwn(errors, f.field)) addFieldError(errors, f.field, 'Suspicious input');
      throw new ValidationError(errors, findings.map((f) => ({ message: 'Suspicious input', path: f.field === '_root' ? [] : f.field.split('.') })));
    }
    return data;
  }
}
