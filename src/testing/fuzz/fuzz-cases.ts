import { type JsonSchemaLike, possibleTypes, resolveSchema, type SchemaRoot } from './json-schema.js';
import { type FuzzOperation, type FuzzParameter, type OpenAPIDocumentLike, operationsOf } from './operations.js';
import { hashSeed, Prng } from './prng.js';
import { type Candidate, edgeCandidates, validValue } from './schema-values.js';
import { validateJsonSchema } from './validate-json-schema.js';

/** One HTTP request, as sent in process and as printed in the `curl` line. */
export interface FuzzRequest {
  readonly method: string;
  /** Path and query, percent-encoded. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/**
 * `valid`: a conforming request; `boundary`: an edge value the schema allows (or cannot judge);
 * `invalid`: a request the schema rejects, which the app should answer with a 4xx.
 */
export type FuzzCaseKind = 'valid' | 'boundary' | 'invalid';

/** A generated request and what the document says about it. */
export interface FuzzCase {
  /** `POST /users`. */
  readonly operation: string;
  /** Position in the operation's sequence (0 is the base valid request). */
  readonly index: number;
  readonly kind: FuzzCaseKind;
  /** What was changed: `body.name = "" (empty string)`. */
  readonly input: string;
  readonly request: FuzzRequest;
}

/** How many requests per operation, from which seed. */
export interface FuzzCaseOptions {
  readonly seed: number | string;
  /** Requests per operation (default 200). */
  readonly runs?: number;
}

type Validity = 'valid' | 'invalid' | 'unknown';

type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'raw'; readonly text: string; readonly contentType: string; readonly validity: Validity };

/** A request before encoding: raw parameter values by name (absent = not sent). */
interface Parts {
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly body: Body;
}

interface Mutation {
  /** Mutations of one field are interleaved with the others', so a small `runs` covers every field. */
  readonly field: string;
  readonly label: string;
  apply(parts: Parts): Parts;
}

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const EXTRA_WIRE: readonly Candidate[] = [
  { label: 'word', value: 'abc' },
  { label: 'leading space', value: ' 1' },
  { label: 'hexadecimal', value: '0x10' },
  { label: 'exponent', value: '1e3' },
  { label: 'percent sign', value: '%' },
];

function key(p: FuzzParameter): string {
  return `${p.in}.${p.name}`;
}

function isWellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false; // a lone surrogate cannot travel in a URL or a header
  }
}

/** What a wire string means for a schema; `null` when servers may fairly read it either way. */
function fromWire(root: SchemaRoot, schema: JsonSchemaLike, raw: string): { value: unknown } | null {
  const types = possibleTypes(root, schema);
  if (types.length === 0 || types.includes('string')) return { value: raw };
  if (types.includes('integer') && INTEGER.test(raw)) return { value: Number(raw) };
  if (types.includes('number') && NUMBER.test(raw)) return { value: Number(raw) };
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return { value: raw === 'true' };
  if (types.includes('null') && (raw === 'null' || raw === '')) return null; // null has no one spelling in a URL
  // ' 1', '01', '1.0' or '1e3' for an integer: lenient parsers accept them, strict ones do not.
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return null;
  return { value: raw };
}

function paramValidity(root: SchemaRoot, p: FuzzParameter, values: readonly string[] | undefined): Validity {
  if (values === undefined || values.length === 0) return p.required ? 'invalid' : 'valid';
  const resolved = resolveSchema(root, p.schema);
  const isArray = possibleTypes(root, p.schema).includes('array');
  const itemSchema = isArray && typeof resolved === 'object' ? (resolved.items ?? true) : p.schema;
  // The router keeps an encoded slash inside a segment: whether `a%2Fb` is one value is routing's call.
  if (p.in === 'path' && values.some((v) => v.includes('/'))) return 'unknown';
  const decoded: unknown[] = [];
  for (const raw of values) {
    const v = fromWire(root, itemSchema, raw);
    if (v === null) return 'unknown';
    decoded.push(v.value);
  }
  return validateJsonSchema(p.schema, isArray ? decoded : decoded[0], root).length === 0 ? 'valid' : 'invalid';
}

function bodyValidity(root: SchemaRoot, op: FuzzOperation, body: Body): Validity {
  if (op.body === undefined) return 'valid';
  if (body.kind === 'none') return op.body.required ? 'invalid' : 'valid';
  if (body.kind === 'raw') return body.validity;
  // Form fields arrive as strings: whether "12" is an integer is the app's reading, not ours.
  if (op.body.mediaType !== 'application/json') return 'unknown';
  return validateJsonSchema(op.body.schema, body.value, root).length === 0 ? 'valid' : 'invalid';
}

