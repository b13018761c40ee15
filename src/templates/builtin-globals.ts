// Jinja's global functions: range, dict, namespace, cycler, joiner, lipsum.
import { lipsum } from './lipsum.js';
import { Namespace } from './namespace.js';
import { type Kwargs, str } from './runtime.js';
import { sandboxError } from './sandbox.js';

/**
 * The longest list `range()` builds in a template, as in Jinja's sandbox.
 *
 * @example
 * templates.renderString('{{ range(MAX_RANGE + 1) }}', { MAX_RANGE }) // throws ERR_TEMPLATE_SANDBOX
 */
export const MAX_RANGE = 100_000;

function range(...args: unknown[]): number[] {
  const nums = args.map((a) => Math.trunc(Number(a)));
  const [start, stop, step] = nums.length === 1 ? [0, nums[0] as number, 1] : [nums[0] as number, nums[1] as number, nums[2] ?? 1];
  if (step === 0) throw sandboxError('range() step must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (!Number.isFinite(count) || count > MAX_RANGE) throw sandboxError(`range() is limited to ${MAX_RANGE} items`);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  return out;
}

/** `cycler('odd', 'even')`: `next()` returns the items round-robin. */
class Cycler {
  readonly items: readonly unknown[];
  #pos = 0;
  constructor(items: readonly unknown[]) {
    this.items = items;
  }
  get current(): unknown {
    return this.items[this.#pos];
  }
  next(): unknown {
    const v = this.items[this.#pos];
    this.#pos = (this.#pos + 1) % Math.max(1, this.items.length);
    return v;
  }
  reset(): void {
    this.#pos = 0;
  }
}

/** The built-in globals; keyword arguments arrive as a trailing object (how Covet calls functions). */
export function builtinGlobals(): Record<string, unknown> {
  return {
    range,
    dict: (kw?: Kwargs) => ({ ...(kw ?? {}) }),
    namespace: (kw?: Kwargs) => new Namespace(kw),
    cycler: (...items: unknown[]) => new Cycler(items),
    lipsum,
    joiner: (sep: unknown = ', ') => {
      let used = false;
      return () => {
        if (used) return str(sep);
        used = true;
        return '';
      };
    },
  };
}
