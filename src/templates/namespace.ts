import { UNSAFE_NAMES } from './sandbox.js';

/**
 * `namespace(count=0)`: the only object whose attributes a template may assign
 * (`{% set ns.count = … %}`), to carry values out of a loop's scope.
 *
 * @example
 * templates.renderString('{% set ns = namespace(n=0) %}{% for x in [1, 2] %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}') // '3'
 */
export class Namespace {
  constructor(init?: Record<string, unknown>) {
    if (init !== undefined) {
      for (const k of Object.keys(init)) if (!UNSAFE_NAMES.has(k)) (this as unknown as Record<string, unknown>)[k] = init[k];
    }
  }
}
