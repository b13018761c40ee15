import { CovetError } from './errors.js';
import { charLength } from './internal/chars.js';
import { addFieldError } from './internal/field-errors.js';
import type { SchemaIssue, SchemaResult, StandardSchemaV1 } from './schema.js';
import type { Simplify } from './types.js';
import { ValidationError } from './validation-error.js';

/** Value types a rule may require. `float` is the same as `number`; `any` checks nothing. */
export type FieldType = 'string' | 'integer' | 'number' | 'float' | 'boolean' | 'object' | 'array' | 'any';

/**
 * A custom check: return `true`/`undefined` when the value is fine, a message (or `false`
 * for "Is invalid") when it is not. `data` is the object holding the field.
 */
export type CustomCheck = (value: unknown, data: Readonly<Record<string, unknown>>) => unknown;

/**
 * The rules of one field, as in the seed (`{"required": True, "max_length": 100}` is
 * `{ required: true, maxLength: 100 }`). Without `type`, the constraints imply it:
 * `minLength`/`maxLength`/`pattern`/`email`/`url` mean a string, `min`/`max` a number,
 * `fields` an object, `items` an array.
 */
export interface FieldRule {
  /** The field must be present and not `null`. Default `false`. */
  readonly required?: boolean;
  readonly type?: FieldType;
  /** `null` is an accepted value. Default `false`. */
  readonly nullable?: boolean;
  /** Used when the field is missing (not validated). */
  readonly default?: unknown;
  /** Smallest / largest number. */
  readonly min?: number;
  readonly max?: number;
  /** Shortest / longest string (UTF-16 units) or array. */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** A regular expression the whole string must match (anchor it yourself with `^…$`). */
  readonly pattern?: string | RegExp;
  readonly email?: boolean;
  /** An absolute `http:`/`https:` URL (or the schemes listed). */
  readonly url?: boolean | { readonly protocols: readonly string[] };
  /** The value must be one of these. */
  readonly enum?: readonly (string | number | boolean | null)[];
  /** Rules of a nested object's fields. */
  readonly fields?: Rules;
  /** The rule every array item must pass. */
  readonly items?: FieldRule;
  readonly custom?: CustomCheck | readonly CustomCheck[];
  /**
   * Convert strings to the declared type (`"42"` → 42, `"true"` → true). Default: the call's
   * `coerce` (`validate(data, { coerce })`), else the validator's.
   */
  readonly coerce?: boolean;
}

/** A rule dict: field name → rules. */
export type Rules = { readonly [field: string]: FieldRule };

/**
 * Options of one `validate(data, options)` / `check(data, options)` call; each overrides the
 * validator's own for that call. A field's own `coerce` rule still wins.
 *
 * @example
 * validator.validate(Object.fromEntries(new URLSearchParams('age=42')), { coerce: true }) // { age: 42 }
 */
export interface ValidateOptions {
  /** Convert strings to declared types for this call. Default: the validator's `coerce`. */
  readonly coerce?: boolean;
  /** Unknown fields are errors for this call. Default: the validator's `strict`. */
  readonly strict?: boolean;
}

/** Options of `Validator`. */
export interface ValidatorOptions {
  /** Convert strings to declared types (query strings, form fields). Default `false`. */
  readonly coerce?: boolean;
  /** Unknown fields are errors instead of being dropped. Default `false`. */
  readonly strict?: boolean;
  /** Deepest nesting of objects/arrays walked (rules may be recursive). Default 32. */
  readonly maxDepth?: number;
  /** Validation stops after this many messages. Default 100. */
  readonly maxErrors?: number;
}

// ---------------------------------------------------------------------------- output types

type Num = { readonly type: 'integer' | 'number' | 'float' } | { readonly min: number } | { readonly max: number };
type Str =
  | { readonly email: true }
  | { readonly url: true | object }
  | { readonly pattern: string | RegExp }
  | { readonly minLength: number }
  | { readonly maxLength: number };

type BaseOutput<R> = R extends { readonly enum: readonly (infer E)[] }
  ? E
  : R extends { readonly type: 'string' }
    ? string
    : R extends { readonly type: 'boolean' }
      ? boolean
      : R extends { readonly type: 'integer' | 'number' | 'float' }
        ? number
        : R extends { readonly fields: infer F extends Rules }
          ? RulesOutput<F>
          : R extends { readonly type: 'object' }
            ? Record<string, unknown>
            : R extends { readonly items: infer I }
              ? FieldOutput<I>[]
              : R extends { readonly type: 'array' }
                ? unknown[]
                : R extends { readonly type: 'any' }
                  ? unknown
                  : R extends Str
                    ? string
                    : R extends Num
                      ? number
                      : unknown;

