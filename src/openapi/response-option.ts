/**
 * A route's `response` option, read once: either one schema for every 2xx JSON response, or a
 * map from status codes to schemas (`{ 200: User, 404: ErrorBody }`).
 */
export interface ResponseSchemas {
  /** The schema of every 2xx response without its own entry (a single `response` schema). */
  readonly success: unknown;
  /** Schemas by exact status. */
  readonly byStatus: ReadonlyMap<number, unknown>;
}

const STATUS_KEY = /^[1-5]\d\d$/;

/** True for `{ 200: schema, 404: schema }` (every key a status code), as opposed to one schema. */
export function isStatusMap(value: unknown): value is Readonly<Record<number, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || '~standard' in value) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => STATUS_KEY.test(k));
}

/**
 * Normalises the `response` option; `undefined` when the route has none.
 *
 * @example
 * responseSchemas({ 200: User, 404: NotFound })?.byStatus.get(404) // NotFound
 */
export function responseSchemas(response: unknown): ResponseSchemas | undefined {
  if (response === undefined || response === null) return undefined;
  if (isStatusMap(response)) {
    const byStatus = new Map<number, unknown>();
    for (const [k, v] of Object.entries(response)) byStatus.set(Number(k), v);
    return { success: undefined, byStatus };
  }
  if (typeof response !== 'object' && typeof response !== 'boolean') throw new TypeError('response must be a schema or a map of status codes to schemas');
  // A map with a status code and another key (`{ 200: User, '4XX': Err }`, `default`) would
  // otherwise be taken for one plain JSON Schema: documented as garbage, filtering nothing.
  if (typeof response === 'object' && !('~standard' in response) && !Array.isArray(response)) {
    const keys = Object.keys(response);
    const other = keys.find((k) => !STATUS_KEY.test(k));
    // So would `{ default: User }` or `{ 600: User }` alone: no JSON Schema keyword is a number,
    // and a JSON Schema's values are plain JSON, never a Standard Schema (Zod, Valibot…).
    const mapLike =
      keys.some((k) => STATUS_KEY.test(k) || /^[1-5]xx$/i.test(k) || /^\d+$/.test(k)) ||
      Object.values(response).some((v) => typeof v === 'object' && v !== null && '~standard' in v);
    if (other !== undefined && mapLike) {
      throw new TypeError(`response map keys must be status codes such as 200 or 404, got "${other}" (ranges and "default" are not supported)`);
    }
  }
  return { success: response, byStatus: new Map() };
}

/** The schema that applies to a response of `status`, or `undefined`. */
export function schemaForStatus(schemas: ResponseSchemas, status: number): unknown {
  const exact = schemas.byStatus.get(status);
  if (exact !== undefined) return exact;
  return status >= 200 && status < 300 ? schemas.success : undefined;
}
