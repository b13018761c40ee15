import { createHash } from 'node:crypto';
import { CovetError } from '../../errors.js';
import type { OAuth2ClientOptions, OAuth2GrantType } from './oauth2-options.js';
import type { OAuth2ClientRecord } from './oauth2-store.js';

/** A client with every default filled in, as the endpoints use it. */
export interface OAuth2Client {
  readonly id: string;
  /** SHA-256 (hex) of the secret; `null` for a public client. */
  readonly secretHash: string | null;
  readonly redirectUris: readonly string[];
  /** Scopes it may ask for; `null`: any well-formed scope. */
  readonly scopes: readonly string[] | null;
  readonly defaultScopes: readonly string[];
  readonly grantTypes: ReadonlySet<OAuth2GrantType>;
  readonly allowPlainPkce: boolean;
  readonly requirePkce: boolean;
}

const GRANTS: readonly OAuth2GrantType[] = ['authorization_code', 'client_credentials', 'refresh_token'];

/** SHA-256 of a client secret, hex: what stores keep instead of the secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Turns `clients` options into the stored form (secret hashed), checking them. */
export function clientRecord(id: string, options: OAuth2ClientOptions): OAuth2ClientRecord {
  if (!/^[\x20-\x7E]+$/.test(id)) throw new CovetError(`Invalid OAuth2 client id ${JSON.stringify(id)}`, { code: 'ERR_OAUTH2_OPTIONS' });
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret === '')) {
    throw new CovetError(`OAuth2 client ${JSON.stringify(id)}: secret must be a non-empty string`, { code: 'ERR_OAUTH2_OPTIONS' });
  }
  for (const uri of options.redirectUris ?? []) checkRedirectUri(id, uri);
  for (const grant of options.grantTypes ?? []) {
    if (!GRANTS.includes(grant)) throw new CovetError(`OAuth2 client ${JSON.stringify(id)}: unknown grant type ${String(grant)}`, { code: 'ERR_OAUTH2_OPTIONS' });
  }
  if (options.secret === undefined && options.grantTypes?.includes('client_credentials')) {
    throw new CovetError(`OAuth2 client ${JSON.stringify(id)}: a public client (no secret) cannot use client_credentials`, { code: 'ERR_OAUTH2_OPTIONS' });
  }
  const record: { -readonly [K in keyof OAuth2ClientRecord]: OAuth2ClientRecord[K] } = {
    id,
    secretHash: options.secret === undefined ? null : hashSecret(options.secret),
    redirectUris: [...(options.redirectUris ?? [])],
  };
  if (options.scopes !== undefined) record.scopes = [...options.scopes];
  if (options.defaultScopes !== undefined) record.defaultScopes = [...options.defaultScopes];
  if (options.grantTypes !== undefined) record.grantTypes = [...options.grantTypes];
  if (options.allowPlainPkce !== undefined) record.allowPlainPkce = options.allowPlainPkce;
  if (options.requirePkce !== undefined) record.requirePkce = options.requirePkce;
  return record;
}

/** Schemes that run or show content in the browser itself instead of reaching a client: never a redirect URI. */
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * A registered redirect URI must be absolute and have no fragment (RFC 6749 §3.1.2), and not
 * use a scheme such as `javascript:` or `data:`, where the code would land in a script.
 */
function checkRedirectUri(id: string, uri: string): void {
  let ok = typeof uri === 'string' && !uri.includes('#');
  if (ok) {
    try {
      ok = !UNSAFE_SCHEMES.has(new URL(uri).protocol);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new CovetError(`OAuth2 client ${JSON.stringify(id)}: redirect URI ${JSON.stringify(uri)} must be absolute, without a fragment, and not javascript:, data: or the like`, {
      code: 'ERR_OAUTH2_OPTIONS',
    });
  }
}

/** Fills the defaults of a stored client: the server's scopes and default scopes. */
export function resolveClient(record: OAuth2ClientRecord, serverScopes: readonly string[] | null, serverDefaults: readonly string[]): OAuth2Client {
  const isPublic = record.secretHash === null;
  const grants = record.grantTypes ?? (isPublic ? ['authorization_code', 'refresh_token'] : GRANTS);
  return {
    id: record.id,
    secretHash: record.secretHash,
    redirectUris: record.redirectUris,
    scopes: record.scopes ?? serverScopes,
    defaultScopes: record.defaultScopes ?? serverDefaults,
    grantTypes: new Set(isPublic ? grants.filter((g) => g !== 'client_credentials') : grants),
    allowPlainPkce: record.allowPlainPkce ?? false,
    requirePkce: isPublic || (record.requirePkce ?? false),
  };
}