/** The validated type of one field rule. */
export type FieldOutput<R> = BaseOutput<R> | (R extends { readonly nullable: true } ? null : never);

type PresentKeys<R> = {
  [K in keyof R]: R[K] extends { readonly required: true }
    ? K
    : R[K] extends { readonly default: infer D }
      ? undefined extends D
        ? never
        : K
      : never;
}[keyof R];

/**
 * The type `validate` returns for a rule dict: required fields (and fields with a default)
 * are present, the others optional.
 *
 * @example
 * type User = RulesOutput<{ name: { required: true; maxLength: 100 }; age: { type: 'integer' } }> // { name: string; age?: number }
 */
export type RulesOutput<R> = Simplify<
  { -readonly [K in PresentKeys<R>]: FieldOutput<R[K]> } & { -readonly [K in Exclude<keyof R, PresentKeys<R>>]?: FieldOutput<R[K]> }
>;

// ---------------------------------------------------------------------------- compiled rules

type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'any';

interface Node {
  readonly required: boolean;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly kind: Kind;
  /** The field's own `coerce` rule; `undefined` follows the call's (or the validator's) setting. */
  readonly coerce: boolean | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly minLength: number | undefined;
  readonly maxLength: number | undefined;
  readonly pattern: RegExp | undefined;
  readonly email: boolean;
  readonly url: readonly string[] | undefined;
  readonly enumValues: readonly unknown[] | undefined;
  fields: ReadonlyMap<string, Node> | undefined;
  items: Node | undefined;
  readonly custom: readonly CustomCheck[];
}

const RULE_KEYS = new Set([
  'required',
  'type',
  'nullable',
  'default',
  'min',
  'max',
  'minLength',
  'maxLength',
  'pattern',
  'email',
  'url',
  'enum',
  'fields',
  'items',
  'custom',
  'coerce',
]);
const TYPES: Readonly<Record<FieldType, Kind>> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  float: 'number',
  boolean: 'boolean',
  object: 'object',
  array: 'array',
  any: 'any',
};
/**
 * A string's length in characters (Unicode code points), as JSON Schema's `minLength`/`maxLength`
 * and Python's `len()` count them: `"😀"` is 1, not its 2 UTF-16 units. Counted only when the
 * UTF-16 length cannot decide: it is never less than the code points, nor more than twice them.
 */
function stringLength(value: string, min: number | undefined, max: number | undefined): number {
  const units = value.length;
  const needed = (max !== undefined && units > max) || (min !== undefined && units >= min && units < 2 * min);
  return needed ? charLength(value) : units;
}

const SNAKE_HINTS: Readonly<Record<string, string>> = { max_length: 'maxLength', min_length: 'minLength' };

function ruleError(path: string, message: string): CovetError {
  return new CovetError(`Validator rule for "${path}": ${message}`, { code: 'ERR_VALIDATOR_RULES' });
}

function impliedKind(rule: FieldRule): Kind {
  if (rule.type !== undefined) return TYPES[rule.type];
  if (rule.fields !== undefined) return 'object';
  if (rule.items !== undefined) return 'array';
  if (rule.email || rule.url || rule.pattern !== undefined || rule.minLength !== undefined || rule.maxLength !== undefined) return 'string';
  if (rule.min !== undefined || rule.max !== undefined) return 'number';
  return 'any';
}

function finiteOrUndefined(path: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw ruleError(path, `${name} must be a number`);
  return value;
}

/** Compiles rules once; a rule object met again (recursive rules) reuses its node. */
function compileFields(rules: Rules, prefix: string, seen: Map<object, Node>): Map<string, Node> {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules))
    throw ruleError(prefix || '_root', 'rules must be an object of field rules');
  const out = new Map<string, Node>();
  for (const [name, rule] of Object.entries(rules)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (name === '__proto__') throw ruleError(path, 'the field name __proto__ is not allowed');
    out.set(name, compileRule(rule, path, seen));
  }
  return out;
}

