import type { BinaryOp, CallArgs, CompareOp, Expr, FilterCall, LoopTarget, MacroParam, Stmt, Target } from './ast.js';
import { type LexerOptions, type Token, tokenize } from './lexer.js';
import { locate, TemplateError } from './template-error.js';

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
/** Names that end an argument-less test (`x is defined and y`) instead of being its argument. */
const TEST_ARG_STOP = new Set(['else', 'or', 'and', 'is', 'in', 'not', 'if']);
/** How deeply expressions and tags may nest: far beyond real templates, well within the call stack. */
const MAX_NESTING = 200;
const RESERVED = new Set(['true', 'false', 'none', 'True', 'False', 'None', 'and', 'or', 'not', 'in', 'is', 'if', 'else']);

/**
 * Parses a template into statements. Throws `TemplateError` (`ERR_TEMPLATE_SYNTAX`) naming the
 * line and column of the first error.
 */
export function parse(source: string, name: string, options: LexerOptions = {}): Stmt[] {
  return new Parser(source, name, tokenize(source, name, options)).parseTemplate();
}

class Parser {
  readonly #source: string;
  readonly #name: string;
  readonly #tokens: Token[];
  #i = 0;
  /** How many `{% for %}` bodies enclose the current position, reset inside macros and captures. */
  #loops = 0;
  #nesting = 0;

  constructor(source: string, name: string, tokens: Token[]) {
    this.#source = source;
    this.#name = name;
    this.#tokens = tokens;
  }

