import { HTTPException } from './errors.js';
import type { SchemaIssue } from './schema.js';

/**
 * Input that broke a `Validator`'s rules. `errors` maps each field (dotted path for nested
 * fields: `address.city`, `tags.0`; `_root` for the value as a whole) to its messages. It is
 * a 400 `HTTPException`: thrown out of a handler, the client gets `{"errors": {...}}`.
 *
 * @example
 * try { validator.validate(data) } catch (e) { if (e instanceof ValidationError) return [{ errors: e.errors }, 400] }
 */
export class ValidationError extends HTTPException {
  /** `{ field: [messages] }`, fields in the order they were found. */
  readonly errors: Record<string, string[]>;
  /** The same problems as Standard Schema issues (path as an array). */
  readonly issues: readonly SchemaIssue[];

  constructor(errors: Readonly<Record<string, readonly string[]>>, issues: readonly SchemaIssue[] = []) {
    super(400, 'Validation failed', { code: 'ERR_VALIDATION', body: { errors } });
    this.errors = errors as Record<string, string[]>;
    this.issues = issues;
  }
}
