/**
 * `target[key] = value` as an own, enumerable data property — also for `__proto__`, which a
 * plain assignment would take as setting the prototype (a field named so in parsed JSON would
 * be lost, or replace the object's prototype).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
