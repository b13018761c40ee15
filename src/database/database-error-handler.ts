import { ConnectionError, IntegrityError, PoolTimeoutError } from './errors.js';

const INTEGRITY: Readonly<Record<IntegrityError['kind'], readonly [number, string]>> = {
  unique: [409, 'Conflict: a row with this value already exists'],
  foreign_key: [409, 'Conflict: a referenced row is missing or still in use'],
  not_null: [400, 'A required value is missing'],
  check: [400, 'A value is not allowed'],
};

/**
 * Turns database errors into HTTP answers: a constraint violation → 409 (unique, foreign key) or
 * 400 (not null, check) with `{ error, kind, column? }`; an unreachable database or exhausted
 * pool → 503 with `Retry-After`. Anything else falls through to the app's 500. Register it with
 * `app.onError(DatabaseError, databaseErrorHandler)`.
 *
 * @example
 * app.onError(DatabaseError, databaseErrorHandler);
 */
export function databaseErrorHandler(err: unknown): unknown {
  if (err instanceof IntegrityError) {
    const [status, error] = INTEGRITY[err.kind];
    return [{ error, kind: err.kind, ...(err.column === undefined ? {} : { column: err.column }) }, status];
  }
  // Every connection busy is not the database being down: say which, for whoever reads the 503.
  if (err instanceof PoolTimeoutError)
    return [{ error: 'Service Unavailable: every database connection is busy' }, 503, { 'retry-after': '1' }];
  if (err instanceof ConnectionError)
    return [{ error: 'Service Unavailable: the database cannot be reached' }, 503, { 'retry-after': '1' }];
  return undefined;
}
