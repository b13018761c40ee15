import type { Queryable } from '../../../src/database/index.js';
import { kExecute, kQueryRowSync, kQueryValuesSync, NOT_SYNC } from '../../../src/database/queryable.js';

/** Records every statement the ORM sends (the synchronous SQLite paths turned off, so all go through kExecute). */
export function recordStatements(db: Queryable): string[] {
  const seen: string[] = [];
  const original = db[kExecute].bind(db);
  Object.defineProperty(db, kExecute, { value: (text: string, params: readonly unknown[]) => (seen.push(text), original(text, params)) });
  Object.defineProperty(db, kQueryRowSync, { value: () => NOT_SYNC });
  Object.defineProperty(db, kQueryValuesSync, { value: () => NOT_SYNC });
  return seen;
}
