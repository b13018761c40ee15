/**
 * What `JSON.stringify` writes for `value` in place of its properties: the result of its
 * `toJSON()` (a `URL`'s href, a decimal's text), `'[Unserializable]'` when that throws, or
 * `value` itself when it has no `toJSON`.
 */
export function toJsonForm(value: object): unknown {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function') return value;
  try {
    return toJSON.call(value, '');
  } catch {
    return '[Unserializable]';
  }
}
