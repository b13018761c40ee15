import { HTTPException } from './errors.js';
import { addFieldError } from './internal/field-errors.js';
import type { Rules, RulesOutput } from './validator.js';

/** One problem found by a schema (Standard Schema v1). */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** The result of a Standard Schema validation. */
export type SchemaResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly SchemaIssue[] };

/**
 * The Standard Schema v1 interface (standardschema.dev), implemented by Zod, Valibot, ArkType
 * and Covet's own `Validator`. The core speaks only this to validate route input.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The validated type a schema (or a `Validator` rule dict) produces (`Fallback` when there is none). */
export type SchemaOutput<S, Fallback = unknown> =
  S extends StandardSchemaV1<unknown, infer O> ? O : S extends Rules ? RulesOutput<S> : Fallback;

/** True for values implementing Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const std = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

function issueKey(issue: SchemaIssue, root: string): string {
  if (!issue.path || issue.path.length === 0) return root;
  return issue.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

/** The parameter an issue is about (the first segment of its path), if any. */
function issueRoot(issue: SchemaIssue): string | undefined {
  const first = issue.path?.[0];
  if (first === undefined) return undefined;
  return String(typeof first === 'object' ? first.key : first);
}

function failed(issues: readonly SchemaIssue[], root: string): HTTPException {
  const errors: Record<string, string[]> = {};
  for (const issue of issues) addFieldError(errors, issueKey(issue, root), issue.message);
  return new HTTPException(400, 'Validation failed', { code: 'ERR_VALIDATION', body: { errors } });
}

async function run<S extends StandardSchemaV1>(schema: S, value: unknown): Promise<SchemaResult<SchemaOutput<S>>> {
  const result = schema['~standard'].validate(value);
  return (result instanceof Promise ? await result : result) as SchemaResult<SchemaOutput<S>>;
}

/** What `validateQuery` needs of the query: first values, every value of a name. */
interface QueryValues {
  toObject(): Record<string, string>;
  getAll(name: string): string[];
  has(name: string): boolean;
}

/**
 * Validates a query string's parameters: each as its first value (`?page=2`), and — when the
 * schema refuses a parameter given as one string — once more with that parameter as the list
 * of all its values, so an array schema takes `?tags=a&tags=b` (and `?tags=a`), as FastAPI's
 * `List[str]` query parameters do. The errors are about the parameters as the schema takes them.
 *
 * @example
 * const q = await validateQuery(z.object({ tags: z.array(z.string()) }), req.queryParams) // { tags: ['a', 'b'] }
 */
export async function validateQuery<S extends StandardSchemaV1>(schema: S, params: QueryValues): Promise<SchemaOutput<S>> {
  const first = params.toObject();
  const result = await run(schema, first);
  if (result.issues === undefined) return result.value;
  const lists = new Set<string>();
  for (const issue of result.issues) {
    const name = issueRoot(issue);
    if (name !== undefined && params.has(name)) lists.add(name);
  }
  if (lists.size === 0) throw failed(result.issues, 'query');
  const withLists = (names: Iterable<string>): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = Object.assign(Object.create(null) as Record<string, string>, first);
    for (const name of names) out[name] = params.getAll(name);
    return out;
  };
  const retry = await run(schema, withLists(lists));
  if (retry.issues === undefined) return retry.value;
  // A parameter the schema took as a list (no issue about the list as a whole; its items may
  // still be wrong) is a list; the others keep their first value, and their errors are about
  // it (not "expected a string, got an array").
  const refused = new Set(retry.issues.filter((issue) => issue.path?.length === 1).map(issueRoot));
  const fixed = [...lists].filter((name) => !refused.has(name));
  if (fixed.length === 0) throw failed(result.issues, 'query');
  if (fixed.length === lists.size) throw failed(retry.issues, 'query');
  const mixed = await run(schema, withLists(fixed));
  if (mixed.issues === undefined) return mixed.value;
  throw failed(mixed.issues, 'query');
}

/**
 * Validates `value`; on failure throws 400 `{"errors": {field: [messages]}}` where `field` is
 * the dotted path of the problem (`root` for the value as a whole: `body` or `query`).
 *
 * @example
 * const data = await validate(UserSchema, await req.json(), 'body')
 */
export async function validate<S extends StandardSchemaV1>(schema: S, value: unknown, root: string): Promise<SchemaOutput<S>> {
  const result = await run(schema, value);
  if (result.issues === undefined) return result.value;
  throw failed(result.issues, root);
}
