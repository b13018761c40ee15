import { setOwn } from './own-field.js';

/**
 * Adds `message` under `key` in a `{ field: [messages] }` record. Own properties only: a field
 * named `constructor`, `toString` or `__proto__` is a field like any other, not the inherited
 * member (whose `push` a plain `errors[key] ??= []` would call).
 */
export function addFieldError(errors: Record<string, string[]>, key: string, message: string): void {
  if (Object.hasOwn(errors, key)) (errors[key] as string[]).push(message);
  else setOwn(errors, key, [message]);
}
