import type { JSONSchema, JSONSchemaObject } from './openapi-types.js';

/**
 * A JSON Schema reduced to what response filtering and serialisation need: which values are
 * objects with known properties (filtered), arrays (walked), unions (decided per value) and
 * everything else (written as `JSON.stringify` writes it). Nodes may form cycles (recursive
 * `$ref`s).
 */
export type SchemaNode =
  | { readonly kind: 'any' }
  | { readonly kind: 'string' }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | ObjectNode
  | ArrayNode
  | UnionNode;

export interface ObjectNode {
  readonly kind: 'object';
  /** Declared properties in the order `JSON.stringify` writes them for a fresh object. */
  props: [string, SchemaNode][];
  /** Undeclared properties: dropped (`null`) or kept and written by this node. */
  extras: SchemaNode | null;
  /** For unions: properties that must be present for a value to be taken as this branch. */
  required: readonly string[];
  /**
   * For unions: properties whose schema allows only some primitive values (`const`, `enum`: a
   * discriminator such as `kind: 'circle'`); a value whose property holds another value is not
   * this branch.
   */
  consts: readonly (readonly [string, readonly unknown[]])[];
}

type Primitive = string | number | boolean | null;

function isPrimitive(x: unknown): x is Primitive {
  return x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
}

/** The values a property schema allows when it is a `const` or an `enum` of primitives. */
function allowedValues(s: JSONSchema | undefined): readonly Primitive[] | undefined {
  if (typeof s !== 'object' || s === null) return undefined;
  if ('const' in s) return isPrimitive(s.const) ? [s.const] : undefined;
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every(isPrimitive)) return s.enum;
  return undefined;
}

export interface ArrayNode {
  readonly kind: 'array';
  items: SchemaNode;
  prefix: SchemaNode[];
}

export interface UnionNode {
  readonly kind: 'union';
  branches: SchemaNode[];
}

const ANY: SchemaNode = Object.freeze({ kind: 'any' });
const STRING: SchemaNode = Object.freeze({ kind: 'string' });
const NUMBER: SchemaNode = Object.freeze({ kind: 'number' });
const BOOLEAN: SchemaNode = Object.freeze({ kind: 'boolean' });

/** Whether a node changes anything (filters an object somewhere below it). */
export function filters(node: SchemaNode, seen = new Set<SchemaNode>()): boolean {
  if (seen.has(node)) return false;
  seen.add(node);
  switch (node.kind) {
    case 'object':
      return true;
    case 'array':
      return filters(node.items, seen) || node.prefix.some((n) => filters(n, seen));
    case 'union':
      return node.branches.some((n) => filters(n, seen));
    default:
      return false;
  }
}

function resolveRef(ref: string, root: JSONSchemaObject): JSONSchema | undefined {
  if (ref === '#') return root;
  const m = /^#\/(\$defs|definitions|components\/schemas)\/([^/]+)$/.exec(ref);
  if (!m) return undefined;
  const name = decodeURIComponent((m[2] as string).replace(/~1/g, '/').replace(/~0/g, '~'));
  const table = m[1] === 'components/schemas' ? (root.components as { schemas?: unknown } | undefined)?.schemas : root[m[1] as string];
  const target = (table as Record<string, JSONSchema> | undefined)?.[name];
  return target;
}

/** The declared-order key list as a fresh object would enumerate it (integer keys first). */
function enumerationOrder(keys: readonly string[]): string[] {
  const probe: Record<string, true> = {};
  for (const k of keys) Object.defineProperty(probe, k, { value: true, enumerable: true, configurable: true, writable: true });
  return Object.keys(probe);
}

/**
 * Reduces a JSON Schema to a `SchemaNode` graph, resolving local `$ref`s against `root`.
 *
 * @example
 * schemaNode({ type: 'object', properties: { id: { type: 'integer' } } }) // { kind: 'object', props: [['id', { kind: 'number' }]], … }
 */
