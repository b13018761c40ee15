import type { DriverResult } from './driver.js';

/**
 * The id an `INSERT … RETURNING` reports: the first value of its first row when that can be an
 * id (a number, bigint or string), else `null` (no row: nothing was inserted).
 *
 * @example
 * returnedId({ id: 7, name: 'Ann' }) // 7
 */
export function returnedId(row: Readonly<Record<string, unknown>> | undefined): DriverResult['lastInsertId'] {
  if (row === undefined) return null;
  for (const key in row) {
    const v = row[key];
    return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' ? v : null;
  }
  return null;
}
