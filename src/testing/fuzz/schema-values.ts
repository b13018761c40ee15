import { type JsonSchema, type JsonSchemaLike, possibleTypes, resolveSchema, type SchemaRoot, schemaTypes } from './json-schema.js';
import { stringForPattern } from './pattern-string.js';
import type { Prng } from './prng.js';
import { validateJsonSchema } from './validate-json-schema.js';

/** A value to try, with a short label for reports (`empty string`, `maximum + 1`…). */
export interface Candidate {
  readonly label: string;
  readonly value: unknown;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UNICODE = 'ünïcødé ✓ 😀 中文 العربية';
/** Strings that break naive code: quotes, markup, SQL, control and zero-width characters. */
const NASTY_STRINGS: readonly Candidate[] = [
  { label: 'unicode string', value: UNICODE },
  { label: 'quotes and markup', value: `'"<script>alert(1)</script>\\` },
  { label: 'SQL fragment', value: "' OR '1'='1' --" },
  { label: 'whitespace only', value: ' \t ' },
  { label: 'zero-width and RTL characters', value: '\u200b\u202e\ufeff' },
  { label: 'control characters', value: 'a\u0000b\u0007c\nd' },
  { label: 'lone surrogate', value: 'x\ud800y' },
];
const HUGE_INTEGERS: readonly Candidate[] = [
  { label: '2^31 - 1', value: 2147483647 },
  { label: '2^31', value: 2147483648 },
  { label: '-(2^31) - 1', value: -2147483649 },
  { label: 'Number.MAX_SAFE_INTEGER', value: Number.MAX_SAFE_INTEGER },
  { label: '2^53 + 2 (beyond safe integers)', value: 2 ** 53 + 2 },
  { label: '-Number.MAX_SAFE_INTEGER', value: -Number.MAX_SAFE_INTEGER },
  { label: '1e308', value: 1e308 },
];
const WRONG_TYPES: readonly (readonly [string, unknown])[] = [
  ['string', 'not-a-number'],
  ['integer', 123],
  ['number', 1.5],
  ['boolean', true],
  ['null', null],
  ['array', []],
  ['object', {}],
];

function randomString(rng: Prng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[rng.int(0, ALPHABET.length - 1)];
  return s;
}

function hex(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.int(0, 15)];
  return s;
}

function formatted(format: string | undefined, rng: Prng): string | undefined {
  switch (format) {
    case 'uuid':
      return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${'89ab'[rng.int(0, 3)]}${hex(rng, 3)}-${hex(rng, 12)}`;
    case 'email':
      return `${randomString(rng, rng.int(1, 8))}@example.com`;
    case 'date-time':
      return new Date(
        Date.UTC(2000 + rng.int(0, 30), rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59), rng.int(0, 59)),
      ).toISOString();
    case 'date':
      return new Date(Date.UTC(2000 + rng.int(0, 30), rng.int(0, 11), rng.int(1, 28))).toISOString().slice(0, 10);
    case 'uri':
    case 'url':
      return `https://example.com/${randomString(rng, 6)}`;
    default:
      return undefined;
  }
}

function numberRange(schema: JsonSchema, integer: boolean): [number, number] {
  const step = integer ? 1 : 0.5;
  let low = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + step : (schema.minimum ?? Number.NaN);
  let high = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - step : (schema.maximum ?? Number.NaN);
  if (schema.exclusiveMinimum === true) low += step;
  if (schema.exclusiveMaximum === true) high -= step;
  // Unbounded sides stay small: realistic ids and counts find more bugs than 1e300.
  if (Number.isNaN(low)) low = Number.isNaN(high) ? 0 : high - 100;
  if (Number.isNaN(high)) high = low + 100;
  return integer ? [Math.ceil(low), Math.floor(high)] : [low, high];
}

/**
 * Often 1-6 (ids of rows that exist: a request that reaches the handler finds more bugs than a
 * 404), else mostly 0-100 when the range is wide (as `-2^53..200` is): the edge values come
 * from `edgeCandidates`.
 */
function realistic([low, high]: [number, number], rng: Prng): [number, number] {
  if (rng.chance(0.4)) {
    const from = Math.max(low, Math.min(1, high));
    return [from, Math.min(high, from + 5)];
  }
  if (high - low <= 1000 || rng.chance(0.2)) return [low, high];
  const from = Math.max(low, Math.min(0, high - 100));
  return [from, Math.min(high, from + 100)];
}

