import { Markup } from './markup.js';
import { enter, leave, outOfIterations, type RenderState } from './render-state.js';
import { TemplateError } from './template-error.js';
import { tuple } from './tuple.js';

type Kwargs = Record<string, unknown>;

/** Whether a macro takes extra positional (`varargs`) and keyword (`kwargs`) arguments: as in Jinja, when its body reads them. */
export interface MacroCatches {
  readonly varargs: boolean;
  readonly kwargs: boolean;
}

function runtimeError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_RUNTIME' });
}

/**
 * A `{% macro %}` (or the body of a `{% call %}`, as `caller`). Its output is `Markup` when
 * the template autoescapes, so printing it does not escape it twice.
 *
 * @example
 * templates.renderString('{% macro b(x) %}<b>{{ x }}</b>{% endmacro %}{{ b("<") }}') // '<b>&lt;</b>'
 */
export class Macro {
  readonly name: string;
  readonly params: readonly string[];
  readonly #state: RenderState;
  readonly #safe: boolean;
  readonly #fn: (args: unknown[]) => string;
  readonly #catches: MacroCatches;

  constructor(
    name: string,
    params: readonly string[],
    state: RenderState,
    safe: boolean,
    fn: (args: unknown[]) => string,
    catches: MacroCatches = { varargs: true, kwargs: true },
  ) {
    this.name = name;
    this.params = params;
    this.#state = state;
    this.#safe = safe;
    this.#fn = fn;
    this.#catches = catches;
  }

  /** The parameters' names, as Jinja's `macro.arguments`. */
  get arguments(): readonly string[] {
    return tuple([...this.params]);
  }

  /** Binds arguments Python-style; extra ones land in `varargs` and `kwargs`. */
  invoke(args: readonly unknown[], kw: Kwargs | null): unknown {
    const n = this.params.length;
    const bound: unknown[] = new Array(n + 3).fill(undefined);
    const varargs: unknown[] = [];
    const kwargs: Kwargs = {};
    if (args.length > n && !this.#catches.varargs) throw runtimeError(`macro '${this.name}' takes not more than ${n} argument(s)`);
    for (let i = 0; i < args.length; i++) {
      if (i < n) bound[i] = args[i];
      else varargs.push(args[i]);
    }
    let caller: unknown;
    if (kw !== null) {
      for (const key of Object.keys(kw)) {
        const i = this.params.indexOf(key);
        if (i !== -1) {
          if (i < args.length) throw runtimeError(`macro '${this.name}' got multiple values for argument '${key}'`);
          bound[i] = kw[key];
        } else if (key === 'caller') caller = kw[key];
        else if (this.#catches.kwargs) kwargs[key] = kw[key];
        else throw runtimeError(`macro '${this.name}' takes no keyword argument '${key}'`);
      }
    }
    bound[n] = varargs;
    bound[n + 1] = kwargs;
    bound[n + 2] = caller;
    const s = this.#state;
    if (--s.budget < 0) outOfIterations(s);
    enter(s, `${this.name}()`);
    let out: string;
    try {
      out = this.#fn(bound);
    } finally {
      leave(s);
    }
    return this.#safe ? new Markup(out) : out;
  }

  toString(): string {
    return `[macro ${this.name}]`;
  }
}
