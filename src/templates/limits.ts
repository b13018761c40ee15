// The sizes a template may build. Every operation that can grow a string or a list past its
// inputs checks the size of its result *before* building it: V8 aborts the whole process
// (an uncatchable "invalid size" error, or a heap out of memory) on a list or string too large,
// so an error after the fact would come too late.
import { sandboxError } from './sandbox.js';

/**
 * The longest string a template may build (concatenation, repetition, `replace`, `format`,
 * `join`, padding…), in UTF-16 code units.
 *
 * @example
 * templates.renderString('{{ "ab" * 6000000 }}') // throws ERR_TEMPLATE_SANDBOX
 */
export const MAX_STRING_LENGTH = 10_000_000;

/**
 * The longest list a template may build (`+`, repetition, `extend`, `concat`, `flat`…).
 *
 * @example
 * templates.renderString('{{ ([0] * 6000000 + [0] * 6000000)|length }}') // throws ERR_TEMPLATE_SANDBOX
 */
export const MAX_LIST_LENGTH = 10_000_000;

/** Throws `ERR_TEMPLATE_SANDBOX` unless a string of `length` code units may be built; `what` names the operation. */
export function checkStringLength(length: number, what: string): void {
  if (length > MAX_STRING_LENGTH) throw sandboxError(`${what} longer than ${MAX_STRING_LENGTH} characters`);
}

/** Throws `ERR_TEMPLATE_SANDBOX` unless a list of `length` items may be built; `what` names the operation. */
export function checkListLength(length: number, what: string): void {
  if (length > MAX_LIST_LENGTH) throw sandboxError(`${what} longer than ${MAX_LIST_LENGTH} items`);
}