export function schemaNode(schema: JSONSchema, root: JSONSchemaObject | undefined = typeof schema === 'object' ? schema : undefined): SchemaNode {
  const memo = new Map<object, SchemaNode>();
  const build = (s: JSONSchema | undefined, depth: number): SchemaNode => {
    if (s === undefined || typeof s !== 'object' || s === null || depth > 64) return ANY;
    const known = memo.get(s);
    if (known !== undefined) return known;
    if (typeof s.$ref === 'string') {
      const target = root === undefined ? undefined : resolveRef(s.$ref, root);
      // Resolved lazily through a union of one, so a recursive reference closes the cycle.
      const holder: UnionNode = { kind: 'union', branches: [] };
      memo.set(s, holder);
      const node = build(target, depth + 1);
      if (node.kind === 'union' && node !== holder) holder.branches.push(...node.branches);
      else holder.branches.push(node);
      return holder;
    }
    const alternatives = (s.anyOf ?? s.oneOf) as JSONSchema[] | undefined;
    if (Array.isArray(alternatives)) {
      // `X | null` (a nullable field) is X: every node writes `null` as null.
      const nonNull = alternatives.filter((a) => !(typeof a === 'object' && a !== null && (a.type === 'null' || a.const === null)));
      if (nonNull.length === 1 && alternatives.length > 1) {
        const node = build(nonNull[0], depth + 1);
        memo.set(s, node);
        return node;
      }
      const union: UnionNode = { kind: 'union', branches: [] };
      memo.set(s, union);
      union.branches = alternatives.map((a) => build(a, depth + 1));
      return filters(union) ? union : ANY;
    }
    if (Array.isArray(s.allOf)) {
      const parts = s.allOf.filter((p): p is JSONSchemaObject => typeof p === 'object' && p !== null);
      const { allOf: _parts, ...merged }: JSONSchemaObject = s;
      for (const part of parts) {
        const resolved = typeof part.$ref === 'string' && root !== undefined ? resolveRef(part.$ref, root) : part;
        if (typeof resolved !== 'object' || resolved === null) continue;
        if (resolved.properties !== undefined) merged.properties = { ...merged.properties, ...resolved.properties };
        // A union tells its branches apart by their required properties: keep every part's.
        if (Array.isArray(resolved.required)) merged.required = [...new Set([...(Array.isArray(merged.required) ? merged.required : []), ...resolved.required])];
        if (resolved.type !== undefined && merged.type === undefined) merged.type = resolved.type;
        if (resolved.additionalProperties !== undefined && resolved.additionalProperties !== false) merged.additionalProperties = resolved.additionalProperties;
      }
      const node = build(merged, depth + 1);
      memo.set(s, node);
      return node;
    }
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    const isObject = s.properties !== undefined || (types.includes('object') && s.additionalProperties !== undefined) || (types.length === 1 && types[0] === 'object');
    if (isObject) {
      const node: ObjectNode = { kind: 'object', props: [], extras: null, required: Array.isArray(s.required) ? s.required : [], consts: [] };
      memo.set(s, node);
      const properties = s.properties ?? {};
      node.consts = Object.keys(properties).flatMap((k) => {
        const allowed = allowedValues(properties[k]);
        return allowed === undefined ? [] : [[k, allowed] as const];
      });
      const order = enumerationOrder(Object.keys(properties));
      node.props = order.map((k) => [k, build(properties[k], depth + 1)]);
      const extra = s.additionalProperties;
      // A bare `{ type: 'object' }` declares nothing to keep to: it is a free-form object.
      if (extra === true || (s.properties === undefined && extra === undefined)) node.extras = ANY;
      else if (typeof extra === 'object' && extra !== null) node.extras = build(extra, depth + 1);
      return node.props.length === 0 && node.extras === ANY ? ANY : node;
    }
    const isArray = s.items !== undefined || s.prefixItems !== undefined || (types.length === 1 && types[0] === 'array');
    if (isArray) {
      const node: ArrayNode = { kind: 'array', items: ANY, prefix: [] };
      memo.set(s, node);
      node.items = typeof s.items === 'object' && s.items !== null ? build(s.items, depth + 1) : ANY;
      node.prefix = Array.isArray(s.prefixItems) ? s.prefixItems.map((p) => build(p, depth + 1)) : [];
      return filters(node) ? node : ANY;
    }
    if (types.length === 1) {
      if (types[0] === 'string') return STRING;
      if (types[0] === 'number' || types[0] === 'integer') return NUMBER;
      if (types[0] === 'boolean') return BOOLEAN;
    }
    return ANY;
  };
  return build(schema, 0);
}
