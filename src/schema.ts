import { HTTPException } from './errors.js';
import type { Rules, RulesOutput } from './validator.js';

/** One problem found by a schema (Standard Schema v1). */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** The result of a Standard Schema validation. */
export type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly SchemaIssue[] };

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
export type SchemaOutput<S, Fallback = unknown> = S extends StandardSchemaV1<unknown, infer O> ? O : S extends Rules ? RulesOutput<S> : Fallback;

/** True for values implementing Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const std = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

function issueKey(issue: SchemaIssue, root: string): string {
  if (!issue.path || issue.path.length === 0) return root;
  return issue.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

/**
 * Validates `value`; on failure throws 400 `{"errors": {field: [messages]}}` where `field` is
 * the dotted path of the problem (`root` for the value as a whole: `body` or `query`).
 *
 * @example
 * const data = await validate(UserSchema, await req.json(), 'body')
 */
export async function validate<S extends StandardSchemaV1>(schema: S, value: unknown, root: string): Promise<SchemaOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues === undefined) return result.value as SchemaOutput<S>;
  const errors: Record<string, string[]> = {};
  for (const issue of result.issues) (errors[issueKey(issue, root)] ??= []).push(issue.message);
  throw new HTTPException(400, 'Validation failed', { code: 'ERR_VALIDATION', body: { errors } });
}