function classify(root: SchemaRoot, op: FuzzOperation, parts: Parts): FuzzCaseKind {
  const all: Validity[] = [...op.parameters.map((p) => paramValidity(root, p, parts.params[key(p)])), bodyValidity(root, op, parts.body)];
  if (all.includes('invalid')) return 'invalid';
  return all.includes('unknown') ? 'boundary' : 'valid';
}

function toWire(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)));
  return [typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)];
}

function randomParts(root: SchemaRoot, op: FuzzOperation, rng: Prng): Parts {
  const params: Record<string, readonly string[]> = {};
  for (const p of op.parameters) {
    if (!p.required && rng.chance(0.5)) continue;
    // A value may not survive the trip to text (null becomes "null"): draw again.
    let wire = toWire(validValue(p.schema, rng, root));
    for (let i = 0; i < 8 && paramValidity(root, p, wire) !== 'valid'; i++) wire = toWire(validValue(p.schema, rng, root));
    params[key(p)] = wire;
  }
  const body: Body =
    op.body === undefined || (!op.body.required && rng.chance(0.2))
      ? { kind: 'none' }
      : { kind: 'value', value: validValue(op.body.schema, rng, root) };
  return { params, body };
}

/** A random conforming request; a few draws when a pattern the generator cannot read spoils one. */
function validParts(root: SchemaRoot, op: FuzzOperation, rng: Prng): Parts {
  let parts = randomParts(root, op, rng);
  for (let i = 0; i < 10 && classify(root, op, parts) !== 'valid'; i++) parts = randomParts(root, op, rng);
  return parts;
}

function wireCandidates(root: SchemaRoot, p: FuzzParameter): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of [...edgeCandidates(p.schema, root), ...EXTRA_WIRE]) {
    if (typeof c.value === 'object' && c.value !== null) continue;
    const raw = c.value === null ? 'null' : String(c.value);
    if (seen.has(raw) || !isWellFormed(raw) || (p.in === 'header' && !PRINTABLE_ASCII.test(raw))) continue;
    // An empty segment reaches another route (`/items/` instead of `/items/{id}`), not this one.
    if (p.in === 'path' && raw === '') continue;
    seen.add(raw);
    out.push({ label: c.label, value: raw });
  }
  return out;
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function withParam(parts: Parts, k: string, values: readonly string[] | undefined): Parts {
  const params = { ...parts.params };
  if (values === undefined) delete params[k];
  else params[k] = values;
  return { ...parts, params };
}

