// The syntax tree the parser builds and the compiler walks. Every node carries `pos`, its
// offset in the template source, for error messages.

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin';

/** `name(args, kw=value)` of a filter, test or call. */
export interface CallArgs {
  readonly args: readonly Expr[];
  readonly kwargs: ReadonlyArray<readonly [string, Expr]>;
}

export interface FilterCall extends CallArgs {
  readonly name: string;
  readonly pos: number;
}

export type Expr =
  | { readonly kind: 'literal'; readonly pos: number; readonly value: string | number | boolean | null }
  | { readonly kind: 'name'; readonly pos: number; readonly name: string }
  /** A list literal, or a tuple (`a, b` or `(a, b)`): an array at run time, marked to print as a tuple. */
  | { readonly kind: 'list'; readonly pos: number; readonly items: readonly Expr[]; readonly tuple?: true }
  | { readonly kind: 'dict'; readonly pos: number; readonly pairs: ReadonlyArray<readonly [Expr, Expr]> }
  | { readonly kind: 'attr'; readonly pos: number; readonly object: Expr; readonly name: string }
  | { readonly kind: 'item'; readonly pos: number; readonly object: Expr; readonly key: Expr }
  | {
      readonly kind: 'slice';
      readonly pos: number;
      readonly object: Expr;
      readonly start: Expr | null;
      readonly stop: Expr | null;
      readonly step: Expr | null;
    }
  | ({ readonly kind: 'call'; readonly pos: number; readonly callee: Expr } & CallArgs)
  | { readonly kind: 'filter'; readonly pos: number; readonly value: Expr; readonly filter: FilterCall }
  | ({ readonly kind: 'test'; readonly pos: number; readonly value: Expr; readonly name: string; readonly negated: boolean } & CallArgs)
  | { readonly kind: 'unary'; readonly pos: number; readonly op: '-' | '+' | 'not'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly pos: number; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'and' | 'or'; readonly pos: number; readonly left: Expr; readonly right: Expr }
  | {
      readonly kind: 'compare';
      readonly pos: number;
      readonly first: Expr;
      readonly rest: ReadonlyArray<{ readonly op: CompareOp; readonly expr: Expr }>;
    }
  | { readonly kind: 'cond'; readonly pos: number; readonly test: Expr; readonly whenTrue: Expr; readonly whenFalse: Expr | null };

/** What `{% set %}` and `{% for %}` assign to: a name, or an attribute of a `namespace()`. */
/** A `{% for %}` variable, or a parenthesized group unpacked in turn: `for (a, b), c in …`. */
export type LoopTarget = string | readonly LoopTarget[];

export type Target =
  | { readonly kind: 'name'; readonly name: string; readonly pos: number }
  | { readonly kind: 'nsattr'; readonly ns: string; readonly attr: string; readonly pos: number };

export interface MacroParam {
  readonly name: string;
  readonly default: Expr | null;
}

export type Stmt =
  | { readonly kind: 'text'; readonly pos: number; readonly value: string }
  | { readonly kind: 'output'; readonly pos: number; readonly expr: Expr }
  | {
      readonly kind: 'if';
      readonly pos: number;
      readonly branches: ReadonlyArray<{ readonly test: Expr; readonly body: readonly Stmt[] }>;
      readonly otherwise: readonly Stmt[] | null;
    }
  | {
      readonly kind: 'for';
      readonly pos: number;
      readonly targets: readonly LoopTarget[];
      readonly iter: Expr;
      readonly filter: Expr | null;
      readonly body: readonly Stmt[];
      readonly otherwise: readonly Stmt[] | null;
    }
  | { readonly kind: 'set'; readonly pos: number; readonly targets: readonly Target[]; readonly value: Expr }
  | {
      readonly kind: 'setBlock';
      readonly pos: number;
      readonly target: Target;
      readonly filters: readonly FilterCall[];
      readonly body: readonly Stmt[];
    }
  | { readonly kind: 'block'; readonly pos: number; readonly name: string; readonly body: readonly Stmt[]; readonly required: boolean }
  | { readonly kind: 'extends'; readonly pos: number; readonly template: Expr }
  | {
      readonly kind: 'include';
      readonly pos: number;
      readonly template: Expr;
      readonly ignoreMissing: boolean;
      readonly withContext: boolean;
    }
  | { readonly kind: 'import'; readonly pos: number; readonly template: Expr; readonly alias: string; readonly withContext: boolean }
  | {
      readonly kind: 'fromImport';
      readonly pos: number;
      readonly template: Expr;
      readonly names: ReadonlyArray<{ readonly name: string; readonly alias: string; readonly pos: number }>;
      readonly withContext: boolean;
    }
  | {
      readonly kind: 'macro';
      readonly pos: number;
      readonly name: string;
      readonly params: readonly MacroParam[];
      readonly body: readonly Stmt[];
    }
  | {
      readonly kind: 'callBlock';
      readonly pos: number;
      readonly params: readonly MacroParam[];
      readonly call: Expr;
      readonly body: readonly Stmt[];
    }
  | { readonly kind: 'filterBlock'; readonly pos: number; readonly filters: readonly FilterCall[]; readonly body: readonly Stmt[] }
  | {
      readonly kind: 'with';
      readonly pos: number;
      readonly assignments: ReadonlyArray<{ readonly name: string; readonly value: Expr }>;
      readonly body: readonly Stmt[];
    }
  | { readonly kind: 'break' | 'continue'; readonly pos: number }
  | { readonly kind: 'autoescape'; readonly pos: number; readonly enabled: boolean; readonly body: readonly Stmt[] }
  | { readonly kind: 'do'; readonly pos: number; readonly expr: Expr };
