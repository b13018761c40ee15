// Compiles a parsed template to the source of one JavaScript function that returns the
// template's top level and its blocks. The source is evaluated once per template (and kept).
//
// Why this cannot be used to inject code: nothing from the template reaches the generated
// source except through `JSON.stringify` (strings, names used as property keys) or as a number
// the lexer matched with /[0-9.eE+-]/ and `Number()` parsed. Template variable names never
// become JavaScript identifiers: locals are `v1`, `v2`, … and everything else is a property of
// the context object `c`. Attribute names are refused at compile time when they lead to a
// prototype or constructor, and checked at run time when they are computed.
import type { CallArgs, Expr, FilterCall, LoopTarget, MacroParam, Stmt, Target } from './ast.js';
import type { FilterSpec } from './builtin-filters.js';
import { UNSAFE_NAMES } from './sandbox.js';
import { locate, TemplateError, type TemplateErrorCode } from './template-error.js';

/** What the compiler needs to know besides the tree. */
export interface CompileOptions {
  readonly name: string;
  readonly source: string;
  readonly autoescape: boolean;
  readonly strict: boolean;
  /** Compile the top level and blocks as generators that yield chunks (streaming render). */
  readonly stream: boolean;
  readonly filter: (name: string) => FilterSpec | undefined;
  readonly hasTest: (name: string) => boolean;
}

/** The generated source and what it refers to. */
export interface CompiledSource {
  /** The body of `new Function('rt', 'F', 'T', code)`. */
  readonly code: string;
  /** `F[i]` is the filter named `filters[i]`. */
  readonly filters: readonly string[];
  /** `T[i]` is the test named `tests[i]`. */
  readonly tests: readonly string[];
  /** For a 1-based line and column of `code`, the template offset it was generated from. */
  readonly position: (line: number, column: number) => number | undefined;
}

/** Helpers of runtime.ts the generated code uses as local constants. */
const RT_NAMES = [
  'esc',
  'str',
  'truthy',
  'attr',
  'attrStrict',
  'need',
  'item',
  'itemStrict',
  'slice',
  'call',
  'callMethod',
  'setAttr',
  'iter',
  'unpack',
  'eq',
  'contains',
  'add',
  'sub',
  'mul',
  'pow',
  'neg',
  'pos',
  'lt',
  'le',
  'gt',
  'ge',
  'div',
  'floordiv',
  'mod',
  'cat',
  'catEsc',
  'derive',
  'tuple',
  'kwargs',
  'G',
  'P',
] as const;

/** The runtime function of each arithmetic operator (`~` is compiled apart). */
const BINARY_OPS: Readonly<Record<string, string>> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '//': 'floordiv',
  '%': 'mod',
  '**': 'pow',
};
/** The runtime function of each ordering comparison. */
const COMPARE_OPS: Readonly<Record<string, string>> = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

/** Counts one loop iteration (or macro call) against the render's `maxLoopIterations`. */
const BUDGET = 'if (--s.budget < 0) rt.outOfIterations(s);';

const LOOP_INLINE = new Set(['index', 'index0', 'first', 'last', 'length', 'revindex', 'revindex0']);
const FLUSH_AT = 16384;
const MARK = '\u0000';
const MARK_END = '\u0001';

interface Line {
  text: string;
  segs: Array<readonly [number, number]>;
}

interface Fn {
  readonly kind: 'root' | 'block' | 'macro';
  readonly generator: boolean;
  readonly blockName: string | null;
  readonly temps: string[];
  readonly decl: Line;
  /** Root of a template that extends another: output only while no parent is set. */
  readonly guard: boolean;
}

interface LoopInfo {
  readonly index: string;
  readonly length: string;
  readonly object: string | null;
  readonly fn: Fn;
}

interface Scope {
  readonly kind: 'ctx' | 'local';
  readonly vars: Map<string, string>;
  readonly decl: Line | null;
  readonly fn: Fn;
  readonly loop: LoopInfo | null;
}

function mark(pos: number): string {
  return `${MARK}${pos}${MARK_END}`;
}

function q(s: string): string {
  return JSON.stringify(s);
}

function numberLiteral(n: number): string {
  if (Number.isNaN(n)) return '(0/0)';
  if (!Number.isFinite(n)) return n > 0 ? '(1/0)' : '(-1/0)';
  return String(n);
}

/** A short source-like description of an expression, for error messages. */
function describe(e: Expr): string {
  switch (e.kind) {
    case 'name':
      return e.name;
    case 'attr':
      return `${describe(e.object)}.${e.name}`;
    case 'item':
      return `${describe(e.object)}[…]`;
    case 'call':
      return `${describe(e.callee)}(…)`;
    case 'literal':
      return JSON.stringify(e.value);
    default:
      return 'expression';
  }
}

/** Whether an expression always evaluates to a boolean (so `truthy()` can be skipped). */
function isBoolean(e: Expr): boolean {
  switch (e.kind) {
    case 'compare':
    case 'test':
      return true;
    case 'unary':
      return e.op === 'not';
    case 'literal':
      return typeof e.value === 'boolean';
    case 'and':
    case 'or':
      return isBoolean(e.left) && isBoolean(e.right);
    default:
      return false;
  }
}

