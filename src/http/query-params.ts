import { HTTPException } from '../errors.js';
import { MultiDict, parseUrlEncoded } from './url-encoded.js';

/** Named conversions for `queryParams.get(name, fallback, type)`. */
export type QueryType = 'int' | 'float' | 'bool' | 'str';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

function convert(raw: string, type: QueryType | ((raw: string) => unknown), name: string): unknown {
  let out: unknown;
  if (typeof type === 'function') {
    try {
      out = type(raw);
    } catch {
      out = Number.NaN;
    }
    if (typeof out === 'number' && Number.isNaN(out)) out = undefined;
  } else if (type === 'int') {
    out = /^[-+]?\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
  } else if (type === 'float') {
    // Decimal notation only: `Number` alone would also take "0x10", "0b1" and padded " 5 ".
    const n = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
    out = Number.isFinite(n) ? n : undefined;
  } else if (type === 'bool') {
    const v = raw.toLowerCase();
    out = TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
  } else {
    out = raw;
  }
  if (out === undefined) {
    const expected = typeof type === 'function' ? type.name || 'a valid value' : type;
    throw new HTTPException(400, `Invalid value for query parameter '${name}': expected ${expected}`, {
      code: 'ERR_INVALID_QUERY_PARAM',
    });
  }
  return out;
}

/**
 * The parsed query string (`req.queryParams`). Parsed on first use; keys are data, never
 * prototype properties.
 *
 * @example
 * const limit = req.queryParams.get('limit', 10, 'int') // number; "abc" → 400
 */
export class QueryParams extends MultiDict<string> {
  constructor(raw: string) {
    super(parseUrlEncoded(raw, 'query string'));
  }

  override get(name: string): string | null;
  override get<F>(name: string, fallback: F): string | F;
  override get<F>(name: string, fallback: F, type: 'int' | 'float'): number | F;
  override get<F>(name: string, fallback: F, type: 'bool'): boolean | F;
  override get<F>(name: string, fallback: F, type: 'str'): string | F;
  override get<F, T>(name: string, fallback: F, type: (raw: string) => T): T | F;
  override get(name: string, fallback: unknown = null, type?: QueryType | ((raw: string) => unknown)): unknown {
    const i = this.pairs.keys.indexOf(name);
    if (i === -1) return fallback;
    const raw = this.pairs.values[i] as string;
    return type === undefined ? raw : convert(raw, type, name);
  }
}
