import { type JsonSchema, type JsonSchemaLike, resolveSchema, type SchemaRoot, schemaTypes } from './json-schema.js';

const FORMATS: Readonly<Record<string, RegExp>> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^\s@"]+@[^\s@]+\.[^\s@]+$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
};

const patternCache = new Map<string, RegExp | null>();

function compilePattern(source: string): RegExp | null {
  let re = patternCache.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source, 'u');
    } catch {
      re = null; // a pattern JavaScript cannot compile constrains nothing here
    }
    patternCache.set(source, re);
  }
  return re;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeOf(value) === type;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function lowerBound(schema: JsonSchema): { value: number; exclusive: boolean } | null {
  if (typeof schema.exclusiveMinimum === 'number') return { value: schema.exclusiveMinimum, exclusive: true };
  if (schema.minimum !== undefined) return { value: schema.minimum, exclusive: schema.exclusiveMinimum === true };
  return null;
}

function upperBound(schema: JsonSchema): { value: number; exclusive: boolean } | null {
  if (typeof schema.exclusiveMaximum === 'number') return { value: schema.exclusiveMaximum, exclusive: true };
  if (schema.maximum !== undefined) return { value: schema.maximum, exclusive: schema.exclusiveMaximum === true };
  return null;
}

function check(root: SchemaRoot, schemaLike: JsonSchemaLike | undefined, value: unknown, path: string, errors: string[]): void {
  const schema = resolveSchema(root, schemaLike);
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: no value is allowed here`);
    return;
  }
  const types = schemaTypes(schema);
  if (types.length > 0 && !types.some((t) => hasType(value, t))) {
    errors.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
    return;
  }
  if (schema.const !== undefined && !deepEqual(value, schema.const)) errors.push(`${path}: expected ${describe(schema.const)}`);
  if (schema.enum !== undefined && !schema.enum.some((e) => deepEqual(e, value))) {
    errors.push(`${path}: ${describe(value)} is not one of ${schema.enum.map(describe).join(', ')}`);
  }
  if (typeof value === 'number') checkNumber(schema, value, path, errors);
  else if (typeof value === 'string') checkString(schema, value, path, errors);
  else if (Array.isArray(value)) checkArray(root, schema, value, path, errors);
  else if (typeof value === 'object' && value !== null) checkObject(root, schema, value as Record<string, unknown>, path, errors);
  checkCombinators(root, schema, value, path, errors);
}

function checkNumber(schema: JsonSchema, value: number, path: string, errors: string[]): void {
  const low = lowerBound(schema);
  if (low !== null && (low.exclusive ? value <= low.value : value < low.value)) {
    errors.push(`${path}: ${value} is ${low.exclusive ? 'at or ' : ''}below the minimum ${low.value}`);
  }
  const high = upperBound(schema);
  if (high !== null && (high.exclusive ? value >= high.value : value > high.value)) {
    errors.push(`${path}: ${value} is ${high.exclusive ? 'at or ' : ''}above the maximum ${high.value}`);
  }
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const q = value / schema.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) errors.push(`${path}: ${value} is not a multiple of ${schema.multipleOf}`);
  }
}

function checkString(schema: JsonSchema, value: string, path: string, errors: string[]): void {
  // JSON Schema counts characters as code points, not UTF-16 units.
  const length = schema.minLength !== undefined || schema.maxLength !== undefined ? [...value].length : 0;
  if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength} characters`);
  if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength} characters`);
  if (schema.pattern !== undefined) {
    const re = compilePattern(schema.pattern);
    if (re !== null && !re.test(value)) errors.push(`${path}: ${describe(value)} does not match ${schema.pattern}`);
  }
  const format = schema.format === undefined ? undefined : FORMATS[schema.format];
  const dated = schema.format === 'date' || schema.format === 'date-time';
  if (format !== undefined && (!format.test(value) || (dated && Number.isNaN(Date.parse(value))))) {
    errors.push(`${path}: ${describe(value)} is not a valid ${schema.format}`);
  }
}

function checkArray(root: SchemaRoot, schema: JsonSchema, value: readonly unknown[], path: string, errors: string[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
  const prefix = schema.prefixItems ?? [];
  value.forEach((item, i) => {
    check(root, i < prefix.length ? prefix[i] : schema.items, item, `${path}[${i}]`, errors);
  });
  if (schema.uniqueItems === true) {
    for (let i = 1; i < value.length; i++) {
      if (value.slice(0, i).some((other) => deepEqual(other, value[i]))) {
        errors.push(`${path}: items are not unique`);
        break;
      }
    }
  }
}

function checkObject(root: SchemaRoot, schema: JsonSchema, value: Readonly<Record<string, unknown>>, path: string, errors: string[]): void {
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name)) errors.push(`${path}.${name}: required`);
  }
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < schema.minProperties)
    errors.push(`${path}: fewer than ${schema.minProperties} properties`);
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
    errors.push(`${path}: more than ${schema.maxProperties} properties`);
  const properties = schema.properties ?? {};
  for (const key of keys) {
    if (Object.hasOwn(properties, key)) check(root, properties[key], value[key], `${path}.${key}`, errors);
    else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed (additionalProperties is false)`);
    else if (schema.additionalProperties !== undefined) check(root, schema.additionalProperties, value[key], `${path}.${key}`, errors);
  }
}

function checkCombinators(root: SchemaRoot, schema: JsonSchema, value: unknown, path: string, errors: string[]): void {
  for (const sub of schema.allOf ?? []) check(root, sub, value, path, errors);
  if (schema.anyOf !== undefined && !schema.anyOf.some((sub) => validateJsonSchema(sub, value, root).length === 0)) {
    errors.push(`${path}: matches none of the anyOf schemas`);
  }
  if (schema.oneOf !== undefined) {
    const matches = schema.oneOf.filter((sub) => validateJsonSchema(sub, value, root).length === 0).length;
    if (matches !== 1) errors.push(`${path}: matches ${matches} of the oneOf schemas (expected exactly 1)`);
  }
  if (schema.not !== undefined && validateJsonSchema(schema.not, value, root).length === 0)
    errors.push(`${path}: matches the "not" schema`);
}

/**
 * Checks `value` against a JSON Schema (the subset OpenAPI documents use: type, properties,
 * required, additionalProperties, items, enum, const, bounds, lengths, pattern, the uuid, email,
 * date-time and date formats, anyOf/oneOf/allOf/not and local `$ref`s) and returns the problems,
 * `[]` when it conforms. `root` resolves `$ref`s (the OpenAPI document).
 *
 * @example
 * validateJsonSchema({ type: 'object', required: ['id'] }, {}) // ['$.id: required']
 */
export function validateJsonSchema(schema: JsonSchemaLike | undefined, value: unknown, root: SchemaRoot = {}, path = '$'): string[] {
  const errors: string[] = [];
  check(root, schema, value, path, errors);
  return errors;
}