function compileRule(rule: FieldRule, path: string, seen: Map<object, Node>): Node {
  if (typeof rule !== 'object' || rule === null) throw ruleError(path, 'a rule must be an object');
  const known = seen.get(rule);
  if (known !== undefined) return known;
  for (const key of Object.keys(rule)) {
    if (!RULE_KEYS.has(key))
      throw ruleError(path, `unknown rule "${key}"${SNAKE_HINTS[key] ? ` (did you mean "${SNAKE_HINTS[key]}"?)` : ''}`);
  }
  if (rule.type !== undefined && !Object.hasOwn(TYPES, rule.type)) throw ruleError(path, `unknown type "${String(rule.type)}"`);
  let pattern: RegExp | undefined;
  if (rule.pattern !== undefined) {
    try {
      // A global or sticky RegExp keeps `lastIndex` between tests: drop those flags.
      pattern =
        typeof rule.pattern === 'string'
          ? new RegExp(rule.pattern)
          : new RegExp(rule.pattern.source, rule.pattern.flags.replace(/[gy]/g, ''));
    } catch (err) {
      throw ruleError(path, `invalid pattern: ${(err as Error).message}`);
    }
  }
  const custom = rule.custom === undefined ? [] : typeof rule.custom === 'function' ? [rule.custom] : [...rule.custom];
  if (custom.some((fn) => typeof fn !== 'function')) throw ruleError(path, 'custom must be a function or an array of functions');
  if (rule.enum !== undefined && !Array.isArray(rule.enum)) throw ruleError(path, 'enum must be an array');
  const url =
    rule.url === undefined || rule.url === false
      ? undefined
      : rule.url === true
        ? ['http:', 'https:']
        : rule.url.protocols.map((p) => (p.endsWith(':') ? p : `${p}:`));
  const node: Node = {
    required: rule.required === true,
    nullable: rule.nullable === true,
    hasDefault: rule.default !== undefined,
    defaultValue: rule.default,
    kind: impliedKind(rule),
    coerce: rule.coerce,
    min: finiteOrUndefined(path, 'min', rule.min),
    max: finiteOrUndefined(path, 'max', rule.max),
    minLength: finiteOrUndefined(path, 'minLength', rule.minLength),
    maxLength: finiteOrUndefined(path, 'maxLength', rule.maxLength),
    pattern,
    email: rule.email === true,
    url,
    enumValues: rule.enum,
    fields: undefined,
    items: undefined,
    custom,
  };
  seen.set(rule, node);
  if (rule.fields !== undefined) node.fields = compileFields(rule.fields, path, seen);
  if (rule.items !== undefined) node.items = compileRule(rule.items, `${path}[]`, seen);
  return node;
}

// ---------------------------------------------------------------------------- built-in formats

// Each pattern is linear: no nested or adjacent overlapping quantifiers, and inputs are
// length-capped before any pattern runs (tests feed them adversarial strings).
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const URL_FORBIDDEN = /[\s\u0000-\u001f\u007f]/;

/**
 * RFC 5321-sized addresses with an ASCII dot-atom local part and a DNS domain (linear time).
 *
 * @example
 * isEmail('ann@example.com') // true
 */
export function isEmail(value: string): boolean {
  if (value.length > 254) return false;
  const at = value.lastIndexOf('@');
  if (at < 1 || at > 64) return false;
  const local = value.slice(0, at);
  if (!EMAIL_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  const labels = value.slice(at + 1).split('.');
  if (labels.length < 2) return false;
  for (const label of labels) if (!DNS_LABEL.test(label)) return false;
  return !ALL_DIGITS.test(labels[labels.length - 1] as string);
}

/**
 * An absolute URL with a host, of one of `protocols`, at most 2048 characters, no whitespace.
 *
 * @example
 * isUrl('https://example.com/a') // true; isUrl('javascript:alert(1)') // false
 */
export function isUrl(value: string, protocols: readonly string[] = ['http:', 'https:']): boolean {
  if (value.length > 2048 || URL_FORBIDDEN.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return protocols.includes(url.protocol) && (url.hostname !== '' || !['http:', 'https:', 'ws:', 'wss:', 'ftp:'].includes(url.protocol));
}

// ---------------------------------------------------------------------------- coercion

const NUMERIC_START = /^[+-]?(?:[0-9]|\.[0-9])/;
const INTEGER_TEXT = /^[+-]?[0-9]{1,16}$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

function coerceTo(kind: Kind, value: unknown): unknown {
  switch (kind) {
    case 'string':
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    case 'integer':
      return typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value;
    case 'number': {
      if (typeof value !== 'string' || value.length > 64 || !NUMERIC_START.test(value) || /[^0-9eE.+-]/.test(value)) return value;
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    case 'boolean': {
      if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
      if (typeof value !== 'string') return value;
      const word = value.toLowerCase();
      return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
    }
    default:
      return value;
  }
}

// ---------------------------------------------------------------------------- JSON Schema

const JSON_TYPES: Readonly<Record<Kind, string | undefined>> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  object: 'object',
  array: 'array',
  any: undefined,
};

function fieldsSchema(fields: ReadonlyMap<string, Node>, strict: boolean, seen: Set<Node>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, node] of fields) {
    properties[name] = nodeSchema(node, strict, seen);
    if (node.required) required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), ...(strict ? { additionalProperties: false } : {}) };
}