/** Calls `visit` on every expression and statement below `nodes`, not entering nested `for` bodies when `skipLoops`. */
function walk(nodes: readonly Stmt[], visitExpr: (e: Expr, parent: Expr | null) => void, skipLoopBodies: boolean): void {
  const expr = (e: Expr | null, parent: Expr | null = null): void => {
    if (e === null) return;
    visitExpr(e, parent);
    switch (e.kind) {
      case 'list':
        for (const i of e.items) expr(i, e);
        break;
      case 'dict':
        for (const [k, v] of e.pairs) {
          expr(k, e);
          expr(v, e);
        }
        break;
      case 'attr':
        expr(e.object, e);
        break;
      case 'item':
        expr(e.object, e);
        expr(e.key, e);
        break;
      case 'slice':
        expr(e.object, e);
        expr(e.start, e);
        expr(e.stop, e);
        expr(e.step, e);
        break;
      case 'call':
        expr(e.callee, e);
        args(e, e);
        break;
      case 'filter':
        expr(e.value, e);
        args(e.filter, e);
        break;
      case 'test':
        expr(e.value, e);
        args(e, e);
        break;
      case 'unary':
        expr(e.operand, e);
        break;
      case 'binary':
      case 'and':
      case 'or':
        expr(e.left, e);
        expr(e.right, e);
        break;
      case 'compare':
        expr(e.first, e);
        for (const r of e.rest) expr(r.expr, e);
        break;
      case 'cond':
        expr(e.test, e);
        expr(e.whenTrue, e);
        expr(e.whenFalse, e);
        break;
      default:
        break;
    }
  };
  const args = (a: CallArgs, parent: Expr) => {
    for (const x of a.args) expr(x, parent);
    for (const [, x] of a.kwargs) expr(x, parent);
  };
  const params = (ps: readonly MacroParam[]) => {
    for (const p of ps) expr(p.default);
  };
  const filters = (fs: readonly FilterCall[]) => {
    for (const f of fs) for (const x of [...f.args, ...f.kwargs.map(([, v]) => v)]) expr(x);
  };
  const stmts = (list: readonly Stmt[]): void => {
    for (const s of list) {
      switch (s.kind) {
        case 'output':
        case 'do':
          expr(s.expr);
          break;
        case 'if':
          for (const b of s.branches) {
            expr(b.test);
            stmts(b.body);
          }
          if (s.otherwise !== null) stmts(s.otherwise);
          break;
        case 'for':
          expr(s.iter);
          if (!skipLoopBodies) {
            expr(s.filter);
            stmts(s.body);
          }
          if (s.otherwise !== null) stmts(s.otherwise);
          break;
        case 'set':
          expr(s.value);
          break;
        case 'setBlock':
          filters(s.filters);
          stmts(s.body);
          break;
        case 'block':
        case 'autoescape':
          stmts(s.body);
          break;
        case 'extends':
          expr(s.template);
          break;
        case 'include':
        case 'import':
        case 'fromImport':
          expr(s.template);
          break;
        case 'macro':
          params(s.params);
          stmts(s.body);
          break;
        case 'callBlock':
          params(s.params);
          expr(s.call);
          stmts(s.body);
          break;
        case 'filterBlock':
          filters(s.filters);
          stmts(s.body);
          break;
        case 'with':
          for (const a of s.assignments) expr(a.value);
          stmts(s.body);
          break;
        default:
          break;
      }
    }
  };
  stmts(nodes);
}

/** Whether a loop body needs the `loop` object itself (not only `loop.index` and friends, which compile inline). */
function needsLoopObject(body: readonly Stmt[]): boolean {
  let needed = false;
  walk(
    body,
    (e, parent) => {
      if (e.kind !== 'name' || e.name !== 'loop') return;
      if (parent?.kind === 'attr' && parent.object === e && LOOP_INLINE.has(parent.name)) return;
      needed = true;
    },
    true,
  );
  if (needed) return true;
  // Includes, blocks, macros and call blocks may read `loop` by name.
  const scan = (list: readonly Stmt[]): boolean =>
    list.some((s) => {
      switch (s.kind) {
        case 'include':
        case 'block':
        case 'macro':
        case 'callBlock':
          return true;
        case 'if':
          return s.branches.some((b) => scan(b.body)) || (s.otherwise !== null && scan(s.otherwise));
        case 'with':
        case 'autoescape':
        case 'setBlock':
        case 'filterBlock':
          return scan(s.body);
        case 'for':
          return s.otherwise !== null && scan(s.otherwise);
        default:
          return false;
      }
    });
  return scan(body);
}

function hasExtends(body: readonly Stmt[]): boolean {
  return body.some((s) => {
    switch (s.kind) {
      case 'extends':
        return true;
      case 'if':
        return s.branches.some((b) => hasExtends(b.body)) || (s.otherwise !== null && hasExtends(s.otherwise));
      case 'with':
      case 'autoescape':
        return hasExtends(s.body);
      default:
        return false;
    }
  });
}

/** Compiles a template's statements to JavaScript source. */
export function compile(body: readonly Stmt[], options: CompileOptions): CompiledSource {
  return new Compiler(options).compileTemplate(body);
}

class Compiler {
  readonly #o: CompileOptions;
  readonly #lines: Line[] = [];
  #out: Line[] = this.#lines;
  #indent = '';
  #counter = 0;
  readonly #filters: string[] = [];
  readonly #tests: string[] = [];
  readonly #blocks: Array<{ name: string; fnName: string; lines: Line[] }> = [];
  readonly #blockNames = new Set<string>();
  #scopes: Scope[] = [];
  #fn!: Fn;
  #autoescape: boolean;
  /** Inside a `{% set %}` block or `{% filter %}` (output is captured, never guarded or yielded). */
  #capture = 0;
  /** Inside `is defined` or `|default`: no strict-undefined errors. */
  #soft = 0;
  /** Consecutive writes, emitted as one `out += a + b + c;` statement. */
  #pending: string[] = [];
  #pendingGuarded = false;
  /** A top-level `{% set self = … %}` seen: from there on `self` is that variable, as in Jinja. */
  #selfAssigned = false;
  /** The locals holding macro parameters without a default, which are undefined when not passed. */
  readonly #requiredParams = new Set<string>();

