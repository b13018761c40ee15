import { eq } from './runtime.js';

/**
 * The `loop` variable of `{% for %}` (the compiler turns `loop.index` and the like into the
 * loop counter, and builds this object only when the body uses `loop` itself).
 *
 * @example
 * templates.renderString('{% for x in xs %}{{ loop.cycle("odd", "even") }}{% endfor %}', { xs: [1, 2] }) // 'oddeven'
 */
export class LoopContext {
  index0 = 0;
  readonly length: number;
  readonly #items: readonly unknown[];
  #changed: unknown[] | undefined;

  constructor(items: readonly unknown[]) {
    this.#items = items;
    this.length = items.length;
  }

  get index(): number {
    return this.index0 + 1;
  }
  get revindex(): number {
    return this.length - this.index0;
  }
  get revindex0(): number {
    return this.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.length - 1;
  }
  get previtem(): unknown {
    return this.index0 > 0 ? this.#items[this.index0 - 1] : undefined;
  }
  get nextitem(): unknown {
    return this.#items[this.index0 + 1];
  }
  get depth(): number {
    return 1;
  }
  get depth0(): number {
    return 0;
  }

  /** The argument at this iteration, round-robin: `loop.cycle('odd', 'even')`. */
  cycle(...args: unknown[]): unknown {
    return args.length === 0 ? undefined : args[this.index0 % args.length];
  }

  /** True on the first call and whenever the arguments differ from the previous call's. */
  changed(...args: unknown[]): boolean {
    const prev = this.#changed;
    this.#changed = args;
    return prev === undefined || !eq(prev, args);
  }
}
