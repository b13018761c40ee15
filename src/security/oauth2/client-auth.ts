import { safeEqual } from '../timing-safe.js';
import { hashSecret, type OAuth2Client } from './oauth2-client.js';
import { OAuth2Error } from './oauth2-error.js';

/** How a token, introspection or revocation request identified its client. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly secret: string | null;
  readonly method: 'client_secret_basic' | 'client_secret_post' | 'none';
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// Compared against when the client is unknown, so that case takes as long as a wrong secret.
const DUMMY_HASH = hashSecret('covet-oauth2-no-such-client');

/**
 * `invalid_client`: 401 with a `Basic` challenge, whichever way the client authenticated.
 * RFC 6749 §5.2 requires it for Basic and allows it otherwise; RFC 7662 §2.3 requires it at
 * the introspection endpoint; Keycloak, Hydra and Spring answer 401 everywhere.
 */
export function invalidClient(realm: string, description: string): OAuth2Error {
  return new OAuth2Error('invalid_client', description, { status: 401, headers: { 'www-authenticate': `Basic realm="${realm}", charset="UTF-8"` } });
}

/** RFC 6749 §2.3.1: the id and secret inside Basic are form-urlencoded first. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * The client credentials of a request: `Authorization: Basic` (`client_secret_basic`), or
 * `client_id` + `client_secret` in the body (`client_secret_post`), or a bare `client_id`
 * (a public client). Malformed Basic credentials are `invalid_client` (401); two methods at
 * once are `invalid_request` (RFC 6749 §2.3). `null` when the request names no client.
 */
export function readClientCredentials(authorization: string | null, params: Map<string, string>, realm: string): ClientCredentials | null {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== null) {
    const value = authorization.trim();
    const space = value.indexOf(' ');
    const scheme = space === -1 ? value : value.slice(0, space);
    if (scheme.toLowerCase() !== 'basic') throw invalidClient(realm, 'Unsupported authentication scheme: use Basic');
    const encoded = value.slice(space + 1).trim();
    if (space === -1 || encoded === '' || !BASE64.test(encoded)) throw invalidClient(realm, 'Malformed Basic credentials');
    let decoded: string;
    try {
      decoded = UTF8.decode(Buffer.from(encoded, 'base64'));
    } catch {
      throw invalidClient(realm, 'Malformed Basic credentials');
    }
    const colon = decoded.indexOf(':');
    if (colon === -1) throw invalidClient(realm, 'Malformed Basic credentials');
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (id === null || secret === null || id === '') throw invalidClient(realm, 'Malformed Basic credentials');
    if (bodySecret !== undefined) throw new OAuth2Error('invalid_request', 'Use one client authentication method, not two');
    if (bodyId !== undefined && bodyId !== id) throw new OAuth2Error('invalid_request', 'client_id does not match the Basic credentials');
    return { clientId: id, secret, method: 'client_secret_basic' };
  }
  if (bodyId === undefined) {
    if (bodySecret !== undefined) throw new OAuth2Error('invalid_request', 'Missing client_id');
    return null;
  }
  return bodySecret === undefined ? { clientId: bodyId, secret: null, method: 'none' } : { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
}

/**
 * Checks credentials against the client they name: the secret in constant time; a public
 * client must send none, a confidential one must send its own.
 */
export function checkClient(credentials: ClientCredentials, client: OAuth2Client | null, realm: string): OAuth2Client {
  const given = credentials.secret === null ? null : hashSecret(credentials.secret);
  // Always one comparison, whatever the outcome, so timing says nothing about which check failed.
  const secretOk = safeEqual(given ?? DUMMY_HASH, client?.secretHash ?? DUMMY_HASH);
  if (client === null) throw invalidClient(realm, 'Client authentication failed');
  if (client.secretHash === null) {
    if (given !== null) throw invalidClient(realm, 'Client authentication failed');
    return client;
  }
  if (given === null || !secretOk) throw invalidClient(realm, 'Client authentication failed');
  return client;
}