// Custom checks have no JSON Schema form; they are left out (the schema is then looser).
function nodeSchema(node: Node, strict: boolean, seen: Set<Node>): Record<string, unknown> {
  if (seen.has(node)) return {}; // a recursive rule: described as "any" below the first level
  seen.add(node);
  const type = JSON_TYPES[node.kind];
  let out: Record<string, unknown> = {};
  if (node.kind === 'object' && node.fields !== undefined) out = fieldsSchema(node.fields, strict, seen);
  else if (type !== undefined) out.type = node.nullable ? [type, 'null'] : type;
  if (node.kind === 'object' && node.fields !== undefined && node.nullable) out.type = ['object', 'null'];
  if (node.items !== undefined) out.items = nodeSchema(node.items, strict, seen);
  if (node.min !== undefined) out.minimum = node.min;
  if (node.max !== undefined) out.maximum = node.max;
  const many = node.kind === 'array';
  if (node.minLength !== undefined) out[many ? 'minItems' : 'minLength'] = node.minLength;
  if (node.maxLength !== undefined) out[many ? 'maxItems' : 'maxLength'] = node.maxLength;
  if (node.pattern !== undefined) out.pattern = node.pattern.source;
  if (node.email) out.format = 'email';
  if (node.url !== undefined) out.format = 'uri';
  if (node.enumValues !== undefined)
    out.enum = node.nullable && !node.enumValues.includes(null) ? [...node.enumValues, null] : [...node.enumValues];
  if (node.hasDefault) out.default = node.defaultValue;
  seen.delete(node);
  return out;
}

// ---------------------------------------------------------------------------- validation

const TYPE_MESSAGES: Readonly<Record<Kind, string>> = {
  string: 'Must be a string',
  integer: 'Must be an integer',
  number: 'Must be a number',
  boolean: 'Must be a boolean',
  object: 'Must be an object',
  array: 'Must be an array',
  any: '',
};

const STOP = Symbol('covet.validator.stop');

class Run {
  readonly errors: Record<string, string[]> = {};
  readonly issues: SchemaIssue[] = [];
  count = 0;
  readonly maxErrors: number;
  readonly maxDepth: number;
  readonly strict: boolean;
  /** Whether fields without their own `coerce` rule convert strings. */
  readonly coerce: boolean;

  constructor(maxErrors: number, maxDepth: number, strict: boolean, coerce: boolean) {
    this.maxErrors = maxErrors;
    this.maxDepth = maxDepth;
    this.strict = strict;
    this.coerce = coerce;
  }

  add(path: readonly (string | number)[], message: string): void {
    const key = path.length === 0 ? '_root' : path.join('.');
    addFieldError(this.errors, key, message);
    this.issues.push({ message, path: [...path] });
    if (++this.count >= this.maxErrors) throw STOP;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeMatches(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    default:
      return true;
  }
}

function checkFields(
  fields: ReadonlyMap<string, Node>,
  data: Record<string, unknown>,
  path: (string | number)[],
  run: Run,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of fields) {
    const present = Object.hasOwn(data, name) && data[name] !== undefined;
    path.push(name);
    if (!present) {
      if (node.hasDefault)
        out[name] =
          typeof node.defaultValue === 'object' && node.defaultValue !== null ? structuredClone(node.defaultValue) : node.defaultValue;
      else if (node.required) run.add(path, 'This field is required');
    } else {
      const value = checkValue(node, data[name], data, path, run, depth);
      if (value !== INVALID) out[name] = value;
    }
    path.pop();
  }
  if (run.strict) {
    for (const name of Object.keys(data)) {
      if (!fields.has(name)) {
        path.push(name);
        run.add(path, 'Unknown field');
        path.pop();
      }
    }
  }
  return out;
}