  fail(message: string, at: number = this.peek().pos): never {
    throw new TemplateError(message, { code: 'ERR_TEMPLATE_SYNTAX', location: locate(this.#name, this.#source, at) });
  }

  peek(ahead = 0): Token {
    return this.#tokens[Math.min(this.#i + ahead, this.#tokens.length - 1)] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }

  isOp(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'op' && t.value === value;
  }

  isName(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'name' && t.value === value;
  }

  skipOp(value: string): boolean {
    if (!this.isOp(value)) return false;
    this.next();
    return true;
  }

  skipName(value: string): boolean {
    if (!this.isName(value)) return false;
    this.next();
    return true;
  }

  describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return 'end of template';
      case 'block_end':
      case 'var_end':
        return `'${t.value}'`;
      case 'string':
        return 'a string';
      case 'text':
        return 'text';
      default:
        return `'${t.value}'`;
    }
  }

  expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected '${value}', got ${this.describe(this.peek())}`);
    return this.next();
  }

  expectName(what = 'a name'): Token {
    const t = this.peek();
    if (t.type !== 'name') this.fail(`expected ${what}, got ${this.describe(t)}`);
    return this.next();
  }

  expectIdentifier(what: string): Token {
    const t = this.expectName(what);
    if (RESERVED.has(t.value)) this.fail(`'${t.value}' cannot be used as ${what}`, t.pos);
    return t;
  }

  expectBlockEnd(): void {
    const t = this.peek();
    if (t.type !== 'block_end') this.fail(`expected '%}', got ${this.describe(t)}`);
    this.next();
  }

  // ---------------------------------------------------------------- statements

  parseTemplate(): Stmt[] {
    return this.subparse(null, 0, '');
  }

  /**
   * Statements up to (not including) a `{% name %}` tag whose name is in `ends`; at the end of
   * the template when `ends` is null.
   */
  subparse(ends: ReadonlySet<string> | null, openedAt: number, opener: string): Stmt[] {
    const body: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      switch (t.type) {
        case 'text':
          this.next();
          body.push({ kind: 'text', pos: t.pos, value: t.value });
          break;
        case 'var_start': {
          this.next();
          const expr = this.parseTuple(true);
          if (this.peek().type !== 'var_end') this.fail(`expected '}}', got ${this.describe(this.peek())}`);
          this.next();
          body.push({ kind: 'output', pos: expr.pos, expr });
          break;
        }
        case 'block_start': {
          const tag = this.peek(1);
          if (tag.type !== 'name') this.fail('expected a tag name after {%', tag.pos);
          if (ends?.has(tag.value)) return body;
          this.next();
          this.next();
          const stmt = this.parseStatement(tag, ends, opener);
          if (stmt !== null) body.push(stmt);
          break;
        }
        case 'eof':
          if (ends !== null) {
            const wanted = [...ends].map((e) => `'{% ${e} %}'`).join(' or ');
            this.fail(
              `unexpected end of template: '{% ${opener} %}' at line ${locate(this.#name, this.#source, openedAt).line} was not closed (expected ${wanted})`,
              t.pos,
            );
          }
          return body;
        default:
          this.fail(`unexpected ${this.describe(t)}`, t.pos);
      }
    }
  }

  /** Parses the body up to one of `ends`, consumes that end tag's name and returns it. */
  body(ends: readonly string[], openedAt: number, opener: string): { body: Stmt[]; end: string } {
    const body = this.subparse(new Set(ends), openedAt, opener);
    this.next(); // {%
    const end = this.next().value;
    return { body, end };
  }

  /** The `{% endx [name] %}` of a block or macro. */
  closeNamed(name: string, end: string): void {
    const t = this.peek();
    if (t.type === 'name') {
      if (t.value !== name) this.fail(`'{% ${end} ${t.value} %}' closes '${name}', not '${t.value}'`, t.pos);
      this.next();
    }
    this.expectBlockEnd();
  }

  parseStatement(tag: Token, ends: ReadonlySet<string> | null, opener: string): Stmt | null {
    if (++this.#nesting > MAX_NESTING) this.fail(`tags nested more than ${MAX_NESTING} levels deep`, tag.pos);
    try {
      return this.parseTag(tag, ends, opener);
    } finally {
      this.#nesting--;
    }
  }

  parseTag(tag: Token, ends: ReadonlySet<string> | null, opener: string): Stmt | null {
    const pos = tag.pos;
    switch (tag.value) {
      case 'if':
        return this.parseIf(pos);
      case 'for':
        return this.parseFor(pos);
      case 'set':
        return this.parseSet(pos);
      case 'block':
        return this.parseBlock(pos);
      case 'extends': {
        const template = this.parseExpression(true);
        this.expectBlockEnd();
        return { kind: 'extends', pos, template };
      }
      case 'include':
        return this.parseInclude(pos);
      case 'import':
        return this.parseImport(pos);
      case 'from':
        return this.parseFrom(pos);
      case 'macro':
        return this.parseMacro(pos);
      case 'call':
        return this.parseCallBlock(pos);
      case 'filter': {
        const filters = this.parseFilterChain();
        this.expectBlockEnd();
        const { body } = this.captured(() => this.body(['endfilter'], pos, 'filter'));
        this.expectBlockEnd();
        return { kind: 'filterBlock', pos, filters, body };
      }
      case 'with':
        return this.parseWith(pos);
      case 'autoescape': {
        const t = this.peek();
        const expr = this.parseExpression(true);
        if (expr.kind !== 'literal' || typeof expr.value !== 'boolean') this.fail("'{% autoescape %}' takes true or false", t.pos);
        this.expectBlockEnd();
        const { body } = this.body(['endautoescape'], pos, 'autoescape');
        this.expectBlockEnd();
        return { kind: 'autoescape', pos, enabled: expr.value as boolean, body };
      }
      case 'break':
      case 'continue':
        if (this.#loops === 0) this.fail(`'{% ${tag.value} %}' outside of a loop`, pos);
        this.expectBlockEnd();
        return { kind: tag.value, pos };
      case 'do': {
        const expr = this.parseTuple(true);
        this.expectBlockEnd();
        return { kind: 'do', pos, expr };
      }
      default: {
        const expected = ends === null ? '' : ` (inside '{% ${opener} %}', expected ${[...ends].map((e) => `'{% ${e} %}'`).join(' or ')})`;
        if (tag.value.startsWith('end') || tag.value === 'else' || tag.value === 'elif')
          this.fail(`unexpected '{% ${tag.value} %}'${expected}`, pos);
        this.fail(`unknown tag '${tag.value}'`, tag.pos);
      }
    }
  }

  /** Parses a body that captures output into a value: no `break` from an enclosing loop. */
  captured<T>(fn: () => T): T {
    const loops = this.#loops;
    this.#loops = 0;
    try {
      return fn();
    } finally {
      this.#loops = loops;
    }
  }

  parseIf(pos: number): Stmt {
    const branches: Array<{ test: Expr; body: Stmt[] }> = [];
    let otherwise: Stmt[] | null = null;
    let test = this.parseExpression(true);
    this.expectBlockEnd();
    for (;;) {
      const { body, end } = this.body(['elif', 'else', 'endif'], pos, 'if');
      branches.push({ test, body });
      if (end === 'elif') {
        test = this.parseExpression(true);
        this.expectBlockEnd();
        continue;
      }
      this.expectBlockEnd();
      if (end === 'else') {
        otherwise = this.body(['endif'], pos, 'if').body;
        this.expectBlockEnd();
      }
      return { kind: 'if', pos, branches, otherwise };
    }
  }

  parseFor(pos: number): Stmt {
    let targets: LoopTarget[] = [this.parseLoopTarget()];
    while (this.skipOp(',')) targets.push(this.parseLoopTarget());
    // `for (a, b) in …` is `for a, b in …`.
    if (targets.length === 1 && Array.isArray(targets[0])) targets = [...(targets[0] as readonly LoopTarget[])];
    if (!this.skipName('in')) this.fail(`expected 'in', got ${this.describe(this.peek())}`);
    const iter = this.parseTuple(false);
    let filter: Expr | null = null;
    if (this.skipName('if')) filter = this.parseExpression(false);
    if (this.isName('recursive')) this.fail('recursive loops are not supported: call a macro recursively instead');
    this.expectBlockEnd();
    this.#loops++;
    let res: { body: Stmt[]; end: string };
    try {
      res = this.body(['else', 'endfor'], pos, 'for');
    } finally {
      this.#loops--;
    }
    this.expectBlockEnd();
    let otherwise: Stmt[] | null = null;
    if (res.end === 'else') {
      otherwise = this.body(['endfor'], pos, 'for').body;
      this.expectBlockEnd();
    }
    return { kind: 'for', pos, targets, iter, filter, body: res.body, otherwise };
  }

  /** A loop variable, or `(a, b)` unpacked in turn (nested as deep as the template nests them). */
  parseLoopTarget(): LoopTarget {
    if (!this.skipOp('(')) return this.expectIdentifier('a loop variable').value;
    const group: LoopTarget[] = [this.parseLoopTarget()];
    while (this.skipOp(',')) group.push(this.parseLoopTarget());
    this.expectOp(')');
    return group.length === 1 ? (group[0] as LoopTarget) : group;
  }

  parseTarget(): Target {
    const t = this.expectIdentifier('a variable name');
    if (this.skipOp('.')) {
      const attr = this.expectName('an attribute name');
      return { kind: 'nsattr', ns: t.value, attr: attr.value, pos: t.pos };
    }
    return { kind: 'name', name: t.value, pos: t.pos };
  }

  parseSet(pos: number): Stmt {
    const targets: Target[] = [this.parseTarget()];
    while (this.skipOp(',')) targets.push(this.parseTarget());
    if (this.skipOp('=')) {
      const value = this.parseTuple(true);
      this.expectBlockEnd();
      return { kind: 'set', pos, targets, value };
    }
    if (targets.length > 1) this.fail("a block '{% set %}' assigns one variable");
    const filters = this.isOp('|') ? this.parseFilterChain() : [];
    this.expectBlockEnd();
    const { body } = this.captured(() => this.body(['endset'], pos, 'set'));
    this.expectBlockEnd();
    return { kind: 'setBlock', pos, target: targets[0] as Target, filters, body };
  }

  parseBlock(pos: number): Stmt {
    const name = this.expectIdentifier('a block name').value;
    let required = false;
    for (;;) {
      if (this.skipName('scoped')) continue; // blocks always see the variables around them
      if (this.skipName('required')) {
        required = true;
        continue;
      }
      break;
    }
    this.expectBlockEnd();
    const { body } = this.captured(() => this.body(['endblock'], pos, `block ${name}`));
    this.closeNamed(name, 'endblock');
    if (required && body.some((s) => s.kind !== 'text' || s.value.trim() !== ''))
      this.fail(`required block '${name}' may only contain whitespace`, pos);
    return { kind: 'block', pos, name, body, required };
  }

  parseContextModifier(defaultWith: boolean): boolean {
    if (this.isName('with') && this.isName('context', 1)) {
      this.next();
      this.next();
      return true;
    }
    if (this.isName('without') && this.isName('context', 1)) {
      this.next();
      this.next();
      return false;
    }
    return defaultWith;
  }

  parseInclude(pos: number): Stmt {
    const template = this.parseExpression(true);
    let ignoreMissing = false;
    if (this.isName('ignore') && this.isName('missing', 1)) {
      this.next();
      this.next();
      ignoreMissing = true;
    }
    const withContext = this.parseContextModifier(true);
    this.expectBlockEnd();
    return { kind: 'include', pos, template, ignoreMissing, withContext };
  }

  parseImport(pos: number): Stmt {
    const template = this.parseExpression(true);
    if (!this.skipName('as')) this.fail(`expected 'as', got ${this.describe(this.peek())}`);
    const alias = this.expectIdentifier('an import alias').value;
    const withContext = this.parseContextModifier(false);
    this.expectBlockEnd();
    return { kind: 'import', pos, template, alias, withContext };
  }

  parseFrom(pos: number): Stmt {
    const template = this.parseExpression(true);
    if (!this.skipName('import')) this.fail(`expected 'import', got ${this.describe(this.peek())}`);
    const names: Array<{ name: string; alias: string; pos: number }> = [];
    let withContext = false;
    do {
      if ((this.isName('with') || this.isName('without')) && this.isName('context', 1)) break;
      const t = this.expectIdentifier('a name to import');
      if (t.value.startsWith('_')) this.fail(`names starting with '_' are private and cannot be imported`, t.pos);
      const alias = this.skipName('as') ? this.expectIdentifier('an import alias').value : t.value;
      names.push({ name: t.value, alias, pos: t.pos });
    } while (this.skipOp(','));
    withContext = this.parseContextModifier(false);
    if (names.length === 0) this.fail('expected a name to import');
    this.expectBlockEnd();
    return { kind: 'fromImport', pos, template, names, withContext };
  }

  parseParams(): MacroParam[] {
    const params: MacroParam[] = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (params.length > 0) this.expectOp(',');
      if (this.isOp(')')) break;
      const t = this.expectIdentifier('a parameter name');
      if (params.some((p) => p.name === t.value)) this.fail(`duplicate parameter '${t.value}'`, t.pos);
      const value = this.skipOp('=') ? this.parseExpression(true) : null;
      if (value === null && params.some((p) => p.default !== null))
        this.fail(`parameter '${t.value}' without a default follows one with a default`, t.pos);
      params.push({ name: t.value, default: value });
    }
    this.next();
    return params;
  }

  parseMacro(pos: number): Stmt {
    const name = this.expectIdentifier('a macro name').value;
    const params = this.parseParams();
    this.expectBlockEnd();
    const { body } = this.captured(() => this.body(['endmacro'], pos, `macro ${name}`));
    this.closeNamed(name, 'endmacro');
    return { kind: 'macro', pos, name, params, body };
  }

  parseCallBlock(pos: number): Stmt {
    const params = this.isOp('(') ? this.parseParams() : [];
    const call = this.parseExpression(true);
    if (call.kind !== 'call') this.fail("'{% call %}' expects a macro call such as 'render_list(items)'", call.pos);
    this.expectBlockEnd();
    const { body } = this.captured(() => this.body(['endcall'], pos, 'call'));
    this.expectBlockEnd();
    return { kind: 'callBlock', pos, params, call, body };
  }

  parseWith(pos: number): Stmt {
    const assignments: Array<{ name: string; value: Expr }> = [];
    while (this.peek().type !== 'block_end') {
      if (assignments.length > 0) this.expectOp(',');
      const name = this.expectIdentifier('a variable name').value;
      this.expectOp('=');
      assignments.push({ name, value: this.parseExpression(true) });
    }
    this.expectBlockEnd();
    const { body } = this.body(['endwith'], pos, 'with');
    this.expectBlockEnd();
    return { kind: 'with', pos, assignments, body };
  }

  // ---------------------------------------------------------------- expressions

  /** An expression, or a tuple `a, b` (an array at run time) where commas follow. */
  parseTuple(withCond: boolean): Expr {
    const first = this.parseExpression(withCond);
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.skipOp(',')) {
      const t = this.peek();
      if (t.type === 'block_end' || t.type === 'var_end' || (t.type === 'name' && (t.value === 'if' || t.value === 'recursive'))) break;
      items.push(this.parseExpression(withCond));
    }
    return { kind: 'list', pos: first.pos, items, tuple: true };
  }

  parseExpression(withCond: boolean): Expr {
    if (++this.#nesting > MAX_NESTING) this.fail(`expression nested more than ${MAX_NESTING} levels deep`);
    try {
      return withCond ? this.parseCondExpr() : this.parseOr();
    } finally {
      this.#nesting--;
    }
  }

  parseCondExpr(): Expr {
    let expr = this.parseOr();
    while (this.isName('if')) {
      const pos = this.next().pos;
      const test = this.parseOr();
      const otherwise = this.skipName('else') ? this.parseCondExpr() : null;
      expr = { kind: 'cond', pos, test, whenTrue: expr, whenFalse: otherwise };
    }
    return expr;
  }

  parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      const pos = this.next().pos;
      left = { kind: 'or', pos, left, right: this.parseAnd() };
    }
    return left;
  }

  parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      const pos = this.next().pos;
      left = { kind: 'and', pos, left, right: this.parseNot() };
    }
    return left;
  }

  parseNot(): Expr {
    if (this.isName('not')) {
      const pos = this.next().pos;
      if (++this.#nesting > MAX_NESTING) this.fail(`expression nested more than ${MAX_NESTING} levels deep`);
      try {
        return { kind: 'unary', pos, op: 'not', operand: this.parseNot() };
      } finally {
        this.#nesting--;
      }
    }
    return this.parseCompare();
  }

  parseCompare(): Expr {
    const first = this.parseMath1();
    const rest: Array<{ op: CompareOp; expr: Expr }> = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'op' && COMPARE_OPS.has(t.value)) {
        this.next();
        rest.push({ op: t.value as CompareOp, expr: this.parseMath1() });
      } else if (this.isName('in')) {
        this.next();
        rest.push({ op: 'in', expr: this.parseMath1() });
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.next();
        this.next();
        rest.push({ op: 'notin', expr: this.parseMath1() });
      } else break;
    }
    return rest.length === 0 ? first : { kind: 'compare', pos: first.pos, first, rest };
  }

  parseBinary(ops: readonly string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      if (t.type !== 'op' || !ops.includes(t.value)) return left;
      this.next();
      left = { kind: 'binary', pos: t.pos, op: t.value as BinaryOp, left, right: operand() };
    }
  }

  parseMath1(): Expr {
    return this.parseBinary(['+', '-'], () => this.parseConcat());
  }

  parseConcat(): Expr {
    return this.parseBinary(['~'], () => this.parseMath2());
  }

  parseMath2(): Expr {
    return this.parseBinary(['*', '/', '//', '%'], () => this.parsePow());
  }

  parsePow(): Expr {
    return this.parseBinary(['**'], () => this.parseUnary(true));
  }

  parseUnary(withFilter: boolean): Expr {
    const t = this.peek();
    let node: Expr;
    if (t.type === 'op' && (t.value === '-' || t.value === '+')) {
      this.next();
      if (++this.#nesting > MAX_NESTING) this.fail(`expression nested more than ${MAX_NESTING} levels deep`);
      try {
        node = { kind: 'unary', pos: t.pos, op: t.value, operand: this.parseUnary(false) };
      } finally {
        this.#nesting--;
      }
    } else {
      node = this.parsePrimary();
    }
    node = this.parsePostfix(node);
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  parsePrimary(): Expr {
    const t = this.next();
    switch (t.type) {
      case 'name':
        switch (t.value) {
          case 'true':
          case 'True':
            return { kind: 'literal', pos: t.pos, value: true };
          case 'false':
          case 'False':
            return { kind: 'literal', pos: t.pos, value: false };
          case 'none':
          case 'None':
            return { kind: 'literal', pos: t.pos, value: null };
          default:
            if (RESERVED.has(t.value)) this.fail(`unexpected '${t.value}'`, t.pos);
            return { kind: 'name', pos: t.pos, name: t.value };
        }
      case 'string': {
        let value = t.value;
        // Adjacent string literals concatenate, as in Python.
        while (this.peek().type === 'string') value += this.next().value;
        return { kind: 'literal', pos: t.pos, value };
      }
      case 'number':
        return { kind: 'literal', pos: t.pos, value: Number(t.value.replaceAll('_', '')) };
      case 'op':
        if (t.value === '(') {
          if (this.skipOp(')')) return { kind: 'list', pos: t.pos, items: [], tuple: true };
          const expr = this.parseExpression(true);
          if (this.isOp(',')) {
            const items = [expr];
            while (this.skipOp(',') && !this.isOp(')')) items.push(this.parseExpression(true));
            this.expectOp(')');
            return { kind: 'list', pos: t.pos, items, tuple: true };
          }
          this.expectOp(')');
          return expr;
        }
        if (t.value === '[') {
          const items: Expr[] = [];
          while (!this.isOp(']')) {
            if (items.length > 0) this.expectOp(',');
            if (this.isOp(']')) break;
            items.push(this.parseExpression(true));
          }
          this.next();
          return { kind: 'list', pos: t.pos, items };
        }
        if (t.value === '{') {
          const pairs: Array<[Expr, Expr]> = [];
          while (!this.isOp('}')) {
            if (pairs.length > 0) this.expectOp(',');
            if (this.isOp('}')) break;
            const key = this.parseExpression(true);
            this.expectOp(':');
            pairs.push([key, this.parseExpression(true)]);
          }
          this.next();
          return { kind: 'dict', pos: t.pos, pairs };
        }
        return this.fail(`unexpected '${t.value}'`, t.pos);
      default:
        return this.fail(`expected an expression, got ${this.describe(t)}`, t.pos);
    }
  }

  parsePostfix(node: Expr): Expr {
    for (;;) {
      const t = this.peek();
      if (t.type !== 'op') return node;
      if (t.value === '.') {
        this.next();
        const attr = this.next();
        if (attr.type === 'name') node = { kind: 'attr', pos: attr.pos, object: node, name: attr.value };
        else if (attr.type === 'number')
          node = { kind: 'item', pos: t.pos, object: node, key: { kind: 'literal', pos: attr.pos, value: Number(attr.value) } };
        else this.fail(`expected an attribute name after '.', got ${this.describe(attr)}`, attr.pos);
      } else if (t.value === '[') {
        this.next();
        node = this.parseSubscript(node, t.pos);
      } else if (t.value === '(') {
        node = { kind: 'call', pos: node.pos, callee: node, ...this.parseCallArgs() };
      } else return node;
    }
  }

  parseSubscript(object: Expr, pos: number): Expr {
    const parts: Array<Expr | null> = [null];
    let colons = 0;
    for (;;) {
      if (this.skipOp(']')) break;
      if (this.skipOp(':')) {
        if (++colons > 2) this.fail("too many ':' in a slice");
        parts.push(null);
        continue;
      }
      if (parts[parts.length - 1] !== null) this.fail(`expected ']', got ${this.describe(this.peek())}`);
      parts[parts.length - 1] = this.parseExpression(true);
    }
    if (colons === 0) {
      const key = parts[0];
      if (key == null) this.fail('expected a subscript', pos);
      return { kind: 'item', pos, object, key: key as Expr };
    }
    return { kind: 'slice', pos, object, start: parts[0] ?? null, stop: parts[1] ?? null, step: parts[2] ?? null };
  }

  parseCallArgs(): CallArgs {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    while (!this.isOp(')')) {
      if (args.length + kwargs.length > 0) this.expectOp(',');
      if (this.isOp(')')) break;
      const t = this.peek();
      if (t.type === 'name' && this.isOp('=', 1)) {
        this.next();
        this.next();
        if (kwargs.some(([k]) => k === t.value)) this.fail(`keyword argument '${t.value}' given twice`, t.pos);
        kwargs.push([t.value, this.parseExpression(true)]);
      } else {
        if (kwargs.length > 0) this.fail('a positional argument follows a keyword argument', t.pos);
        args.push(this.parseExpression(true));
      }
    }
    this.next();
    return { args, kwargs };
  }

  parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        node = { kind: 'filter', pos: node.pos, value: node, filter: this.parseFilterCall() };
      } else if (this.isName('is')) {
        node = this.parseTest(node);
      } else if (this.isOp('(')) {
        node = { kind: 'call', pos: node.pos, callee: node, ...this.parseCallArgs() };
      } else return node;
    }
  }

  /** `name`, `name(args, kw=v)` or the seed's `name:arg`. */
  parseFilterCall(): FilterCall {
    const t = this.expectName('a filter name');
    if (this.isOp('(')) return { name: t.value, pos: t.pos, ...this.parseCallArgs() };
    if (this.skipOp(':')) return { name: t.value, pos: t.pos, args: [this.parseUnary(false)], kwargs: [] };
    return { name: t.value, pos: t.pos, args: [], kwargs: [] };
  }

  /** `| f | g(x)` of `{% filter %}` and a block `{% set %}`. */
  parseFilterChain(): FilterCall[] {
    const out: FilterCall[] = [];
    if (this.isOp('|')) this.next();
    do out.push(this.parseFilterCall());
    while (this.skipOp('|'));
    return out;
  }

  parseTest(value: Expr): Expr {
    const pos = this.next().pos; // is
    const negated = this.skipName('not');
    const t = this.peek();
    let name: string;
    if (t.type === 'name') name = this.next().value;
    else if (t.type === 'op' && (COMPARE_OPS.has(t.value) || t.value === '<' || t.value === '>')) name = this.next().value;
    else this.fail(`expected a test name after 'is', got ${this.describe(t)}`);
    const n = this.peek();
    if (n.type === 'op' && n.value === '(') return { kind: 'test', pos, value, name, negated, ...this.parseCallArgs() };
    const startsArg =
      (n.type === 'name' && !TEST_ARG_STOP.has(n.value)) ||
      n.type === 'string' ||
      n.type === 'number' ||
      (n.type === 'op' && (n.value === '[' || n.value === '{' || n.value === '-'));
    if (startsArg) {
      const arg = this.parseUnary(false);
      return { kind: 'test', pos, value, name, negated, args: [arg], kwargs: [] };
    }
    return { kind: 'test', pos, value, name, negated, args: [], kwargs: [] };
  }
}
