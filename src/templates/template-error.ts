import { CovetError } from '../errors.js';

/** The stable codes of `TemplateError`. */
export const TEMPLATE_ERROR_CODES = [
  /** The template source does not parse. */
  'ERR_TEMPLATE_SYNTAX',
  /** No template by that name. */
  'ERR_TEMPLATE_NOT_FOUND',
  /** A template name that leaves the template folder (`../`, absolute, NUL). */
  'ERR_TEMPLATE_NAME',
  /** An undefined variable or attribute with `strict: true`. */
  'ERR_TEMPLATE_UNDEFINED',
  /** The sandbox refused an attribute, a call or a value. */
  'ERR_TEMPLATE_SANDBOX',
  /** Include, extends, import or macro calls nested deeper than `maxDepth`. */
  'ERR_TEMPLATE_RECURSION',
  /** Unknown filter or test, or a context Promise given to a synchronous render. */
  'ERR_TEMPLATE_USAGE',
  /** Anything else thrown while rendering (the original error is the `cause`). */
  'ERR_TEMPLATE_RUNTIME',
] as const;

export type TemplateErrorCode = (typeof TEMPLATE_ERROR_CODES)[number];

/** Where in which template an error happened. */
export interface TemplateErrorLocation {
  /** The template's name (`<string>` for `renderString`). */
  readonly template: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** A few lines of the template around the error, the line marked with `>` and a caret. */
  readonly snippet: string;
}

/** Options of `new TemplateError()`. */
export interface TemplateErrorOptions {
  readonly code: TemplateErrorCode;
  readonly cause?: unknown;
  readonly location?: TemplateErrorLocation;
}

/**
 * A template failed to load, compile or render. `code` says which kind; `template`, `line`,
 * `column` and `snippet` say where when it is known, and the message repeats them.
 *
 * @example
 * try { templates.renderString('{% if %}') } catch (e) {
 *   if (e instanceof TemplateError) console.log(e.code, e.line, e.column) // ERR_TEMPLATE_SYNTAX 1 7
 * }
 */
export class TemplateError extends CovetError {
  declare readonly code: TemplateErrorCode;
  /** The message without the location and snippet. */
  readonly reason: string;
  readonly template: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly snippet: string | undefined;

  constructor(reason: string, options: TemplateErrorOptions) {
    const loc = options.location;
    const message = loc === undefined ? reason : `${loc.template}:${loc.line}:${loc.column}: ${reason}\n${loc.snippet}`;
    super(message, { code: options.code, cause: options.cause });
    this.reason = reason;
    this.template = loc?.template;
    this.line = loc?.line;
    this.column = loc?.column;
    this.snippet = loc?.snippet;
  }

  /** The same error with a location added (errors that already have one are returned as they are). */
  withLocation(location: TemplateErrorLocation): TemplateError {
    if (this.line !== undefined) return this;
    const err = new TemplateError(this.reason, { code: this.code, cause: this.cause, location });
    return err;
  }
}

/**
 * The 1-based line and column of `offset` in `source`, and a snippet of up to two lines before
 * it with a caret under the column.
 */
export function locate(template: string, source: string, offset: number): TemplateErrorLocation {
  const at = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < at; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  const column = at - lineStart + 1;
  const lines = source.split('\n');
  const first = Math.max(1, line - 2);
  const width = String(line).length;
  const out: string[] = [];
  for (let n = first; n <= line; n++) {
    const text = (lines[n - 1] ?? '').replace(/\r$/, '');
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
  }
  // Tabs keep their width in the caret line so the caret stays under the column.
  const before = (lines[line - 1] ?? '').slice(0, column - 1).replace(/[^\t]/g, ' ');
  out.push(`  ${' '.repeat(width)} | ${before.slice(0, 200)}^`);
  return { template, line, column, snippet: out.join('\n') };
}
