import { HTTPException } from '../../errors.js';
import { parseUrlEncoded } from '../../http/url-encoded.js';
import { OAuth2Error } from './oauth2-error.js';

/** Parameters that may legitimately repeat (RFC 8707 resource indicators); every other one may not. */
const REPEATABLE = new Set(['resource']);

/**
 * The parameters of a query string or urlencoded body, one value per name. RFC 6749 §3.1:
 * a parameter without a value counts as absent, and none may appear twice (`invalid_request`).
 * Malformed percent-encoding is `invalid_request` too.
 *
 * @example
 * readParams('grant_type=client_credentials&scope=read') // Map { grant_type → …, scope → … }
 */
export function readParams(text: string): Map<string, string> {
  let pairs: { keys: string[]; values: string[] };
  try {
    pairs = parseUrlEncoded(text, 'request', 100);
  } catch (err) {
    if (err instanceof HTTPException) throw new OAuth2Error('invalid_request', 'Malformed request parameters');
    throw err;
  }
  const params = new Map<string, string>();
  const seen = new Set<string>();
  for (let i = 0; i < pairs.keys.length; i++) {
    const key = pairs.keys[i] as string;
    const value = pairs.values[i] as string;
    if (seen.has(key) && !REPEATABLE.has(key)) throw new OAuth2Error('invalid_request', `Parameter ${ascii(key)} is repeated`);
    seen.add(key);
    if (value !== '') params.set(key, value);
  }
  return params;
}

/** The text made safe for `error_description` (RFC 6749: `%x20-21 / %x23-5B / %x5D-7E`). */
export function ascii(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?').slice(0, 64);
}