const INVALID = Symbol('covet.validator.invalid');

/** `Must be at least 3 characters` / `Must have at most 1 item`. */
function lengthMessage(bound: 'at least' | 'at most', n: number, value: string | readonly unknown[]): string {
  const plural = n === 1 ? '' : 's';
  return typeof value === 'string' ? `Must be ${bound} ${n} character${plural}` : `Must have ${bound} ${n} item${plural}`;
}

function checkValue(
  node: Node,
  raw: unknown,
  parent: Record<string, unknown>,
  path: (string | number)[],
  run: Run,
  depth: number,
): unknown {
  if (raw === null) {
    if (node.nullable) return null;
    run.add(path, node.required ? 'This field is required' : 'This field may not be null');
    return INVALID;
  }
  const value = (node.coerce ?? run.coerce) ? coerceTo(node.kind, raw) : raw;
  if (!typeMatches(node.kind, value)) {
    run.add(path, TYPE_MESSAGES[node.kind]);
    return INVALID;
  }
  const before = run.count;
  let tooLong = false;
  if (typeof value === 'number') {
    if (node.min !== undefined && value < node.min) run.add(path, `Must be at least ${node.min}`);
    if (node.max !== undefined && value > node.max) run.add(path, `Must be at most ${node.max}`);
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    const length = typeof value === 'string' ? stringLength(value, node.minLength, node.maxLength) : value.length;
    if (node.minLength !== undefined && length < node.minLength) run.add(path, lengthMessage('at least', node.minLength, value));
    if (node.maxLength !== undefined && length > node.maxLength) {
      tooLong = true;
      run.add(path, lengthMessage('at most', node.maxLength, value));
    }
  }
  // A string over maxLength is not matched any further: the bound protects the pattern.
  if (typeof value === 'string' && !tooLong) {
    if (node.pattern !== undefined && !node.pattern.test(value)) run.add(path, 'Does not match the required pattern');
    if (node.email && !isEmail(value)) run.add(path, 'Must be a valid email address');
    if (node.url !== undefined && !isUrl(value, node.url)) run.add(path, 'Must be a valid URL');
  }
  if (node.enumValues !== undefined && !node.enumValues.includes(value as string)) {
    run.add(path, `Must be one of: ${node.enumValues.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  let out: unknown = value;
  if (run.count === before && (node.fields !== undefined || node.items !== undefined)) {
    if (depth >= run.maxDepth) {
      run.add(path, 'Is nested too deeply');
      return INVALID;
    }
    if (node.fields !== undefined && isRecord(value)) out = checkFields(node.fields, value, path, run, depth + 1);
    else if (node.items !== undefined && Array.isArray(value)) {
      const items = node.items;
      const list: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const item = value[i];
        list[i] =
          item === undefined
            ? checkValue(items, null, parent, path, run, depth + 1)
            : checkValue(items, item, parent, path, run, depth + 1);
        path.pop();
      }
      out = list;
    }
  }
  if (run.count === before) {
    for (const check of node.custom) {
      const verdict = check(out, parent);
      if (verdict === false) run.add(path, 'Is invalid');
      else if (typeof verdict === 'string') run.add(path, verdict);
    }
  }
  return run.count === before ? out : INVALID;
}

/**
 * Validates data against a rule dict (the seed's `Validator`). `validate(data)` returns a new
 * object with the declared fields only, or throws `ValidationError` (`errors` is
 * `{ field: [messages] }`). It implements Standard Schema v1, so it can be a route's `body`
 * or `query` schema, with the validated type flowing into the handler.
 *
 * @example
 * const validator = new Validator({ name: { required: true, maxLength: 100 }, email: { required: true, email: true }, age: { type: 'integer', min: 0, max: 150 } });
 * const user = validator.validate(await req.json()); // { name: string; email: string; age?: number }
 * app.post('/users', { body: validator }, async (req) => (await req.json()).name);
 */
export class Validator<const R extends Rules = Rules> implements StandardSchemaV1<RulesOutput<R>, RulesOutput<R>> {
  /** The rule dict, as given. */
  readonly rules: R;
  readonly #fields: ReadonlyMap<string, Node>;
  readonly #maxErrors: number;
  readonly #maxDepth: number;
  readonly #strict: boolean;
  readonly #coerce: boolean;

  /**
   * Standard Schema v1 (a route's `body`/`query`/`response` schema) with the Standard JSON
   * Schema converter (`jsonSchema.input`/`output`), which `app.openapi()` reads.
   */
  readonly '~standard': StandardSchemaV1<RulesOutput<R>, RulesOutput<R>>['~standard'] & {
    readonly jsonSchema: {
      readonly input: (options?: object) => Record<string, unknown>;
      readonly output: (options?: object) => Record<string, unknown>;
    };
  };

  constructor(rules: R, options: ValidatorOptions = {}) {
    this.rules = rules;
    this.#fields = compileFields(rules, '', new Map());
    this.#coerce = options.coerce ?? false;
    this.#maxErrors = options.maxErrors ?? 100;
    this.#maxDepth = Math.min(options.maxDepth ?? 32, 1000);
    this.#strict = options.strict ?? false;
    if (!Number.isInteger(this.#maxErrors) || this.#maxErrors < 1)
      throw new CovetError('maxErrors must be a positive integer', { code: 'ERR_VALIDATOR_RULES' });
    const jsonSchema = (): Record<string, unknown> => this.toJSONSchema();
    this['~standard'] = {
      version: 1,
      vendor: 'covet',
      validate: (value) => this.#standard(value),
      jsonSchema: { input: jsonSchema, output: jsonSchema },
    };
  }

  /**
   * The rules as a JSON Schema (draft 2020-12) object: types, `required`, bounds, `pattern`,
   * `format` (`email`, `uri`), `enum`, `default`, nested `fields` and `items`. Custom checks
   * have no JSON Schema form and are left out.
   *
   * @example
   * new Validator({ name: { required: true, maxLength: 100 } }).toJSONSchema() // { type: 'object', properties: { name: { type: 'string', maxLength: 100 } }, required: ['name'] }
   */
  toJSONSchema(): Record<string, unknown> {
    return fieldsSchema(this.#fields, this.#strict, new Set());
  }

  /**
   * The same as `new Validator(rules, options)`, for reading well as a route option.
   *
   * @example
   * app.get('/search', { query: Validator.schema({ q: { required: true }, limit: { type: 'integer', max: 100 } }, { coerce: true }) }, (req) => req.query.limit)
   */
  static schema<const S extends Rules>(rules: S, options?: ValidatorOptions): Validator<S> {
    return new Validator(rules, options);
  }

  /**
   * Validates `data`; returns the declared fields only, or throws `ValidationError`. `options`
   * set `coerce`/`strict` for this call only.
   *
   * @example
   * validator.validate({ name: 'Ann', email: 'ann@example.com', age: '42' }, { coerce: true }) // age: 42
   */
  validate(data: unknown, options?: ValidateOptions): RulesOutput<R> {
    const result = this.#run(data, options);
    if (result.run.count > 0) throw new ValidationError(result.run.errors, result.run.issues);
    return result.value as RulesOutput<R>;
  }

  /** Like `validate`, without throwing: `{ value }` or `{ errors }`. */
  check(
    data: unknown,
    options?: ValidateOptions,
  ): { readonly value: RulesOutput<R>; readonly errors?: undefined } | { readonly errors: Readonly<Record<string, readonly string[]>> } {
    const result = this.#run(data, options);
    return result.run.count > 0 ? { errors: result.run.errors } : { value: result.value as RulesOutput<R> };
  }

  #standard(data: unknown): SchemaResult<RulesOutput<R>> {
    const result = this.#run(data);
    return result.run.count > 0 ? { issues: result.run.issues } : { value: result.value as RulesOutput<R> };
  }

  #run(data: unknown, options?: ValidateOptions): { run: Run; value: unknown } {
    const run = new Run(this.#maxErrors, this.#maxDepth, options?.strict ?? this.#strict, options?.coerce ?? this.#coerce);
    let value: unknown;
    try {
      if (!isRecord(data)) run.add([], 'Must be an object');
      else value = checkFields(this.#fields, data, [], run, 0);
    } catch (err) {
      if (err !== STOP) throw err;
    }
    return { run, value };
  }
}
