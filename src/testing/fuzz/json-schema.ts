/**
 * The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that the fuzzer reads and checks.
 * Structural and loose on purpose: documents come from `app.openapi()` or from a file.
 */
export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchemaLike>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchemaLike;
  readonly items?: JsonSchemaLike;
  readonly prefixItems?: readonly JsonSchemaLike[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number | boolean;
  readonly exclusiveMaximum?: number | boolean;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly anyOf?: readonly JsonSchemaLike[];
  readonly oneOf?: readonly JsonSchemaLike[];
  readonly allOf?: readonly JsonSchemaLike[];
  readonly not?: JsonSchemaLike;
  /** OpenAPI 3.0's spelling of `type: [T, 'null']`, still seen in converted documents. */
  readonly nullable?: boolean;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
}

/** A schema, or `true`/`false` (anything / nothing). */
export type JsonSchemaLike = JsonSchema | boolean;

/** The root a `$ref` like `#/components/schemas/User` is resolved against. */
export type SchemaRoot = unknown;

/**
 * Follows `$ref`s (local JSON pointers only) until a schema without one; unknown references
 * resolve to `true` (anything), so a half-documented API is fuzzed rather than rejected.
 *
 * @example
 * resolveSchema(doc, { $ref: '#/components/schemas/User' }) // the User schema
 */
export function resolveSchema(root: SchemaRoot, schema: JsonSchemaLike | undefined): JsonSchemaLike {
  let current: JsonSchemaLike | undefined = schema;
  for (let hops = 0; hops < 32 && typeof current === 'object' && current.$ref !== undefined; hops++) {
    const target = resolvePointer(root, current.$ref);
    if (target === undefined) return true;
    current = target as JsonSchemaLike;
  }
  return current ?? true;
}

/**
 * The value at a local JSON pointer (`#/a/b`, with `~1` for `/` and `~0` for `~`), or undefined.
 *
 * @example
 * resolvePointer({ a: { b: 1 } }, '#/a/b') // 1
 */
export function resolvePointer(root: SchemaRoot, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * The schema's own types as a list (`[]` when it names none); `nullable: true` adds `null`.
 *
 * @example
 * schemaTypes({ type: 'string', nullable: true }) // ['string', 'null']
 */
export function schemaTypes(schema: JsonSchema): string[] {
  const types = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : [...schema.type];
  if (schema.nullable === true && types.length > 0 && !types.includes('null')) types.push('null');
  return types;
}

/**
 * The types a value of `schema` may have, looking through `anyOf`/`oneOf` branches, `allOf`
 * parts, `enum` and `const` (`[]` when nothing says: any type).
 *
 * @example
 * possibleTypes({}, { anyOf: [{ type: 'number' }, { type: 'null' }] }) // ['number', 'null']
 */
export function possibleTypes(root: SchemaRoot, schemaLike: JsonSchemaLike | undefined, depth = 0): string[] {
  const schema = resolveSchema(root, schemaLike);
  if (typeof schema !== 'object' || depth > 8) return [];
  const own = schemaTypes(schema);
  if (own.length > 0) return own;
  const values = schema.const !== undefined ? [schema.const] : schema.enum;
  if (values !== undefined) {
    return [...new Set(values.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v)))];
  }
  const out = new Set<string>();
  for (const sub of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    const types = possibleTypes(root, sub, depth + 1);
    if (types.length === 0 && schema.allOf === undefined) return []; // one branch takes anything
    for (const t of types) out.add(t);
  }
  return [...out];
}
