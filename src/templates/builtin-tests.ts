// Jinja's built-in tests (`x is defined`, `n is divisibleby 3`, `x is sameas none`, …).
import type { TestFunction } from './builtin-filters.js';
import { Markup } from './markup.js';
import { Macro } from './macro.js';
import { contains, eq } from './runtime.js';

const isNumber = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
const isString = (v: unknown) => typeof v === 'string' || v instanceof Markup;
const isMapping = (v: unknown) =>
  v instanceof Map || (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Markup) && !(Symbol.iterator in v));
const isIterable = (v: unknown) => typeof v === 'string' || (v !== null && typeof v === 'object' && (Symbol.iterator in v || isMapping(v)));

/** The built-in tests, by name. `filter` and `test` need the engine, so it passes them. */
export function builtinTests(hasFilter: (name: string) => boolean, hasTest: (name: string) => boolean): Record<string, TestFunction> {
  const tests: Record<string, (v: unknown, ...args: unknown[]) => unknown> = {
    boolean: (v) => typeof v === 'boolean',
    callable: (v) => typeof v === 'function' || v instanceof Macro,
    defined: (v) => v !== undefined,
    divisibleby: (v, n) => Number(v) % Number(n) === 0,
    eq: (v, o) => eq(v, o),
    escaped: (v) => v instanceof Markup,
    even: (v) => Number(v) % 2 === 0,
    false: (v) => v === false,
    filter: (v) => typeof v === 'string' && hasFilter(v),
    float: (v) => typeof v === 'number' && !Number.isInteger(v),
    ge: (v, o) => (v as number) >= (o as number),
    gt: (v, o) => (v as number) > (o as number),
    in: (v, seq) => contains(seq, v),
    integer: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
    iterable: isIterable,
    le: (v, o) => (v as number) <= (o as number),
    lower: (v) => isString(v) && String(v).toLowerCase() === String(v),
    lt: (v, o) => (v as number) < (o as number),
    mapping: isMapping,
    ne: (v, o) => !eq(v, o),
    none: (v) => v === null,
    number: isNumber,
    odd: (v) => Math.abs(Number(v) % 2) === 1,
    sameas: (v, o) => v === o,
    sequence: (v) => typeof v === 'string' || Array.isArray(v) || v instanceof Markup,
    string: isString,
    test: (v) => typeof v === 'string' && hasTest(v),
    true: (v) => v === true,
    undefined: (v) => v === undefined,
    upper: (v) => isString(v) && String(v).toUpperCase() === String(v),
  };
  for (const [alias, name] of [
    ['==', 'eq'],
    ['equalto', 'eq'],
    ['!=', 'ne'],
    ['>', 'gt'],
    ['greaterthan', 'gt'],
    ['>=', 'ge'],
    ['<', 'lt'],
    ['lessthan', 'lt'],
    ['<=', 'le'],
  ] as const) {
    const fn = tests[name];
    if (fn !== undefined) tests[alias] = fn;
  }
  return tests;
}
