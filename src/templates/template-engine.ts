import { type HeadersInit, ResponseHeaders } from '../http/headers.js';
import { html, Response } from '../response.js';
import { builtinFilters, type FilterFunction, type FilterSpec, type TestFunction } from './builtin-filters.js';
import { builtinGlobals } from './builtin-globals.js';
import { builtinTests } from './builtin-tests.js';
import { compile } from './compiler.js';
import { LoopContext } from './loop-context.js';
import { Macro } from './macro.js';
import { Markup } from './markup.js';
import { parse } from './parser.js';
import type { Context, RenderHost, RenderState, TemplateModule } from './render-state.js';
import * as runtime from './runtime.js';
import { locate, TemplateError } from './template-error.js';
import { TemplateLoader, type TemplateSource } from './template-loader.js';

/** Options of `new TemplateEngine()`. */
export interface TemplateEngineOptions {
  /** Folder (or folders, searched in order) the templates are read from. Default `'templates'`. */
  readonly directory?: string | readonly string[];
  /** Templates by name, kept in memory and found before any folder. Default none. */
  readonly templates?: Readonly<Record<string, string>>;
  /**
   * HTML autoescape: `true`, `false`, or a function of the template name. Default: on for names
   * ending in `.html`, `.htm` or `.xml`, off for other files, on for `renderString`.
   */
  readonly autoescape?: boolean | ((name: string) => boolean);
  /** Undefined variables and attributes throw `TemplateError` (`ERR_TEMPLATE_UNDEFINED`) instead of rendering empty. Default `false`. */
  readonly strict?: boolean;
  /** Development mode: templates are recompiled when their file changes. Default `false`. */
  readonly debug?: boolean;
  /** Check files for changes on every render. Default: the value of `debug`. */
  readonly autoReload?: boolean;
  /** Remove the first newline after a block tag (Jinja's `trim_blocks`). Default `false`. */
  readonly trimBlocks?: boolean;
  /** Strip whitespace before a block tag at the start of a line (Jinja's `lstrip_blocks`). Default `false`. */
  readonly lstripBlocks?: boolean;
  /**
   * Keep a template's final newline in its output. Default `true`, as Nunjucks renders; `false`
   * drops one trailing newline of the source, as Jinja does by default (`keep_trailing_newline`).
   */
  readonly keepTrailingNewline?: boolean;
  /** How deep includes, extends, imports and macro calls may nest before `ERR_TEMPLATE_RECURSION`. Default `100`. */
  readonly maxDepth?: number;
  /**
   * How many loop iterations (`{% for %}`, its `if` filter included) and macro calls one render
   * may run before `ERR_TEMPLATE_SANDBOX`: rendering is synchronous, so a template of nested
   * loops would otherwise block the event loop for as long as it likes. Default `10_000_000`.
   */
  readonly maxLoopIterations?: number;
  /** Time zone of the `date` filter: `'UTC'`, `'local'` or an IANA name. Default `'UTC'`. */
  readonly timezone?: string;
  /** Variables every template sees (after the built-in `range`, `dict`, `namespace`, `cycler`, `joiner`). Default none. */
  readonly globals?: Readonly<Record<string, unknown>>;
  /** Extra filters, as with `addFilter`. Default none. */
  readonly filters?: Readonly<Record<string, FilterFunction>>;
  /** Extra tests, as with `addTest`. Default none. */
  readonly tests?: Readonly<Record<string, TestFunction>>;
  /** How many compiled `renderString` sources are kept. Default `256`. */
  readonly stringCacheSize?: number;
}

/** Status and headers of the `Response` that `render` returns. */
export interface RenderInit {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: HeadersInit;
}

/** Options of `renderString`. */
export interface RenderStringOptions {
  /** Default: the engine's `autoescape` when it is a boolean, else `true`. */
  readonly autoescape?: boolean;
  /** The name errors use. Default `'<string>'`. */
  readonly name?: string;
}

/** Options of `addFilter`. */
export interface AddFilterOptions {
  /** Names of the arguments after the value, so templates may pass them by keyword (`|f(x, width=3)`). */
  readonly params?: readonly string[];
  /**
   * A string the filter returns for a safe value (`Markup`, `|safe`, macro output, a block
   * `set`) is safe too, as Jinja's text filters keep `Markup`: only for filters that add no
   * unescaped text of their own. Default `false`: the result is escaped, unless it is the
   * value unchanged or the filter returns `Markup`.
   */
  readonly keepSafe?: boolean;
}