function mergeAllOf(root: SchemaRoot, schema: JsonSchema): JsonSchema {
  if (schema.allOf === undefined) return schema;
  const { allOf, ...rest } = schema;
  let merged: JsonSchema = rest;
  for (const part of allOf) {
    const sub = resolveSchema(root, part);
    if (typeof sub !== 'object') continue;
    const flat = mergeAllOf(root, sub);
    merged = {
      ...flat,
      ...merged,
      properties: { ...flat.properties, ...merged.properties },
      required: [...(flat.required ?? []), ...(merged.required ?? [])],
    };
  }
  return merged;
}

function generate(root: SchemaRoot, schemaLike: JsonSchemaLike | undefined, rng: Prng, depth: number): unknown {
  if (depth > 12) return null; // a recursive schema whose every level is required
  const resolved = resolveSchema(root, schemaLike);
  if (resolved === false) return null;
  if (resolved === true) return randomString(rng, 5);
  const schema = mergeAllOf(root, resolved);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined && schema.enum.length > 0) return rng.pick(schema.enum);
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches !== undefined && branches.length > 0) return generate(root, rng.pick(branches), rng, depth + 1);
  const types = schemaTypes(schema);
  // `null` only now and then when something else is allowed: it exercises little code.
  const preferred = types.filter((t) => t !== 'null');
  const type = preferred.length > 0 && !rng.chance(0.1) ? rng.pick(preferred) : (types[0] ?? inferType(schema));
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return rng.chance(0.5);
    case 'integer': {
      const [low, high] = realistic(numberRange(schema, true), rng);
      const m = schema.multipleOf;
      return m !== undefined && Number.isInteger(m) && m > 0 ? Math.ceil(low / m) * m : rng.int(low, high);
    }
    case 'number': {
      const [low, high] = realistic(numberRange(schema, false), rng);
      return Math.round((low + rng.float() * (high - low)) * 100) / 100;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? min + 3, min + 3);
      if (depth > 4) return [];
      return Array.from({ length: rng.int(min, max) }, () => generate(root, schema.items, rng, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(schema.required ?? []);
      for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        if (required.has(name) || (depth < 4 && rng.chance(0.6))) out[name] = generate(root, sub, rng, depth + 1);
      }
      return out;
    }
    default:
      return generateString(schema, rng);
  }
}

function inferType(schema: JsonSchema): string {
  if (schema.properties !== undefined || schema.required !== undefined) return 'object';
  if (schema.items !== undefined) return 'array';
  if (schema.minimum !== undefined || schema.maximum !== undefined) return 'number';
  return 'string';
}

function generateString(schema: JsonSchema, rng: Prng): string {
  const byFormat = formatted(schema.format, rng);
  if (byFormat !== undefined) return byFormat;
  const min = schema.minLength ?? 1;
  const max = Math.max(min, Math.min(schema.maxLength ?? min + 12, min + 12));
  const plain = randomString(rng, rng.int(min, max));
  const pattern = schema.pattern;
  if (pattern === undefined) return plain;
  for (let i = 0; i < 4; i++) {
    const built = stringForPattern(pattern, rng);
    if (built === undefined) break;
    if (validateJsonSchema(schema, built).length === 0) return built;
  }
  // Past what stringForPattern reads: a few shapes that common patterns accept.
  const tries = [plain, plain.toLowerCase(), String(rng.int(0, 99999)), 'abc', 'ABC', 'a-b', 'a_b', 'abc123', 'ab-12'];
  return tries.find((t) => validateJsonSchema({ pattern, minLength: min, maxLength: max }, t).length === 0) ?? plain;
}

/**
 * A random value that conforms to `schema` (best effort for regular-expression patterns),
 * the same for the same generator state.
 *
 * @example
 * validValue({ type: 'integer', minimum: 1 }, new Prng(1)) // e.g. 42
 */
export function validValue(schema: JsonSchemaLike | undefined, rng: Prng, root: SchemaRoot = {}): unknown {
  for (let attempt = 0; attempt < 8; attempt++) {
    const value = generate(root, schema, rng, 0);
    if (attempt === 7 || validateJsonSchema(schema, value, root).length === 0) return value;
  }
  return null;
}