function setAt(value: unknown, path: readonly string[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  const [head = '', ...rest] = path;
  const obj = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
  if (rest.length === 0 && remove) delete obj[head];
  else obj[head] = setAt(obj[head], rest, replacement, remove);
  return obj;
}

function bodyFieldMutations(root: SchemaRoot, schema: JsonSchemaLike, path: readonly string[], depth: number, out: Mutation[]): void {
  const resolved = resolveSchema(root, schema);
  if (typeof resolved !== 'object' || resolved.properties === undefined) return;
  const required = new Set(resolved.required ?? []);
  for (const [name, sub] of Object.entries(resolved.properties)) {
    const at = [...path, name];
    const field = `body.${at.join('.')}`;
    for (const c of edgeCandidates(sub, root)) {
      out.push({
        field,
        label: `${field} = ${short(c.value)} (${c.label})`,
        apply: (p) => ({ ...p, body: { kind: 'value', value: setAt(bodyValue(p), at, c.value, false) } }),
      });
    }
    out.push({
      field,
      label: `${required.has(name) ? 'missing required' : 'without optional'} ${field}`,
      apply: (p) => ({ ...p, body: { kind: 'value', value: setAt(bodyValue(p), at, undefined, true) } }),
    });
    if (depth < 2) bodyFieldMutations(root, sub, at, depth + 1, out);
  }
  const field = path.length === 0 ? 'body' : `body.${path.join('.')}`;
  out.push({
    field: `${field}.*`,
    label: `extra field ${field}.__fuzz`,
    apply: (p) => ({ ...p, body: { kind: 'value', value: setAt(bodyValue(p), [...path, '__fuzz'], 'x', false) } }),
  });
}

function bodyValue(parts: Parts): unknown {
  return parts.body.kind === 'value' ? parts.body.value : {};
}

function mutationsOf(root: SchemaRoot, op: FuzzOperation): Mutation[] {
  const out: Mutation[] = [];
  for (const p of op.parameters) {
    const k = key(p);
    for (const c of wireCandidates(root, p)) {
      const raw = c.value as string;
      out.push({ field: k, label: `${k} = ${short(raw)} (${c.label})`, apply: (parts) => withParam(parts, k, [raw]) });
    }
    if (p.in !== 'path')
      out.push({
        field: k,
        label: `${p.required ? 'missing required' : 'without optional'} ${k}`,
        apply: (parts) => withParam(parts, k, undefined),
      });
  }
  const body = op.body;
  if (body === undefined) return out;
  if (body.mediaType === 'application/json') {
    const raw = (label: string, text: string, contentType: string, validity: Validity): Mutation => ({
      field: 'body',
      label,
      apply: (p) => ({ ...p, body: { kind: 'raw', text, contentType, validity } }),
    });
    out.push(raw('malformed JSON body', '{"unterminated": ', 'application/json', 'invalid'));
    out.push(raw('empty JSON body', '', 'application/json', body.required ? 'invalid' : 'unknown'));
    out.push(raw('JSON body with a text/plain content type', '{}', 'text/plain', 'invalid'));
    out.push(raw('deeply nested JSON body', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json', 'unknown'));
  }
  out.push({
    field: 'body',
    label: `${body.required ? 'missing required' : 'without optional'} body`,
    apply: (p) => ({ ...p, body: { kind: 'none' } }),
  });
  for (const c of edgeCandidates(body.schema, root)) {
    out.push({
      field: 'body',
      label: `body = ${short(c.value)} (${c.label})`,
      apply: (p) => ({ ...p, body: { kind: 'value', value: c.value } }),
    });
  }
  bodyFieldMutations(root, body.schema, [], 0, out);
  return out;
}

/** Round-robin over fields, so that the first N mutations touch every field. */
function interleave(mutations: readonly Mutation[]): Mutation[] {
  const byField = new Map<string, Mutation[]>();
  for (const m of mutations) {
    let list = byField.get(m.field);
    if (list === undefined) byField.set(m.field, (list = []));
    list.push(m);
  }
  const lists = [...byField.values()];
  const out: Mutation[] = [];
  for (let i = 0; out.length < mutations.length; i++) {
    for (const list of lists) {
      const m = list[i];
      if (m !== undefined) out.push(m);
    }
  }
  return out;
}

function encodeForm(value: unknown): string {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(typeof value === 'object' && value !== null ? value : { value })) {
    for (const item of toWire(v)) pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(item)}`);
  }
  return pairs.join('&');
}

function encode(op: FuzzOperation, parts: Parts, extraHeaders: Readonly<Record<string, string>>): FuzzRequest {
  let url = op.path;
  const query: string[] = [];
  const headers: Record<string, string> = { ...extraHeaders };
  for (const p of op.parameters) {
    const values = parts.params[key(p)];
    if (values === undefined) continue;
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(values[0] ?? ''));
    else if (p.in === 'query') for (const v of values) query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(v)}`);
    else headers[p.name.toLowerCase()] = values.join(', ');
  }
  if (query.length > 0) url += `?${query.join('&')}`;
  let body: string | undefined;
  if (parts.body.kind === 'raw') {
    body = parts.body.text;
    headers['content-type'] = parts.body.contentType;
  } else if (parts.body.kind === 'value' && op.body !== undefined) {
    body = op.body.mediaType === 'application/json' ? (JSON.stringify(parts.body.value) ?? 'null') : encodeForm(parts.body.value);
    headers['content-type'] = op.body.mediaType;
  }
  return { method: op.method, url, headers, body };
}

/**
 * The requests for one operation: a valid base request, then every boundary and invalid
 * mutation of it (interleaved across fields), then random valid requests, some with one random
 * mutation — `runs` in all, the same for the same seed.
 *
 * @example
 * casesForOperation(operationsOf(doc)[0], doc, { seed: 1, runs: 50 })
 */
export function casesForOperation(
  op: FuzzOperation,
  root: SchemaRoot,
  options: FuzzCaseOptions,
  headers: Readonly<Record<string, string>> = {},
): FuzzCase[] {
  const runs = options.runs ?? 200;
  const rng = new Prng(hashSeed(options.seed)).fork(op.id);
  const base = validParts(root, op, rng);
  const out: FuzzCase[] = [];
  const push = (input: string, parts: Parts): void => {
    out.push({ operation: op.id, index: out.length, kind: classify(root, op, parts), input, request: encode(op, parts, headers) });
  };
  if (runs <= 0) return out;
  push('valid request', base);
  const mutations = interleave(mutationsOf(root, op));
  for (const m of mutations) {
    if (out.length >= runs) return out;
    push(m.label, m.apply(base));
  }
  while (out.length < runs) {
    const fresh = validParts(root, op, rng);
    if (mutations.length > 0 && rng.chance(0.5)) {
      const m = rng.pick(mutations);
      push(`random request, ${m.label}`, m.apply(fresh));
    } else {
      push('random valid request', fresh);
    }
  }
  return out;
}

/**
 * Every request a fuzz run sends, operation by operation: deterministic for a seed (the
 * determinism tests compare two calls).
 *
 * @example
 * fuzzCases(app.openapi(), { seed: 7, runs: 20 }).length // 20 per operation
 */
export function fuzzCases(doc: OpenAPIDocumentLike, options: FuzzCaseOptions): FuzzCase[] {
  return operationsOf(doc).flatMap((op) => casesForOperation(op, doc, options));
}
