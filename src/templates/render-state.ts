// The shapes shared by the compiled templates, the runtime and the engine during one render.
import { TemplateError } from './template-error.js';

/** The variables of one render: own properties over the engine's globals (a null-prototype object). */
export type Context = Record<string, unknown>;

/** A compiled `{% block %}`: a string, or chunks when compiled for streaming. */
export type BlockFn = (c: Context, s: RenderState, b: BlockTable, bi: number) => string | Generator<string, void, undefined>;
/** A compiled template's top level. */
export type RootFn = (c: Context, s: RenderState, b: BlockTable) => string | Generator<string, void, undefined>;
/** The blocks of one render, most derived first. */
export type BlockTable = Record<string, BlockFn[]>;

/** What the compiled module of one template exports. */
export interface TemplateModule {
  readonly name: string;
  readonly root: RootFn;
  readonly blocks: Readonly<Record<string, BlockFn>>;
}

/** What the runtime needs from the engine while rendering. */
export interface RenderHost {
  /** The template named `name` (a string, or a list of names of which the first that exists), or null when missing and `ignoreMissing`. */
  load(name: unknown, stream: boolean, ignoreMissing: boolean): TemplateModule | null;
  /** A context holding only the globals. */
  context(): Context;
  readonly maxDepth: number;
  /** Loop iterations and macro calls one render may run. */
  readonly maxLoopIterations: number;
}

/** The state of one render. */
export interface RenderState {
  readonly host: RenderHost;
  depth: number;
  readonly chain: string[];
  /** Loop iterations and macro calls left to this render; the compiled loops count it down. */
  budget: number;
}

/** Throws `ERR_TEMPLATE_SANDBOX` once a render has used up its loop iterations (see `maxLoopIterations`). */
export function outOfIterations(s: RenderState): never {
  throw new TemplateError(`more than ${s.host.maxLoopIterations} loop iterations and macro calls in one render (maxLoopIterations)`, {
    code: 'ERR_TEMPLATE_SANDBOX',
  });
}

/** Enters an include, extends, import or macro call; throws `ERR_TEMPLATE_RECURSION` past `maxDepth`. */
export function enter(s: RenderState, what: string): void {
  s.chain.push(what);
  if (++s.depth > s.host.maxDepth) {
    const chain = s.chain.length > 8 ? ['…', ...s.chain.slice(-8)] : s.chain;
    throw new TemplateError(`recursion deeper than ${s.host.maxDepth} (includes, extends, imports and macro calls): ${chain.join(' → ')}`, {
      code: 'ERR_TEMPLATE_RECURSION',
    });
  }
}

export function leave(s: RenderState): void {
  s.depth--;
  s.chain.pop();
}