function lengthString(length: number): string {
  return 'x'.repeat(Math.max(0, length));
}

/**
 * Values at and just beyond the schema's edges, plus wrong types: each is later judged valid or
 * invalid by the schema itself, so the list may mix both.
 *
 * @example
 * edgeCandidates({ type: 'integer', minimum: 1 }).map((c) => c.value) // [0, -1, 1, ..., 1, 0, 'not-a-number', ...]
 */
export function edgeCandidates(schemaLike: JsonSchemaLike | undefined, root: SchemaRoot = {}): Candidate[] {
  const resolved = resolveSchema(root, schemaLike);
  if (typeof resolved !== 'object') return [];
  const schema = mergeAllOf(root, resolved);
  const branches = schema.anyOf ?? schema.oneOf;
  if (schemaTypes(schema).length === 0 && branches !== undefined && branches.length > 0) {
    // A union (`z.number().nullable()` is anyOf number/null): every branch's edges, once each.
    const seen = new Set<string>();
    return branches
      .flatMap((b) => edgeCandidates(b, root))
      .filter((c) => {
        const id = `${typeof c.value}:${JSON.stringify(c.value)}`;
        return !seen.has(id) && seen.add(id);
      });
  }
  const types = possibleTypes(root, schema);
  const kinds = types.length > 0 ? types : [inferType(schema)];
  const out: Candidate[] = [];
  for (const value of schema.enum ?? []) out.push({ label: `enum value ${JSON.stringify(value)}`, value });
  if (schema.enum !== undefined) out.push({ label: 'value outside the enum', value: 'not-in-enum' });
  if (kinds.includes('string')) {
    out.push({ label: 'empty string', value: '' });
    if (schema.minLength !== undefined && schema.minLength > 0) {
      out.push({ label: `minLength (${schema.minLength})`, value: lengthString(schema.minLength) });
      out.push({ label: `minLength - 1 (${schema.minLength - 1})`, value: lengthString(schema.minLength - 1) });
    }
    if (schema.maxLength !== undefined) {
      out.push({ label: `maxLength (${schema.maxLength})`, value: lengthString(schema.maxLength) });
      out.push({ label: `maxLength + 1 (${schema.maxLength + 1})`, value: lengthString(schema.maxLength + 1) });
    } else {
      out.push({ label: 'long string (10000 characters)', value: lengthString(10_000) });
    }
    out.push(...NASTY_STRINGS);
    if (schema.format !== undefined) out.push({ label: `not a ${schema.format}`, value: `not-a-${schema.format}` });
    if (schema.format === 'uuid') out.push({ label: 'nil uuid', value: '00000000-0000-0000-0000-000000000000' });
  }
  if (kinds.includes('integer') || kinds.includes('number')) {
    out.push({ label: 'zero', value: 0 }, { label: '-1', value: -1 }, { label: '1', value: 1 });
    const low = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : schema.minimum;
    const high = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : schema.maximum;
    if (low !== undefined) out.push({ label: `minimum (${low})`, value: low }, { label: `minimum - 1 (${low - 1})`, value: low - 1 });
    if (high !== undefined) out.push({ label: `maximum (${high})`, value: high }, { label: `maximum + 1 (${high + 1})`, value: high + 1 });
    out.push(...HUGE_INTEGERS);
    if (!kinds.includes('number')) out.push({ label: 'fraction', value: 1.5 });
    else out.push({ label: 'small fraction', value: 0.1 }, { label: 'tiny float', value: 5e-324 });
  }
  if (kinds.includes('array')) {
    out.push({ label: 'empty array', value: [] });
    if (schema.maxItems !== undefined)
      out.push({ label: `maxItems + 1 (${schema.maxItems + 1})`, value: Array(schema.maxItems + 1).fill(null) });
    out.push({ label: 'array of wrong items', value: [{ nested: [] }] });
  }
  if (kinds.includes('object')) out.push({ label: 'empty object', value: {} });
  for (const [type, value] of WRONG_TYPES) {
    const fits = kinds.includes(type) || (type === 'integer' && kinds.includes('number'));
    if (!fits) out.push({ label: `wrong type (${type})`, value });
  }
  return out;
}
