import { TemplateError } from './template-error.js';

/**
 * Attribute and key names no template may read, on any value: the ways from a value to its
 * prototype or constructor, and from there to `Function` (and so to arbitrary code).
 */
export const UNSAFE_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** Names refused on functions on top of `UNSAFE_NAMES`: a function's own data is all a template may read. */
const UNSAFE_FUNCTION_NAMES: ReadonlySet<string> = new Set(['call', 'apply', 'bind', 'caller', 'callee', 'arguments', 'toString']);

// Functions that evaluate code, schedule it, or reach the process: refused even when the
// application hands one to a template by mistake.
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as unknown;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;
const UNSAFE_CALLABLES: ReadonlySet<unknown> = new Set<unknown>([
  Function,
  AsyncFunction,
  GeneratorFunction,
  AsyncGeneratorFunction,
  // Read off globalThis: the reference alone, never a call.
  (globalThis as Record<string, unknown>).eval,
  setTimeout,
  setInterval,
  setImmediate,
  queueMicrotask,
  Function.prototype.call,
  Function.prototype.apply,
  Function.prototype.bind,
  Reflect.apply,
  Reflect.construct,
  Reflect.get,
  Reflect.getPrototypeOf,
  Reflect.setPrototypeOf,
  Reflect.defineProperty,
  Object.getPrototypeOf,
  Object.setPrototypeOf,
  Object.defineProperty,
  Object.defineProperties,
  Object.getOwnPropertyDescriptor,
  Object.getOwnPropertyDescriptors,
  Object.assign,
  (process as unknown as Record<string, unknown>).binding,
  process.dlopen,
  process.exit,
  process.kill,
  process.abort,
  process.chdir,
]);

/** Objects a template may never look into, whatever the context hands it. */
const UNSAFE_OBJECTS: ReadonlySet<unknown> = new Set<unknown>([globalThis, process, Reflect, Function.prototype, Object, Function]);

export function sandboxError(message: string): TemplateError {
  return new TemplateError(message, { code: 'ERR_TEMPLATE_SANDBOX' });
}

/** Throws unless a template may read `name` of `object` (`object` is neither null nor undefined). */
export function checkAttribute(object: unknown, name: string): void {
  if (UNSAFE_NAMES.has(name)) throw sandboxError(`access to attribute '${name}' is not allowed in templates`);
  if (UNSAFE_OBJECTS.has(object)) throw sandboxError(`access to '${name}' of a global object is not allowed in templates`);
  if (typeof object === 'function') {
    if (UNSAFE_FUNCTION_NAMES.has(name) || !Object.hasOwn(object, name)) {
      throw sandboxError(`access to attribute '${name}' of a function is not allowed in templates`);
    }
  }
}

/** Throws unless a template may call `fn` with `self` as `this`. */
export function checkCallable(fn: unknown, self: unknown): void {
  if (UNSAFE_CALLABLES.has(fn)) throw sandboxError(`calling ${describeFunction(fn)} is not allowed in templates`);
  if (self !== undefined && UNSAFE_OBJECTS.has(self)) throw sandboxError('calling methods of a global object is not allowed in templates');
}

/** Whether a value is one the sandbox keeps away from templates entirely. */
export function isUnsafeObject(value: unknown): boolean {
  return UNSAFE_OBJECTS.has(value) || UNSAFE_CALLABLES.has(value);
}

function describeFunction(fn: unknown): string {
  const name = typeof fn === 'function' ? fn.name : '';
  return name === '' ? 'this function' : `'${name}'`;
}
