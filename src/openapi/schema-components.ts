import type { JSONSchema, JSONSchemaObject } from './openapi-types.js';

/**
 * Collects the `$defs` of converted schemas into `components.schemas`. A converter writes its
 * shared and recursive parts as `$defs` with `$ref: "#/$defs/Name"` (or `"#"` for the root);
 * inside an OpenAPI document `#` is the document, so those references are rewritten to
 * `#/components/schemas/…`.
 *
 * @example
 * const components = new SchemaComponents();
 * const schema = components.place(jsonSchemaOf(TreeSchema)); // refs now point into components
 */
export class SchemaComponents {
  readonly schemas: Record<string, JSONSchema> = {};
  #counter = 0;

  /** Rewrites `schema`'s local references and moves its `$defs` into `schemas`. */
  place(schema: JSONSchema): JSONSchema {
    if (typeof schema === 'boolean' || !hasLocalRef(schema)) return schema;
    const renames = new Map<string, string>();
    const defs = (schema.$defs ?? {}) as Record<string, JSONSchema>;
    for (const name of Object.keys(defs)) renames.set(name, this.#freeName(name));
    let rootName: string | undefined;
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (typeof node !== 'object' || node === null) return node;
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        if (key === '$defs') continue;
        if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) {
          if (value === '#') {
            rootName ??= this.#freeName('Schema');
            out[key] = `#/components/schemas/${rootName}`;
          } else {
            const m = /^#\/\$defs\/([^/]+)$/.exec(value);
            out[key] = m ? `#/components/schemas/${renames.get(m[1] as string) ?? m[1]}` : value;
          }
          continue;
        }
        out[key] = rewrite(value);
      }
      return out;
    };
    for (const [name, def] of Object.entries(defs)) this.schemas[renames.get(name) as string] = rewrite(def) as JSONSchema;
    const placed = rewrite(schema) as JSONSchemaObject;
    if (rootName === undefined) return placed;
    this.schemas[rootName] = placed;
    return { $ref: `#/components/schemas/${rootName}` };
  }

  #freeName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9._-]/g, '_') || 'Schema';
    let name = clean;
    while (Object.hasOwn(this.schemas, name)) name = `${clean}${++this.#counter}`;
    this.schemas[name] = {}; // reserved until filled
    return name;
  }
}

function hasLocalRef(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasLocalRef);
  if (typeof node !== 'object' || node === null) return false;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$defs') return true;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) return true;
    if (hasLocalRef(value)) return true;
  }
  return false;
}