type ApplicationFunction = (value: unknown, ...args: unknown[]) => unknown;

/** The text of a safe value, for application code that expects a string. */
function plain(v: unknown): unknown {
  return v instanceof Markup ? v.value : v;
}

/**
 * A filter (or test) of the application, called with plain strings where the template holds
 * `Markup`, so `(x: string) => x.slice(0, 3)` works on safe values too.
 */
function withPlainStrings(fn: ApplicationFunction, keepSafe: boolean): ApplicationFunction {
  return function applicationFilter(value, ...args) {
    if (!(value instanceof Markup) && !args.some((a) => a instanceof Markup)) return fn(value, ...args);
    const input = plain(value);
    const r = fn(input, ...args.map(plain));
    if (value instanceof Markup && typeof r === 'string' && (r === input || keepSafe)) return r === input ? value : new Markup(r);
    return r;
  };
}

interface ResolvedOptions {
  readonly directories: readonly string[];
  readonly autoescape: boolean | ((name: string) => boolean);
  readonly strict: boolean;
  readonly autoReload: boolean;
  readonly trimBlocks: boolean;
  readonly lstripBlocks: boolean;
  readonly keepTrailingNewline: boolean;
  readonly maxDepth: number;
  readonly maxLoopIterations: number;
  readonly timezone: string;
  readonly stringCacheSize: number;
}

/** A compiled template. */
interface Compiled {
  readonly id: number;
  readonly name: string;
  readonly source: string;
  readonly module: TemplateModule;
  readonly position: (line: number, column: number) => number | undefined;
}

interface CacheEntry {
  readonly compiled: Compiled;
  readonly source: TemplateSource;
}

const AUTOESCAPE_EXTENSIONS = /\.(html|htm|xml)$/i;
const RUNTIME = Object.freeze({ ...runtime, Markup, TemplateError, LoopContext, Macro });
// `new Function('rt', 'F', 'T', body)` puts two lines before the body.
const FUNCTION_HEADER_LINES = 2;
const FRAME = /covet-template-(\d+):(\d+):(\d+)/;
let nextId = 0;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Jinja-style templates compiled to JavaScript functions once and cached: inheritance, blocks,
 * includes, macros, filters and tests, HTML autoescape, a sandbox, and errors that point at
 * the template line.
 *
 * @example
 * const templates = new TemplateEngine({ directory: 'templates' });
 * app.route('/page', async () => templates.render('page.html', { title: 'My Page', users }));
 * templates.addFilter('shout', (s: string) => `${s.toUpperCase()}!`);
 * templates.renderString('{{ name|shout }}', { name: 'hi' }); // 'HI!'
 */
export class TemplateEngine {
  readonly #opts: ResolvedOptions;
  readonly #loader: TemplateLoader;
  readonly #filters: Map<string, FilterSpec> = new Map();
  readonly #tests: Map<string, TestFunction> = new Map();
  readonly #globals: Context = Object.create(null) as Context;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #strings = new Map<string, Compiled>();
  readonly #byId = new Map<number, Compiled>();
  readonly #host: RenderHost;

