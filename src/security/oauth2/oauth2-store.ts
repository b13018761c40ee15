import type { OAuth2GrantType } from './oauth2-options.js';

/**
 * A registered client as a store keeps it: the secret only as its SHA-256 digest (hex), so a
 * leaked table does not leak secrets. `null` means a public client.
 */
export interface OAuth2ClientRecord {
  readonly id: string;
  readonly secretHash: string | null;
  readonly redirectUris: readonly string[];
  readonly scopes?: readonly string[];
  readonly defaultScopes?: readonly string[];
  readonly grantTypes?: readonly OAuth2GrantType[];
  readonly allowPlainPkce?: boolean;
  readonly requirePkce?: boolean;
}

/** An authorization code, keyed by the SHA-256 of the code (the code itself is never stored). */
export interface AuthorizationCodeRecord {
  readonly codeHash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** Whether the authorization request named `redirect_uri` (then the token request must repeat it). */
  readonly redirectUriGiven: boolean;
  /** Granted scopes, space-separated. */
  readonly scope: string;
  readonly subject: string;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | 'plain' | null;
  /** The token family the code's tokens will belong to (revoked when the code is replayed). */
  readonly familyId: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** A refresh token, keyed by the SHA-256 of the token. */
export interface RefreshTokenRecord {
  readonly tokenHash: string;
  /** Every token rotated from one grant shares this id; reuse of an old one revokes them all. */
  readonly familyId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scope: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** What a one-time lookup (`consumeCode`, `rotateRefreshToken`) found. */
export interface ConsumeResult<R> {
  readonly record: R;
  /** `true` when it had been used before this call: a replay. */
  readonly reused: boolean;
}

/**
 * Where an `OAuth2Server` keeps its state. `consumeCode` and `rotateRefreshToken` must be
 * atomic: of two concurrent calls for the same key, exactly one sees `reused: false`.
 * Implementations: `MemoryOAuth2Store` (one process) and `DatabaseOAuth2Store` (SQL).
 *
 * @example
 * const oauth2 = new OAuth2Server({ clients, store: new DatabaseOAuth2Store(db) });
 */
export interface OAuth2Store {
  saveCode(record: AuthorizationCodeRecord): Promise<void>;
  /** Marks a code used and returns it (with `reused`), or `null` when unknown. Expired records may be returned: the server checks `expiresAt`. */
  consumeCode(codeHash: string): Promise<ConsumeResult<AuthorizationCodeRecord> | null>;
  saveRefreshToken(record: RefreshTokenRecord): Promise<void>;
  /** Marks a refresh token used and returns it (with `reused`), or `null` when unknown. */
  rotateRefreshToken(tokenHash: string): Promise<ConsumeResult<RefreshTokenRecord> | null>;
  /** A refresh token without using it (introspection, revocation). */
  findRefreshToken(tokenHash: string): Promise<ConsumeResult<RefreshTokenRecord> | null>;
  /** Remembers which family an access token (`jti`) belongs to, so revoking the family revokes it. */
  recordAccessToken(jti: string, familyId: string | null, expiresAt: number): Promise<void>;
  /** Revokes one access token until `expiresAt` (ms). */
  revokeAccessToken(jti: string, expiresAt: number): Promise<void>;
  /** Whether an access token was revoked, by itself or with its family. */
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /** Revokes a family (its refresh tokens and access tokens) until `expiresAt` (ms). */
  revokeFamily(familyId: string, expiresAt: number): Promise<void>;
  isFamilyRevoked(familyId: string): Promise<boolean>;
  /** A client registered in the store (consulted after `OAuth2ServerOptions.clients`). */
  getClient?(clientId: string): Promise<OAuth2ClientRecord | null>;
  /** Deletes expired records; resolves to how many went. */
  deleteExpired?(): Promise<number>;
  /** Releases connections. */
  close?(): Promise<void>;
}