  constructor(options: CompileOptions) {
    this.#o = options;
    this.#autoescape = options.autoescape;
  }

  fail(message: string, pos: number, code: TemplateErrorCode = 'ERR_TEMPLATE_SYNTAX'): never {
    throw new TemplateError(message, { code, location: locate(this.#o.name, this.#o.source, pos) });
  }

  // ---------------------------------------------------------------- emitting

  emit(text: string, pos?: number): Line {
    if (this.#pending.length > 0) this.flush();
    const raw = `${this.#indent}${pos === undefined ? '' : mark(pos)}${text}`;
    const line: Line = { text: '', segs: [] };
    let out = '';
    let i = 0;
    for (let j = raw.indexOf(MARK); j !== -1; j = raw.indexOf(MARK, i)) {
      out += raw.slice(i, j);
      const k = raw.indexOf(MARK_END, j);
      line.segs.push([out.length + 1, Number(raw.slice(j + 1, k))]);
      i = k + 1;
    }
    line.text = out + raw.slice(i);
    this.#out.push(line);
    return line;
  }

  indented(fn: () => void): void {
    const saved = this.#indent;
    this.#indent += '  ';
    try {
      fn();
    } finally {
      this.#indent = saved;
    }
  }

  id(prefix: 't' | 'v'): string {
    return `${prefix}${++this.#counter}`;
  }

  temp(): string {
    const t = this.id('t');
    this.#fn.temps.push(t);
    return t;
  }

  // ---------------------------------------------------------------- scopes

  pushScope(kind: 'ctx' | 'local', loop: LoopInfo | null = null): Scope {
    const scope: Scope = { kind, vars: new Map(), decl: kind === 'local' ? this.emit('') : null, fn: this.#fn, loop };
    this.#scopes.push(scope);
    return scope;
  }

  popScope(): void {
    const scope = this.#scopes.pop() as Scope;
    if (scope.decl !== null && scope.vars.size > 0) scope.decl.text = `${this.#indent}let ${[...scope.vars.values()].join(', ')};`;
  }

  resolve(name: string): string | undefined {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const v = (this.#scopes[i] as Scope).vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  loopInfo(): LoopInfo | null {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const s = this.#scopes[i] as Scope;
      if (s.vars.has('loop')) return null;
      if (s.loop !== null) return s.loop;
    }
    return null;
  }

  /** The JavaScript target a `{% set name %}` in the current scope writes. */
  declare(name: string): string {
    const scope = this.#scopes[this.#scopes.length - 1] as Scope;
    if (scope.kind === 'ctx') {
      if (name === 'self') this.#selfAssigned = true;
      return `c[${q(name)}]`;
    }
    let v = scope.vars.get(name);
    if (v === undefined) {
      v = this.id('v');
      scope.vars.set(name, v);
    }
    return v;
  }

  /** `{["a"]: v1, …}` of the local variables visible here, for includes and block calls. */
  locals(): string {
    const seen = new Map<string, string>();
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const s = this.#scopes[i] as Scope;
      for (const [name, v] of s.vars) if (!seen.has(name)) seen.set(name, v);
      if (s.loop?.object != null && !seen.has('loop')) seen.set('loop', s.loop.object);
    }
    return `{${[...seen].map(([name, v]) => `[${q(name)}]: ${v}`).join(', ')}}`;
  }

  hasLocals(): boolean {
    return this.#scopes.some((s) => s.vars.size > 0 || s.loop?.object != null);
  }

  // ---------------------------------------------------------------- template

  compileTemplate(body: readonly Stmt[]): CompiledSource {
    const stream = this.#o.stream;
    const guard = hasExtends(body);
    const fnLines: Line[] = [];
    this.#out = fnLines;
    this.emit(`${stream ? 'function*' : 'function'} root(c, s, b) {`);
    this.indented(() => {
      this.#fn = { kind: 'root', generator: stream, blockName: null, temps: [], decl: this.emit(''), guard };
      this.emit('let out = "", p = null;');
      const registerAt = this.emit('');
      this.pushScope('ctx');
      this.stmts(body);
      this.popScope();
      if (this.#blocks.length > 0) registerAt.text = `${this.#indent}rt.defineBlocks(b, BLOCKS);`;
      if (stream) {
        this.emit('if (out !== "") yield out;');
        this.emit('if (p !== null) yield* rt.streamParent(p, c, s, b);');
      } else {
        this.emit('return p === null ? out : out + rt.renderParent(p, c, s, b);');
      }
      this.finishFn();
    });
    this.emit('}');

    this.#out = this.#lines;
    this.emit('"use strict";');
    this.emit(`const { ${RT_NAMES.join(', ')} } = rt;`);
    if (this.#filters.length > 0) this.emit(`const ${this.#filters.map((_, i) => `f${i} = F[${i}]`).join(', ')};`);
    if (this.#tests.length > 0) this.emit(`const ${this.#tests.map((_, i) => `x${i} = T[${i}]`).join(', ')};`);
    this.#lines.push(...fnLines);
    for (const b of this.#blocks) this.#lines.push(...b.lines);
    this.emit('const BLOCKS = Object.create(null);');
    for (const b of this.#blocks) this.emit(`BLOCKS[${q(b.name)}] = ${b.fnName};`);
    this.emit(`return { root, blocks: BLOCKS };`);

    const lines = this.#lines;
    const code = lines.map((l) => l.text).join('\n');
    return {
      code,
      filters: this.#filters,
      tests: this.#tests,
      position: (line, column) => {
        for (let n = line; n >= 1; n--) {
          const segs = lines[n - 1]?.segs;
          if (segs === undefined || segs.length === 0) continue;
          if (n !== line) return segs[segs.length - 1]?.[1];
          let best = segs[0];
          for (const seg of segs) if (seg[0] <= column) best = seg;
          return best?.[1];
        }
        return undefined;
      },
    };
  }

  finishFn(): void {
    const fn = this.#fn;
    if (fn.temps.length > 0) fn.decl.text = `${this.#indent}let ${fn.temps.join(', ')};`;
  }

  // ---------------------------------------------------------------- statements

  stmts(list: readonly Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  /** Queues `out += js` (guarded in a child template's top level); `js` must be a string. */
  write(js: string, pos: number): void {
    const guarded = this.#fn.guard && this.#capture === 0;
    if (this.#pending.length > 0 && guarded !== this.#pendingGuarded) this.flush();
    this.#pending.push(`${mark(pos)}${js}`);
    this.#pendingGuarded = guarded;
  }

  flush(): void {
    const parts = this.#pending;
    this.#pending = [];
    this.emit(`${this.#pendingGuarded ? 'if (p === null) ' : ''}out += ${parts.join(' + ')};`);
  }

  canYield(): boolean {
    return this.#fn.generator && this.#capture === 0;
  }

  /** Emits `yield* js`, flushing the buffer first. */
  delegate(js: string, pos: number): void {
    const prefix = this.#fn.guard ? 'if (p === null) ' : '';
    this.emit(`${prefix}{ if (out !== "") { yield out; out = ""; } yield* ${js}; }`, pos);
  }

  stmt(s: Stmt): void {
    switch (s.kind) {
      case 'text':
        this.write(q(s.value), s.pos);
        break;
      case 'output':
        this.output(s.expr, s.pos);
        break;
      case 'if':
        s.branches.forEach((b, i) => {
          this.emit(`${i === 0 ? 'if' : '} else if'} (${this.cond(b.test)}) {`, b.test.pos);
          this.indented(() => this.stmts(b.body));
        });
        if (s.otherwise !== null) {
          this.emit('} else {');
          this.indented(() => this.stmts(s.otherwise as readonly Stmt[]));
        }
        this.emit('}');
        break;
      case 'for':
        this.forLoop(s);
        break;
      case 'set':
        this.set(s.targets, s.value, s.pos);
        break;
      case 'setBlock': {
        const captured = this.capture(s.body);
        const value = this.applyFilters(captured, s.filters);
        this.assign(s.target, value, s.pos);
        break;
      }
      case 'block':
        this.block(s);
        break;
      case 'extends':
        if (this.#fn.kind !== 'root' || this.#scopes.length !== 1)
          this.fail("'{% extends %}' must be at the top level of a template", s.pos);
        this.emit(`p = rt.extend(s, ${this.expr(s.template)}, p, ${this.#o.stream});`, s.pos);
        break;
      case 'include': {
        const ctx = s.withContext ? `derive(c, ${this.locals()})` : 's.host.context()';
        const name = this.expr(s.template);
        if (this.canYield()) this.delegate(`rt.streamInclude(s, ${name}, ${ctx}, ${s.ignoreMissing})`, s.pos);
        else this.write(`rt.include(s, ${name}, ${ctx}, ${s.ignoreMissing})`, s.pos);
        break;
      }
      case 'import': {
        const ctx = s.withContext ? `derive(c, ${this.locals()})` : 'null';
        this.emit(`${this.declare(s.alias)} = rt.importTemplate(s, ${this.expr(s.template)}, ${ctx});`, s.pos);
        break;
      }
      case 'fromImport': {
        const ctx = s.withContext ? `derive(c, ${this.locals()})` : 'null';
        const mod = this.temp();
        const nameT = this.temp();
        this.emit(`${nameT} = ${this.expr(s.template)};`, s.pos);
        this.emit(`${mod} = rt.importTemplate(s, ${nameT}, ${ctx});`, s.pos);
        for (const n of s.names) this.emit(`${this.declare(n.alias)} = rt.imported(${mod}, ${q(n.name)}, ${nameT});`, n.pos);
        break;
      }
      case 'macro': {
        const target = this.declare(s.name);
        this.macro(target, s.name, s.params, s.body, s.pos);
        break;
      }
      case 'callBlock':
        this.callBlock(s);
        break;
      case 'filterBlock': {
        const captured = this.capture(s.body);
        this.output(null, s.pos, this.applyFilters(captured, s.filters));
        break;
      }
      case 'with': {
        const values = s.assignments.map((a) => {
          const t = this.temp();
          this.emit(`${t} = ${this.expr(a.value)};`, a.value.pos);
          return t;
        });
        this.emit('{');
        this.indented(() => {
          this.pushScope('local');
          s.assignments.forEach((a, i) => {
            this.emit(`${this.declare(a.name)} = ${values[i]};`);
          });
          this.stmts(s.body);
          this.popScope();
        });
        this.emit('}');
        break;
      }
      case 'break':
        this.emit('break;', s.pos);
        break;
      case 'continue':
        this.emit('continue;', s.pos);
        break;
      case 'autoescape': {
        const saved = this.#autoescape;
        this.#autoescape = s.enabled;
        try {
          this.stmts(s.body);
        } finally {
          this.#autoescape = saved;
        }
        break;
      }
      case 'do':
        this.emit(`${this.expr(s.expr)};`, s.pos);
        break;
    }
  }

  /** Output of an expression (or of already compiled `js`), escaped when autoescape is on. */
  output(e: Expr | null, pos: number, js?: string): void {
    if (e !== null && e.kind === 'literal') {
      const v = e.value;
      const text = v === null ? '' : String(v);
      this.write(
        q(
          this.#autoescape
            ? text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string)
            : text,
        ),
        pos,
      );
      return;
    }
    if (e !== null && js === undefined && this.isPlainOutput(e)) {
      // A number, a boolean or a literal without HTML characters prints as itself.
      this.write(`("" + ${this.expr(e)})`, pos);
      return;
    }
    const code = js ?? this.expr(e as Expr);
    this.write(`${this.#autoescape ? 'esc' : 'str'}(${code})`, pos);
  }

  /** Whether an expression's output needs neither escaping nor `str()`: loop counters, booleans, plain literals. */
  isPlainOutput(e: Expr): boolean {
    switch (e.kind) {
      case 'literal':
        return e.value !== null && !/[&<>"']/.test(String(e.value));
      case 'compare':
      case 'test':
        return true;
      case 'unary':
        return e.op === 'not';
      case 'cond':
        return e.whenFalse !== null && this.isPlainOutput(e.whenTrue) && this.isPlainOutput(e.whenFalse);
      case 'attr':
        return (
          e.object.kind === 'name' &&
          e.object.name === 'loop' &&
          LOOP_INLINE.has(e.name) &&
          this.resolve('loop') === undefined &&
          this.loopInfo()?.fn === this.#fn
        );
      default:
        return false;
    }
  }

  /** Compiles `body` writing to a fresh buffer; returns the expression of what it wrote. */
  capture(body: readonly Stmt[]): string {
    const saved = this.temp();
    const value = this.temp();
    this.emit(`${saved} = out; out = "";`);
    this.#capture++;
    try {
      this.stmts(body);
    } finally {
      this.#capture--;
    }
    this.emit(`${value} = ${this.#autoescape ? 'new rt.Markup(out)' : 'out'}; out = ${saved};`);
    return value;
  }

  assign(target: Target, js: string, pos: number): void {
    if (target.kind === 'name') this.emit(`${this.declare(target.name)} = ${js};`, pos);
    else {
      if (UNSAFE_NAMES.has(target.attr)) this.fail(`assignment to attribute '${target.attr}' is not allowed`, pos, 'ERR_TEMPLATE_SANDBOX');
      this.emit(`setAttr(${this.name(target.ns, target.pos)}, ${q(target.attr)}, ${js});`, pos);
    }
  }

  set(targets: readonly Target[], value: Expr, pos: number): void {
    const js = this.expr(value);
    if (targets.length === 1) {
      this.assign(targets[0] as Target, js, pos);
      return;
    }
    const t = this.temp();
    this.emit(`${t} = unpack(${js}, ${targets.length});`, pos);
    targets.forEach((target, i) => {
      this.assign(target, `${t}[${i}]`, pos);
    });
  }

  forLoop(s: Extract<Stmt, { kind: 'for' }>): void {
    const items = this.temp();
    const n = this.temp();
    const i = this.temp();
    const loopObj = needsLoopObject(s.body) ? this.temp() : null;
    this.emit(`${items} = iter(${this.expr(s.iter)}, ${s.targets.length});`, s.iter.pos);
    const bindTarget = (target: LoopTarget, itemJs: string): void => {
      if (typeof target === 'string') {
        this.emit(`${this.declare(target)} = ${itemJs};`);
        return;
      }
      const parts = this.temp();
      this.emit(`${parts} = unpack(${itemJs}, ${target.length});`, s.pos);
      target.forEach((sub, k) => {
        bindTarget(sub, `${parts}[${k}]`);
      });
    };
    const bind = (itemJs: string) => bindTarget(s.targets.length === 1 ? (s.targets[0] as LoopTarget) : s.targets, itemJs);
    if (s.filter !== null) {
      // `for x in xs if cond`: filter first, so loop.length and loop.last count only the kept items.
      const kept = this.temp();
      const x = this.temp();
      this.emit(`${kept} = [];`);
      this.emit(`for (${x} of ${items}) {`);
      this.indented(() => {
        this.emit(BUDGET);
        this.pushScope('local');
        bind(x);
        this.emit(`if (${this.cond(s.filter as Expr)}) ${kept}.push(${x});`, (s.filter as Expr).pos);
        this.popScope();
      });
      this.emit('}');
      this.emit(`${items} = ${kept};`);
    }
    this.emit(`${n} = ${items}.length;`);
    if (loopObj !== null) this.emit(`${loopObj} = new rt.LoopContext(${items});`);
    this.emit(`for (${i} = 0; ${i} < ${n}; ${i}++) {`);
    this.indented(() => {
      this.emit(BUDGET);
      this.pushScope('local', { index: i, length: n, object: loopObj, fn: this.#fn });
      bind(`${items}[${i}]`);
      if (loopObj !== null) this.emit(`${loopObj}.index0 = ${i};`);
      this.stmts(s.body);
      this.popScope();
      if (this.canYield()) this.emit(`if (out.length >= ${FLUSH_AT}) { yield out; out = ""; }`);
    });
    this.emit('}');
    if (s.otherwise !== null) {
      this.emit(`if (${n} === 0) {`);
      this.indented(() => this.stmts(s.otherwise as readonly Stmt[]));
      this.emit('}');
    }
  }

  block(s: Extract<Stmt, { kind: 'block' }>): void {
    if (this.#blockNames.has(s.name)) this.fail(`block '${s.name}' defined twice`, s.pos);
    this.#blockNames.add(s.name);
    if (this.#pending.length > 0) this.flush();
    const fnName = `b${this.#blocks.length}_${++this.#counter}`;
    // The block's own function, compiled apart with a scope of its own.
    const savedOut = this.#out;
    const savedScopes = this.#scopes;
    const savedFn = this.#fn;
    const savedIndent = this.#indent;
    const savedCapture = this.#capture;
    const lines: Line[] = [];
    this.#out = lines;
    this.#scopes = [];
    this.#indent = '';
    this.#capture = 0;
    const stream = this.#o.stream;
    try {
      this.emit(`${stream ? 'function*' : 'function'} ${fnName}(c, s, b, bi) {`, s.pos);
      this.indented(() => {
        this.#fn = { kind: 'block', generator: stream, blockName: s.name, temps: [], decl: this.emit(''), guard: false };
        if (s.required) {
          this.emit(
            `throw new rt.TemplateError(${q(`required block '${s.name}' must be overridden`)}, { code: "ERR_TEMPLATE_RUNTIME" });`,
            s.pos,
          );
        } else {
          this.emit('let out = "";');
          this.pushScope('local');
          this.stmts(s.body);
          this.popScope();
          this.emit(stream ? 'if (out !== "") yield out;' : 'return out;');
        }
        this.finishFn();
      });
      this.emit('}');
    } finally {
      this.#out = savedOut;
      this.#scopes = savedScopes;
      this.#fn = savedFn;
      this.#indent = savedIndent;
      this.#capture = savedCapture;
    }
    this.#blocks.push({ name: s.name, fnName, lines });
    const ctx = this.hasLocals() ? `derive(c, ${this.locals()})` : 'c';
    const call = `rt.block(b, ${q(s.name)}, ${ctx}, s)`;
    if (this.canYield()) this.delegate(call, s.pos);
    else this.write(this.#o.stream ? `rt.drain(${call})` : call, s.pos);
  }

  /** Emits `target = new Macro(…)` with the body as a nested function. */
  macro(target: string, name: string, params: readonly MacroParam[], body: readonly Stmt[], pos: number): void {
    const args = this.id('t');
    const names = params.map((p) => p.name);
    // As in Jinja, extra positional (keyword) arguments are an error unless the body reads `varargs` (`kwargs`).
    let varargs = names.includes('varargs');
    let kwargs = names.includes('kwargs');
    walk(
      body,
      (e) => {
        if (e.kind === 'name' && e.name === 'varargs') varargs = true;
        if (e.kind === 'name' && e.name === 'kwargs') kwargs = true;
      },
      false,
    );
    const catches = `{ varargs: ${varargs}, kwargs: ${kwargs} }`;
    this.emit(`${target} = new rt.Macro(${q(name)}, ${JSON.stringify(names)}, s, ${this.#autoescape}, function (${args}) {`, pos);
    const savedFn = this.#fn;
    const savedCapture = this.#capture;
    this.#capture = 0;
    this.indented(() => {
      this.#fn = { kind: 'macro', generator: false, blockName: null, temps: [], decl: this.emit(''), guard: false };
      this.emit('let out = "";');
      this.pushScope('local');
      const n = params.length;
      params.forEach((p, i) => {
        const v = this.declare(p.name);
        if (p.default === null) this.#requiredParams.add(v);
        this.emit(`${v} = ${args}[${i}];`);
      });
      for (const [k, special] of ['varargs', 'kwargs', 'caller'].entries()) {
        if (!names.includes(special)) this.emit(`${this.declare(special)} = ${args}[${n + k}];`);
      }
      for (const p of params) {
        if (p.default === null) continue;
        const v = this.resolve(p.name) as string;
        this.emit(`if (${v} === undefined) ${v} = ${this.expr(p.default)};`, p.default.pos);
      }
      this.stmts(body);
      this.popScope();
      this.emit('return out;');
      this.finishFn();
    });
    this.#fn = savedFn;
    this.#capture = savedCapture;
    this.emit(`}, ${catches});`);
  }

  callBlock(s: Extract<Stmt, { kind: 'callBlock' }>): void {
    const caller = this.temp();
    this.macro(caller, 'caller', s.params, s.body, s.pos);
    const call = s.call as Extract<Expr, { kind: 'call' }>;
    const js = this.callExpr({ ...call, kwargs: [...call.kwargs.filter(([k]) => k !== 'caller')] }, caller);
    this.output(null, s.pos, js);
  }

  // ---------------------------------------------------------------- expressions

  /** A condition: a boolean expression as is, anything else through `truthy()`. */
  cond(e: Expr): string {
    const js = this.expr(e);
    return isBoolean(e) ? js : `truthy(${js})`;
  }

  name(name: string, pos: number): string {
    if (name === 'loop') {
      const info = this.loopInfo();
      if (info !== null) {
        if (info.object === null) this.fail('internal error: loop object not materialised', pos);
        return info.object as string;
      }
    }
    const local = this.resolve(name);
    if (local !== undefined) {
      // strict: a parameter the call did not pass is an error where it is used, as in Jinja.
      if (this.#o.strict && this.#soft === 0 && this.#requiredParams.has(local))
        return `${mark(pos)}need(${local}, ${q(name)}, ${q(`parameter '${name}' was not provided`)})`;
      return local;
    }
    // `self` is the template's blocks, as in Jinja (where it hides a context variable of that name).
    if (name === 'self' && !this.#selfAssigned) return `rt.templateReference(b, c, s, ${q(this.#o.name)}, ${this.#autoescape})`;
    const ref = `c[${q(name)}]`;
    if (this.#o.strict && this.#soft === 0) return `${mark(pos)}need(${ref}, ${q(name)})`;
    return ref;
  }

  expr(e: Expr): string {
    switch (e.kind) {
      case 'literal':
        if (typeof e.value === 'string') return q(e.value);
        if (typeof e.value === 'number') return numberLiteral(e.value);
        return String(e.value);
      case 'name':
        return this.name(e.name, e.pos);
      case 'list': {
        const items = `[${e.items.map((x) => this.expr(x)).join(', ')}]`;
        return e.tuple === true ? `tuple(${items})` : items;
      }
      case 'dict':
        return `{${e.pairs.map(([k, v]) => `[${this.key(k)}]: ${this.expr(v)}`).join(', ')}}`;
      case 'attr':
        return this.attr(e);
      case 'item': {
        const fn = this.#o.strict && this.#soft === 0 ? 'itemStrict' : 'item';
        const extra = fn === 'itemStrict' ? `, ${q(describe(e.object))}` : '';
        return `${mark(e.pos)}${fn}(${this.expr(e.object)}, ${this.expr(e.key)}${extra})`;
      }
      case 'slice':
        return `${mark(e.pos)}slice(${this.expr(e.object)}, ${e.start === null ? 'null' : this.expr(e.start)}, ${e.stop === null ? 'null' : this.expr(e.stop)}, ${e.step === null ? 'null' : this.expr(e.step)})`;
      case 'call':
        return this.callExpr(e, null);
      case 'filter':
        return this.filter(e.value, e.filter);
      case 'test':
        return this.test(e);
      case 'unary':
        if (e.op === 'not') return `!${this.cond(e.operand)}`;
        // A number literal (`-1`) needs no check.
        if (e.operand.kind === 'literal' && typeof e.operand.value === 'number') return `(${e.op}(${this.expr(e.operand)}))`;
        return `${mark(e.pos)}${e.op === '-' ? 'neg' : 'pos'}(${this.expr(e.operand)}, ${q(describe(e.operand))})`;
      case 'binary': {
        const a = this.expr(e.left);
        const b = this.expr(e.right);
        if (e.op === '~') return `${this.#autoescape ? 'catEsc' : 'cat'}(${a}, ${b})`;
        const fn = BINARY_OPS[e.op];
        if (fn === undefined) this.fail(`internal error: unknown operator '${e.op}'`, e.pos);
        // The operands' names, for the error when one is undefined.
        return `${mark(e.pos)}${fn}(${a}, ${b}, ${q(describe(e.left))}, ${q(describe(e.right))})`;
      }
      case 'and':
      case 'or': {
        if (isBoolean(e.left) && isBoolean(e.right))
          return `(${this.expr(e.left)} ${e.kind === 'and' ? '&&' : '||'} ${this.expr(e.right)})`;
        const t = this.temp();
        const left = `truthy(${t} = ${this.expr(e.left)})`;
        const right = this.expr(e.right);
        return e.kind === 'and' ? `(${left} ? ${right} : ${t})` : `(${left} ? ${t} : ${right})`;
      }
      case 'compare': {
        const parts: string[] = [];
        let left = this.expr(e.first);
        e.rest.forEach((r, i) => {
          let right = this.expr(r.expr);
          let next = right;
          if (i < e.rest.length - 1) {
            const t = this.temp();
            right = `(${t} = ${right})`;
            next = t;
          }
          const operands = [i === 0 ? e.first : (e.rest[i - 1] as { expr: Expr }).expr, r.expr];
          const strictOk = operands.some((x) => x.kind === 'literal' && typeof x.value !== 'string');
          parts.push(this.compare(r.op, left, right, e.pos, strictOk, `, ${q(describe(operands[0] as Expr))}, ${q(describe(r.expr))}`));
          left = next;
        });
        return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' && ')})`;
      }
      case 'cond':
        return `(${this.cond(e.test)} ? ${this.expr(e.whenTrue)} : ${e.whenFalse === null ? 'undefined' : this.expr(e.whenFalse)})`;
    }
  }

  /** A dict literal key: literal strings as they are, anything else through `str()`. */
  key(k: Expr): string {
    if (k.kind === 'literal') return typeof k.value === 'string' ? q(k.value) : q(String(k.value));
    return `str(${this.expr(k)})`;
  }

  /** `strictOk`: one side is a number, boolean or none literal, where `eq()` is `===`. */
  compare(op: string, a: string, b: string, pos: number, strictOk = false, names = ''): string {
    switch (op) {
      case '==':
        return strictOk ? `((${a}) === (${b}))` : `eq(${a}, ${b})`;
      case '!=':
        return strictOk ? `((${a}) !== (${b}))` : `!eq(${a}, ${b})`;
      case 'in':
        return `${mark(pos)}contains(${b}, ${a})`;
      case 'notin':
        return `!${mark(pos)}contains(${b}, ${a})`;
      default: {
        const fn = COMPARE_OPS[op];
        if (fn === undefined) this.fail(`internal error: unknown comparison '${op}'`, pos);
        return `${mark(pos)}${fn}(${a}, ${b}${names})`;
      }
    }
  }

  attr(e: Extract<Expr, { kind: 'attr' }>): string {
    if (UNSAFE_NAMES.has(e.name)) this.fail(`access to attribute '${e.name}' is not allowed in templates`, e.pos, 'ERR_TEMPLATE_SANDBOX');
    const obj = e.object;
    if (obj.kind === 'name' && obj.name === 'loop' && LOOP_INLINE.has(e.name) && this.resolve('loop') === undefined) {
      const info = this.loopInfo();
      if (info !== null && info.fn === this.#fn) {
        const { index: i, length: n } = info;
        switch (e.name) {
          case 'index':
            return `(${i} + 1)`;
          case 'index0':
            return i;
          case 'first':
            return `(${i} === 0)`;
          case 'last':
            return `(${i} === ${n} - 1)`;
          case 'length':
            return n;
          case 'revindex':
            return `(${n} - ${i})`;
          case 'revindex0':
            return `(${n} - ${i} - 1)`;
        }
      }
    }
    const o = this.expr(obj);
    const k = q(e.name);
    if (this.#o.strict && this.#soft === 0) return `${mark(e.pos)}attrStrict(${o}, ${k}, ${q(describe(obj))})`;
    const t = this.temp();
    // Plain objects inline (the hot path); strings, functions and the globals go through attr().
    return `((${t} = ${o}) == null ? undefined : typeof ${t} === "object" && ${t} !== G && ${t} !== P ? ${t}[${k}] : ${mark(e.pos)}attr(${t}, ${k}))`;
  }

  args(a: CallArgs, caller: string | null): { positional: string; kw: string } {
    const positional = a.args.map((x) => this.expr(x)).join(', ');
    const pairs = a.kwargs.map(([k, v]) => `[${q(k)}]: ${this.expr(v)}`);
    if (caller !== null) pairs.push(`["caller"]: ${caller}`);
    return { positional, kw: pairs.length === 0 ? 'null' : `{${pairs.join(', ')}}` };
  }

  callExpr(e: Extract<Expr, { kind: 'call' }>, caller: string | null): string {
    const callee = e.callee;
    if (callee.kind === 'name' && callee.name === 'super' && this.resolve('super') === undefined) {
      if (this.#fn.kind !== 'block' || this.#fn.blockName === null) this.fail('super() is only available inside a block', e.pos);
      return `${mark(e.pos)}rt.superBlock(b, ${q(this.#fn.blockName as string)}, bi, c, s)`;
    }
    if (callee.kind === 'attr') {
      if (UNSAFE_NAMES.has(callee.name))
        this.fail(`access to attribute '${callee.name}' is not allowed in templates`, callee.pos, 'ERR_TEMPLATE_SANDBOX');
      const obj = this.expr(callee.object);
      const { positional, kw } = this.args(e, caller);
      return `${mark(e.pos)}callMethod(${obj}, ${q(callee.name)}, [${positional}], ${kw}, ${q(describe(callee.object))})`;
    }
    const fn = this.expr(callee);
    const { positional, kw } = this.args(e, caller);
    return `${mark(e.pos)}call(${fn}, [${positional}], ${kw}, ${q(describe(callee))})`;
  }

  filterIndex(name: string): number {
    let i = this.#filters.indexOf(name);
    if (i === -1) i = this.#filters.push(name) - 1;
    return i;
  }

  /** `f(value, args…)`; keyword arguments go by position when the filter names its parameters. */
  filter(value: Expr, f: FilterCall): string {
    const spec = this.#o.filter(f.name);
    if (spec === undefined) this.fail(`no filter named '${f.name}'`, f.pos, 'ERR_TEMPLATE_USAGE');
    const soft = f.name === 'default' || f.name === 'd';
    if (soft) this.#soft++;
    let v: string;
    try {
      v = this.expr(value);
    } finally {
      if (soft) this.#soft--;
    }
    return this.applyFilter(v, f, spec as FilterSpec);
  }

  applyFilter(v: string, f: FilterCall, spec: FilterSpec): string {
    const args = f.args.map((x) => this.expr(x));
    if (f.kwargs.length > 0) {
      const params = spec.params;
      if (params === undefined) {
        args.push(`kwargs({${f.kwargs.map(([k, x]) => `[${q(k)}]: ${this.expr(x)}`).join(', ')}})`);
      } else {
        for (const [k, x] of f.kwargs) {
          const at = params.indexOf(k);
          if (at === -1)
            this.fail(`filter '${f.name}' has no argument '${k}' (it takes ${params.join(', ') || 'none'})`, f.pos, 'ERR_TEMPLATE_USAGE');
          if (at < f.args.length) this.fail(`filter '${f.name}' got two values for '${k}'`, f.pos, 'ERR_TEMPLATE_USAGE');
          while (args.length < at) args.push('undefined');
          args[at] = this.expr(x);
        }
      }
    }
    return `${mark(f.pos)}f${this.filterIndex(f.name)}(${[v, ...args].join(', ')})`;
  }

  applyFilters(js: string, filters: readonly FilterCall[]): string {
    let v = js;
    for (const f of filters) {
      const spec = this.#o.filter(f.name);
      if (spec === undefined) this.fail(`no filter named '${f.name}'`, f.pos, 'ERR_TEMPLATE_USAGE');
      v = this.applyFilter(v, f, spec as FilterSpec);
    }
    return v;
  }

  test(e: Extract<Expr, { kind: 'test' }>): string {
    const not = e.negated ? '!' : '';
    if (e.name === 'defined' || e.name === 'undefined') {
      this.#soft++;
      let v: string;
      try {
        v = this.expr(e.value);
      } finally {
        this.#soft--;
      }
      const defined = (e.name === 'defined') !== e.negated;
      return `((${v}) ${defined ? '!==' : '==='} undefined)`;
    }
    if (!this.#o.hasTest(e.name)) this.fail(`no test named '${e.name}'`, e.pos, 'ERR_TEMPLATE_USAGE');
    let i = this.#tests.indexOf(e.name);
    if (i === -1) i = this.#tests.push(e.name) - 1;
    const args = [this.expr(e.value), ...e.args.map((x) => this.expr(x))];
    if (e.kwargs.length > 0) args.push(`{${e.kwargs.map(([k, x]) => `[${q(k)}]: ${this.expr(x)}`).join(', ')}}`);
    return `${not}!!${mark(e.pos)}x${i}(${args.join(', ')})`;
  }
}