  constructor(options: TemplateEngineOptions = {}) {
    const dir = options.directory ?? 'templates';
    const debug = options.debug ?? false;
    this.#opts = {
      directories: typeof dir === 'string' ? [dir] : [...dir],
      autoescape: options.autoescape ?? ((name: string) => AUTOESCAPE_EXTENSIONS.test(name)),
      strict: options.strict ?? false,
      autoReload: options.autoReload ?? debug,
      trimBlocks: options.trimBlocks ?? false,
      lstripBlocks: options.lstripBlocks ?? false,
      keepTrailingNewline: options.keepTrailingNewline ?? true,
      maxDepth: options.maxDepth ?? 100,
      maxLoopIterations: options.maxLoopIterations ?? 10_000_000,
      timezone: options.timezone ?? 'UTC',
      stringCacheSize: options.stringCacheSize ?? 256,
    };
    this.#loader = new TemplateLoader(this.#opts.directories, options.templates);
    const env = {
      filter: (name: string) => this.#filters.get(name),
      test: (name: string) => this.#tests.get(name),
      timezone: this.#opts.timezone,
    };
    for (const [name, spec] of Object.entries(builtinFilters(env))) this.#filters.set(name, spec);
    for (const [name, fn] of Object.entries(
      builtinTests(
        (n) => this.#filters.has(n),
        (n) => this.#tests.has(n),
      ),
    ))
      this.#tests.set(name, fn);
    for (const [name, value] of Object.entries(builtinGlobals())) this.#globals[name] = value;
    for (const [name, value] of Object.entries(options.globals ?? {})) this.#globals[name] = value;
    for (const [name, fn] of Object.entries(options.filters ?? {})) this.addFilter(name, fn);
    for (const [name, fn] of Object.entries(options.tests ?? {})) this.addTest(name, fn);
    this.#host = {
      load: (name, stream, ignoreMissing) => this.#loadAny(name, stream, ignoreMissing),
      context: () => Object.create(this.#globals) as Context,
      maxDepth: this.#opts.maxDepth,
      maxLoopIterations: this.#opts.maxLoopIterations,
    };
  }

  /**
   * Adds (or replaces) a filter: `{{ x|name }}`, `{{ x|name:arg }}`, `{{ x|name(a, b) }}`. The
   * value comes first, then the arguments; keyword arguments arrive as a trailing object
   * unless `options.params` names them. A safe value (`Markup`) arrives as its string, and a
   * string result is escaped as usual (unless `options.keepSafe`, or it is the value
   * unchanged); return `Markup` for HTML that must not be escaped.
   *
   * @example
   * templates.addFilter('truncate', (x: string, length = 50) => (x.length > length ? `${x.slice(0, length)}...` : x));
   */
  addFilter(name: string, fn: FilterFunction, options: AddFilterOptions = {}): this {
    if (typeof fn !== 'function') throw new TypeError(`filter '${name}' must be a function`);
    const wrapped = withPlainStrings(fn as ApplicationFunction, options.keepSafe === true) as FilterFunction;
    this.#filters.set(name, options.params === undefined ? { fn: wrapped } : { fn: wrapped, params: [...options.params] });
    // Compiled templates hold their filters; recompile on next use.
    this.clearCache();
    return this;
  }

  /**
   * Adds (or replaces) a test: `{% if x is name %}`, `{% if x is name(arg) %}`.
   *
   * @example
   * templates.addTest('admin', (user: { role: string }) => user.role === 'admin');
   */
  addTest(name: string, fn: TestFunction): this {
    if (typeof fn !== 'function') throw new TypeError(`test '${name}' must be a function`);
    this.#tests.set(name, withPlainStrings(fn as ApplicationFunction, false) as TestFunction);
    this.clearCache();
    return this;
  }

  /**
   * Adds (or replaces) a variable every template sees, unless the render context has its own.
   *
   * @example
   * templates.addGlobal('siteName', 'Covet');
   */
  addGlobal(name: string, value: unknown): this {
    this.#globals[name] = value;
    return this;
  }

  /** Forgets every compiled template (files are read again on next use). */
  clearCache(): void {
    this.#cache.clear();
    this.#strings.clear();
    this.#byId.clear();
  }

  /**
   * Renders a template file to an HTML `Response` (`text/html; charset=utf-8`). The context
   * must not hold Promises: use `renderAsync` to have them awaited.
   *
   * @example
   * app.route('/page', async () => templates.render('page.html', { title: 'My Page', users }));
   */
  render(name: string, context?: object, init: RenderInit = {}): Response {
    return html(this.renderToString(name, context), init.status, init.headers);
  }

  /** `render`, after awaiting the Promises among the context's values. */
  async renderAsync(name: string, context?: object, init: RenderInit = {}): Promise<Response> {
    const compiled = this.#load(name, false);
    const c = await this.#resolveContext(context);
    return html(this.#run(compiled, c, name) as string, init.status, init.headers);
  }

  /** Renders a template file to a string. */
  renderToString(name: string, context?: object): string {
    const compiled = this.#load(name, false);
    return this.#run(compiled, this.#context(context), name) as string;
  }

  /**
   * Renders template source to a string (compiled once per distinct source and kept in a
   * bounded cache). `{% extends %}` and `{% include %}` inside it load files as usual.
   *
   * @example
   * templates.renderString('Hello {{ name|upper }}!', { name: 'world' }) // 'Hello WORLD!'
   */
  renderString(source: string, context?: object, options: RenderStringOptions = {}): string {
    const compiled = this.#compileString(source, options, false);
    return this.#run(compiled, this.#context(context), compiled.name) as string;
  }

  /** `renderString`, after awaiting the Promises among the context's values. */
  async renderStringAsync(source: string, context?: object, options: RenderStringOptions = {}): Promise<string> {
    const compiled = this.#compileString(source, options, false);
    const c = await this.#resolveContext(context);
    return this.#run(compiled, c, compiled.name) as string;
  }

  /**
   * Renders a template as a stream of chunks, for large pages: the first bytes leave before
   * the last row is rendered. Context Promises are awaited first. A missing template or a
   * syntax error throws here, before anything is sent.
   *
   * @example
   * for await (const chunk of templates.stream('report.html', { rows })) socket.write(chunk);
   */
  stream(name: string, context?: object): AsyncIterable<string> {
    const compiled = this.#load(name, true);
    return this.#streamCompiled(compiled, context, name);
  }

  /**
   * `stream` as an HTML `Response` with a chunked body.
   *
   * @example
   * app.route('/report', async () => templates.renderStream('report.html', { rows: db.fetchAll('SELECT * FROM big') }));
   */
  renderStream(name: string, context?: object, init: RenderInit = {}): Response {
    const headers = new ResponseHeaders(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'text/html; charset=utf-8');
    return new Response(this.stream(name, context), { status: init.status ?? 200, headers });
  }

  // ---------------------------------------------------------------- internals

  async *#streamCompiled(compiled: Compiled, context: object | undefined, name: string): AsyncGenerator<string, void, undefined> {
    const c = await this.#resolveContext(context);
    const gen = this.#run(compiled, c, name, true) as Generator<string, void, undefined>;
    for (;;) {
      let r: IteratorResult<string, void>;
      try {
        r = gen.next();
      } catch (err) {
        throw this.#decorate(err);
      }
      if (r.done === true) return;
      yield r.value;
    }
  }

  #state(name: string): RenderState {
    return { host: this.#host, depth: 0, chain: [name], budget: this.#opts.maxLoopIterations };
  }

  #run(compiled: Compiled, c: Context, name: string, stream = false): string | Generator<string, void, undefined> {
    try {
      const r = compiled.module.root(c, this.#state(name), Object.create(null));
      if (stream) return r;
      return r as string;
    } catch (err) {
      throw this.#decorate(err);
    }
  }

  #context(data: object | undefined): Context {
    const c = Object.create(this.#globals) as Context;
    if (data == null) return c;
    for (const key of Object.keys(data)) {
      const v = (data as Record<string, unknown>)[key];
      if (isThenable(v)) {
        throw new TemplateError(
          `context value '${key}' is a Promise: use renderAsync(), renderStringAsync() or stream() to have it awaited`,
          {
            code: 'ERR_TEMPLATE_USAGE',
          },
        );
      }
      c[key] = v;
    }
    return c;
  }

  async #resolveContext(data: object | undefined): Promise<Context> {
    const c = Object.create(this.#globals) as Context;
    if (data == null) return c;
    const keys = Object.keys(data);
    const values = await Promise.all(keys.map((k) => (data as Record<string, unknown>)[k]));
    keys.forEach((k, i) => {
      c[k] = values[i];
    });
    return c;
  }

  #autoescapeFor(name: string): boolean {
    const a = this.#opts.autoescape;
    return typeof a === 'function' ? a(name) : a;
  }

  #compile(name: string, original: string, autoescape: boolean, stream: boolean): Compiled {
    const id = ++nextId;
    const source = this.#opts.keepTrailingNewline ? original : original.replace(/\r?\n$/, '');
    let out: ReturnType<typeof compile>;
    let factory: (
      rt: unknown,
      filters: readonly unknown[],
      tests: readonly unknown[],
    ) => { root: TemplateModule['root']; blocks: TemplateModule['blocks'] };
    try {
      const ast = parse(source, name, { trimBlocks: this.#opts.trimBlocks, lstripBlocks: this.#opts.lstripBlocks });
      out = compile(ast, {
        name,
        source,
        autoescape,
        strict: this.#opts.strict,
        stream,
        filter: (n) => this.#filters.get(n),
        hasTest: (n) => this.#tests.has(n),
      });
      // The source URL names the template in stack traces; it is a number, never the name.
      factory = new Function('rt', 'F', 'T', `${out.code}\n//# sourceURL=covet-template-${id}`) as typeof factory;
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      // A pathological template (thousands of chained operators) can exhaust the stack.
      throw new TemplateError(`template ${JSON.stringify(name)} is too deeply nested to compile`, {
        code: 'ERR_TEMPLATE_SYNTAX',
        cause: err,
      });
    }
    const filters = out.filters.map((n) => (this.#filters.get(n) as FilterSpec).fn);
    const tests = out.tests.map((n) => this.#tests.get(n) as TestFunction);
    const mod = factory(RUNTIME, filters, tests);
    const compiled: Compiled = { id, name, source, module: { name, root: mod.root, blocks: mod.blocks }, position: out.position };
    this.#byId.set(id, compiled);
    return compiled;
  }

  #compileString(source: string, options: RenderStringOptions, stream: boolean): Compiled {
    const engineDefault = this.#opts.autoescape;
    const autoescape = options.autoescape ?? (typeof engineDefault === 'boolean' ? engineDefault : true);
    const name = options.name ?? '<string>';
    const key = `${stream ? 's' : '-'}${autoescape ? 'e' : '-'}${name}\0${source}`;
    const hit = this.#strings.get(key);
    if (hit !== undefined) {
      // Most recently used last, so the oldest is evicted first.
      this.#strings.delete(key);
      this.#strings.set(key, hit);
      return hit;
    }
    const compiled = this.#compile(name, source, autoescape, stream);
    this.#strings.set(key, compiled);
    if (this.#strings.size > this.#opts.stringCacheSize) {
      const [oldKey, old] = this.#strings.entries().next().value as [string, Compiled];
      this.#strings.delete(oldKey);
      this.#byId.delete(old.id);
    }
    return compiled;
  }

  /** A template by name, compiled (or from the cache). Throws when missing. */
  #load(name: string, stream: boolean): Compiled {
    const found = this.#find(name, stream);
    if (found === null) {
      throw new TemplateError(`template ${JSON.stringify(name)} not found (looked in ${this.#loader.describe()})`, {
        code: 'ERR_TEMPLATE_NOT_FOUND',
      });
    }
    return found;
  }

  #find(name: string, stream: boolean): Compiled | null {
    if (typeof name !== 'string')
      throw new TemplateError(`a template name must be a string, got ${typeof name}`, { code: 'ERR_TEMPLATE_USAGE' });
    const key = `${stream ? 's' : '-'}${name}`;
    const entry = this.#cache.get(key);
    if (entry !== undefined && !(this.#opts.autoReload && this.#loader.changed(entry.source))) return entry.compiled;
    const src = this.#loader.load(name);
    if (src === null) return null;
    const compiled = this.#compile(src.name, src.source, this.#autoescapeFor(src.name), stream);
    if (entry !== undefined) this.#byId.delete(entry.compiled.id);
    this.#cache.set(key, { compiled, source: src });
    return compiled;
  }

  /** What `{% include %}`, `{% extends %}` and `{% import %}` load: a name, or the first of a list that exists. */
  #loadAny(name: unknown, stream: boolean, ignoreMissing: boolean): TemplateModule | null {
    const names = Array.isArray(name) ? name : [name];
    for (const n of names) {
      const s = n instanceof Markup ? n.value : n;
      if (typeof s !== 'string')
        throw new TemplateError(`a template name must be a string, got ${runtime.str(s) === '' ? String(s) : typeof s}`, {
          code: 'ERR_TEMPLATE_USAGE',
        });
      const found = this.#find(s, stream);
      if (found !== null) return found.module;
    }
    if (ignoreMissing) return null;
    const shown = names.map((n) => JSON.stringify(runtime.str(n))).join(', ');
    throw new TemplateError(`template ${shown} not found (looked in ${this.#loader.describe()})`, { code: 'ERR_TEMPLATE_NOT_FOUND' });
  }

  /** Adds the template, line and column to an error from rendering, from the stack frame of the compiled code. */
  #decorate(err: unknown): unknown {
    if (err instanceof TemplateError && err.line !== undefined) return err;
    const stack = err instanceof Error ? (err.stack ?? '') : '';
    const m = FRAME.exec(stack);
    let location: ReturnType<typeof locate> | undefined;
    if (m !== null) {
      const compiled = this.#byId.get(Number(m[1]));
      const pos = compiled?.position(Number(m[2]) - FUNCTION_HEADER_LINES, Number(m[3]));
      if (compiled !== undefined && pos !== undefined) location = locate(compiled.name, compiled.source, pos);
    }
    if (err instanceof TemplateError) return location === undefined ? err : err.withLocation(location);
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      return new TemplateError('recursion too deep: the JavaScript call stack is exhausted', {
        code: 'ERR_TEMPLATE_RECURSION',
        cause: err,
        ...(location === undefined ? {} : { location }),
      });
    }
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${runtime.str(err)}`;
    return new TemplateError(reason, { code: 'ERR_TEMPLATE_RUNTIME', cause: err, ...(location === undefined ? {} : { location }) });
  }
}
