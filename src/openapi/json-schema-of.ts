import type { JSONSchema, JSONSchemaObject } from './openapi-types.js';

/**
 * The Standard JSON Schema interface (standardschema.dev): Zod 4 implements it on every
 * schema, Valibot through `toStandardJsonSchema`, Covet's `Validator` natively.
 */
export interface StandardJSONSchemaLike {
  readonly '~standard': {
    readonly jsonSchema: {
      readonly input: (options: { readonly target: string; readonly libraryOptions?: Record<string, unknown> }) => Record<string, unknown>;
      readonly output: (options: { readonly target: string; readonly libraryOptions?: Record<string, unknown> }) => Record<string, unknown>;
    };
  };
}

/** True for values implementing the Standard JSON Schema interface. */
export function hasStandardJSONSchema(value: unknown): value is StandardJSONSchemaLike {
  const std = (value as { '~standard'?: { jsonSchema?: { input?: unknown } } } | null)?.['~standard'];
  return typeof std === 'object' && std !== null && typeof std.jsonSchema === 'object' && typeof std.jsonSchema?.input === 'function';
}

/** True for a plain JSON Schema object (not a Standard Schema). */
export function isPlainJSONSchema(value: unknown): value is JSONSchemaObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || '~standard' in value) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Zod reads `unrepresentable: 'any'` (a `Date` becomes `{}` instead of an error); others ignore it.
const LIBRARY_OPTIONS = { unrepresentable: 'any' };

/**
 * The JSON Schema of a route schema: a Standard JSON Schema (its `input` side — what the
 * client sends, and what a handler returns before serialisation), a plain JSON Schema object
 * (as is), or `{}` (any value) for a Standard Schema that cannot describe itself. The
 * `$schema` keyword is dropped: the document's dialect is OpenAPI 3.1's.
 *
 * @example
 * jsonSchemaOf(z.object({ name: z.string() })) // { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
 */
export function jsonSchemaOf(schema: unknown): JSONSchema {
  let out: unknown;
  if (hasStandardJSONSchema(schema)) {
    try {
      out = schema['~standard'].jsonSchema.input({ target: 'draft-2020-12', libraryOptions: LIBRARY_OPTIONS });
    } catch {
      // A schema with parts JSON Schema cannot express (a custom check, say): describe it as "any".
      return {};
    }
  } else if (isPlainJSONSchema(schema) || typeof schema === 'boolean') {
    out = schema;
  } else {
    return {};
  }
  if (typeof out === 'boolean') return out;
  if (typeof out !== 'object' || out === null) return {};
  const { $schema: _dialect, ...rest } = out as JSONSchemaObject;
  return rest;
}
