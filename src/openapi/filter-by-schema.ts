import type { SchemaNode, UnionNode } from './schema-node.js';

type JSONable = { toJSON(key: string): unknown };

function hasToJSON(value: unknown): value is JSONable {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  // `out.__proto__ = x` would set the prototype; a declared `__proto__` field is data.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  else out[key] = value;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The branch of a union a value is written with: the first whose kind fits the value. */
export function pickBranch(union: UnionNode, value: unknown): SchemaNode | undefined {
  const t = typeOf(value);
  let fallback: SchemaNode | undefined;
  // An object that fits no branch is still filtered (by the first object branch), never sent whole.
  let ruledOut: SchemaNode | undefined;
  for (const branch of union.branches) {
    const kind = branch.kind === 'union' ? pickBranch(branch, value)?.kind : branch.kind;
    if (kind === 'object' && t === 'object') {
      if (branch.kind !== 'object') return branch; // a nested union fitted the value itself
      const v = value as Record<string, unknown>;
      // A discriminator that names another branch (`kind: 'b'` against `kind: 'a'`) rules this one out.
      if (branch.consts.some(([k, allowed]) => v[k] !== undefined && !allowed.includes(v[k]))) {
        ruledOut ??= branch;
        continue;
      }
      if (branch.required.every((k) => v[k] !== undefined)) return branch;
      fallback ??= branch;
    } else if (kind === 'array' && t === 'array') {
      return branch;
    } else if (kind === 'any' || kind === t || (kind === 'number' && t === 'number')) {
      fallback ??= branch;
    }
  }
  return fallback ?? ruledOut;
}

/**
 * The value as a response schema lets it out: objects keep their declared properties only
 * (unless the schema allows more), arrays are walked, `toJSON` is applied where an object is
 * filtered (as `JSON.stringify` would), everything else is left for `JSON.stringify`. This is
 * the reference the compiled serializer must match byte for byte.
 *
 * @example
 * filterBySchema({ id: 1, passwordHash: 'x' }, schemaNode({ type: 'object', properties: { id: { type: 'integer' } } })) // { id: 1 }
 */
export function filterBySchema(value: unknown, node: SchemaNode, key = ''): unknown {
  switch (node.kind) {
    case 'object': {
      const v = hasToJSON(value) ? value.toJSON(key) : value;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
      const source = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, child] of node.props) {
        const x = source[name];
        if (x !== undefined) setOwn(out, name, filterBySchema(x, child, name));
      }
      if (node.extras !== null) {
        for (const name of Object.keys(source)) {
          if (node.props.some(([p]) => p === name)) continue;
          setOwn(out, name, filterBySchema(source[name], node.extras, name));
        }
      }
      return out;
    }
    case 'array': {
      const v = hasToJSON(value) ? value.toJSON(key) : value;
      if (!Array.isArray(v)) return v;
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = filterBySchema(v[i], i < node.prefix.length ? (node.prefix[i] as SchemaNode) : node.items, String(i));
      return out;
    }
    case 'union': {
      const v = hasToJSON(value) ? value.toJSON(key) : value;
      const branch = pickBranch(node, v);
      return branch === undefined ? v : filterBySchema(v, branch, key);
    }
    default:
      return value;
  }
}
