import { type JsonWebKey, KeyObject, randomUUID } from 'node:crypto';
import { CovetError, HTTPException } from '../errors.js';
import { markGuard } from '../internal/handler-guard.js';
import { annotateOpenAPI, BEARER_JWT_META } from '../internal/openapi-meta.js';
import type { Request } from '../request.js';
import { json, type Response } from '../response.js';
import type { CallNext, MiddlewareFunction } from '../types.js';
import type { AnyRequest, GuardedHandler, WithUser, WrappedHandler } from './auth-types.js';
import { JWTError } from './jwt-error.js';
import { createSigner, isAlgorithm, type JWTAlgorithm, jwkThumbprint, type KeyInput, type Signer } from './jwt-keys.js';
import { MemoryRevocationStore, type RedisLike, RedisRevocationStore, type RevocationStore } from './revocation-store.js';

/** The registered claims (RFC 7519 §4.1) `JWTAuth` sets and checks. */
export interface JWTClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  /** `"refresh"` on refresh tokens (made by `createTokenPair`); access tokens have none. */
  token_use?: string;
}

/** A verified token's payload: your claims plus the registered ones. */
export type TokenPayload<C extends object = Record<string, unknown>> = C & JWTClaims;

/** Constructor options of `JWTAuth`. */
export interface JWTAuthOptions {
  /** The shared secret for HS256/384/512: a string, bytes, an `oct` JWK or a secret `KeyObject`. */
  readonly secretKey?: KeyInput;
  /** The signing key for RS*, PS*, ES*, EdDSA: PEM (PKCS#8, PKCS#1, SEC1), JWK or `KeyObject`. */
  readonly privateKey?: KeyInput;
  /** The verification key (PEM SPKI or certificate, JWK or `KeyObject`); derived from `privateKey` when omitted. */
  readonly publicKey?: KeyInput;
  /** Default `HS256`. A token whose header names another algorithm is refused. */
  readonly algorithm?: JWTAlgorithm;
  /** Access-token lifetime in seconds. Default 3600; `0` leaves out `exp` (not recommended). */
  readonly expirationTime?: number;
  /** Refresh-token lifetime in seconds. Default 7 days. */
  readonly refreshExpirationTime?: number;
  /**
   * Older keys still accepted for verification while their tokens live out (key rotation):
   * public keys for asymmetric algorithms (published by `jwks()` too), secrets for HS*.
   * A token's `kid` picks its key; tokens without one are tried against each.
   */
  readonly previousKeys?: readonly KeyInput[];
  /** Set as `iss` on new tokens and required on verified ones. */
  readonly issuer?: string;
  /** Set as `aud` on new tokens; a verified token's `aud` must contain one of them. */
  readonly audience?: string | readonly string[];
  /** Clock skew tolerated for `exp` and `nbf`, in seconds. Default 0. */
  readonly leeway?: number;
  /**
   * The `typ` header of new tokens, and then the only one accepted: `at+jwt` for RFC 9068
   * access tokens. Compared as RFC 7515 §4.1.9 says (case-insensitively, `application/`
   * optional). Default: new tokens say `JWT` and any `typ` (or none) is accepted, as in jose.
   */
  readonly type?: string;
  /**
   * `kid` header of new tokens (and of the key in `jwks()`). Default: the `kid` of a JWK given
   * as `privateKey`/`publicKey` (or `secretKey`), else the RFC 7638 thumbprint for asymmetric
   * keys and none for HS*.
   */
  readonly keyId?: string;
  /** Longest token accepted, in characters. Default 8192. */
  readonly maxTokenLength?: number;
  /**
   * Where revoked `jti`s are kept: `"memory"` (default), a `redis://` URL (uses `ioredis`), a
   * Redis client, or your own `RevocationStore`.
   */
  readonly revocationStore?: 'memory' | string | RevocationStore | RedisLike;
  /** `realm` of the `WWW-Authenticate` challenge. Default: none. */
  readonly realm?: string;
  /** The `Sec-WebSocket-Protocol` entry that precedes a token. Default `access_token`. */
  readonly websocketProtocol?: string;
  /**
   * How many verified tokens to remember, so a client sending the same token again skips the
   * signature check (claims, expiry and revocation are still checked every time). Default
   * 1000; `0` turns it off. Each request gets its own copy of the payload; the objects and
   * arrays inside it (the token's claims) are frozen either way.
   */
  readonly cacheSize?: number;
}

const DEFAULTS = {
  algorithm: 'HS256',
  expirationTime: 3600,
  refreshExpirationTime: 7 * 24 * 3600,
  leeway: 0,
  maxTokenLength: 8192,
  websocketProtocol: 'access_token',
  cacheSize: 1000,
} as const;

/** Options of one `createToken` call, over the instance's. */
export interface CreateTokenOptions {
  /** Lifetime in seconds (`0`: no `exp`). Default: `expirationTime`. */
  readonly expiresIn?: number;
  /** Seconds from now before the token is valid (`nbf`). */
  readonly notBefore?: number;
  readonly subject?: string;
  readonly audience?: string | readonly string[];
  readonly issuer?: string;
  /** Default: a random UUID. */
  readonly jti?: string;
}

/** Options of one `verifyToken` call, over the instance's. */
export interface VerifyTokenOptions {
  readonly audience?: string | readonly string[];
  readonly issuer?: string;
  readonly leeway?: number;
  /** Accept refresh tokens (`token_use: "refresh"`) instead of access tokens. Default `false`. */
  readonly refresh?: boolean;
}

/** What `createTokenPair` and `refreshToken` return (OAuth2 token-response names, camel-cased). */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  /** Access-token lifetime in seconds. */
  readonly expiresIn: number;
}

/** The public keys of an asymmetric `JWTAuth`, as served at `/.well-known/jwks.json`. */
export interface JWKSet {
  readonly keys: readonly (JsonWebKey & { kid: string; alg: JWTAlgorithm; use: 'sig' })[];
}

/** Headers as the WebSocket wrapper can read them: `get(name)` (Fetch, Covet) or a plain record (Node). */
export type HeadersLike = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What `requireWebsocketToken` needs of a connection: its headers, its URL (a string such as
 * `/ws?token=…`, a `URL`, or Covet's `{ raw, query }`), a `state` bag, and optionally
 * `close(code, reason)` and `accepted` (a socket already open is closed with 1008 instead).
 * A Covet `Request` fits, so does a `WebSocket` from `covet/websocket`.
 */
export interface WebSocketLike {
  readonly headers: HeadersLike;
  readonly url: string | URL | { readonly raw?: string; readonly query?: string };
  readonly state: Record<string, unknown>;
  readonly accepted?: boolean;
  close?(code?: number, reason?: string): unknown;
}

const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'token_use']);
/** The claim of a refresh token that holds the lifetime its pair's access token was given. */
const ACCESS_TTL = 'access_ttl';
const B64URL = /^[A-Za-z0-9_-]*$/;

function fail(message: string, code: ConstructorParameters<typeof JWTError>[1]): never {
  throw new JWTError(message, code);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strict base64url: the alphabet only, no padding, and a length that can be valid. */
function wellFormed(part: string): boolean {
  return B64URL.test(part) && part.length % 4 !== 1;
}

/**
 * Freezes the objects and arrays inside a payload (not the payload itself): they are the
 * token's claims, shared by every request that presents the same token.
 */
function freezeNested(payload: Record<string, unknown>): void {
  const stack: unknown[] = Object.values(payload);
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const item of Object.values(value)) stack.push(item);
  }
}

function decodeJson(part: string): Record<string, unknown> | null {
  if (!wellFormed(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isPlainRecord(value) ? value : null;
  } catch {
    return null;
  }
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A `typ` as RFC 7515 §4.1.9 compares it: case-insensitive, `application/` implied. */
function normalizeType(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, '');
}

function list(value: string | readonly string[] | undefined): readonly string[] | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? [value] : value;
}

/** The `kid` of a key given as a JWK that names one, else `undefined`. */
function jwkKeyId(key: KeyInput | undefined): string | undefined {
  if (typeof key !== 'object' || key === null || key instanceof KeyObject || ArrayBuffer.isView(key)) return undefined;
  const kid = (key as { kid?: unknown }).kid;
  return typeof kid === 'string' && kid !== '' ? kid : undefined;
}

/** The `kid` the configured JWKs name (their owner publishes the key under it); they must agree. */
function ownKeyId(keys: { readonly secretKey?: KeyInput; readonly privateKey?: KeyInput; readonly publicKey?: KeyInput }): string | undefined {
  const privateKid = jwkKeyId(keys.privateKey);
  const publicKid = jwkKeyId(keys.publicKey);
  if (privateKid !== undefined && publicKid !== undefined && privateKid !== publicKid) {
    throw new CovetError(`privateKey and publicKey name different kids ("${privateKid}", "${publicKid}"): set keyId`, { code: 'ERR_JWT_KEY' });
  }
  return privateKid ?? publicKid ?? jwkKeyId(keys.secretKey);
}

function checkSeconds(name: string, value: number, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new CovetError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds`, { code: 'ERR_JWT_OPTIONS' });
  }
  return value;
}

function headerValue(headers: HeadersLike, name: string): string | null {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name);
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const value = Object.hasOwn(record, name) ? record[name] : undefined;
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.join(', ');
}

function queryOf(url: WebSocketLike['url']): string {
  if (typeof url === 'string') {
    const q = url.indexOf('?');
    return q === -1 ? '' : url.slice(q + 1);
  }
  if (url instanceof URL) return url.search.slice(1);
  if (typeof url.query === 'string') return url.query;
  return url.raw === undefined ? '' : queryOf(url.raw);
}

/** The token of `Authorization: Bearer <token>`, `undefined` when there is none. */
function bearerToken(header: string | null): string | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  const space = value.indexOf(' ');
  if (space === -1 || value.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = value.slice(space + 1).trim();
  return token === '' ? undefined : token;
}

/**
 * JSON Web Tokens with `node:crypto` only: HS256/384/512, RS256/384/512, PS256/384/512,
 * ES256/384/512, EdDSA (and `Ed25519`, its RFC 9864 name); `exp`/`nbf`/`iat`/`iss`/`aud`/`jti`
 * with leeway; refresh tokens; revocation by `jti` (memory or Redis); a JWKS endpoint for
 * asymmetric keys. Only the configured algorithm is accepted, so `alg: none` and algorithm
 * confusion are refused.
 *
 * @example
 * const jwtAuth = new JWTAuth({ secretKey: env.string('JWT_SECRET'), algorithm: 'HS256', expirationTime: 3600 });
 * app.post('/login', async () => ({ token: await jwtAuth.createToken({ user: 'alice' }) }));
 * app.get('/protected', jwtAuth.requireToken(async (req) => ({ message: `Hello, ${req.state.user.user}!` })));
 */
export class JWTAuth<C extends object = Record<string, unknown>> {
  /** The algorithm tokens are signed with and the only one accepted. */
  readonly algorithm: JWTAlgorithm;
  readonly #signer: Signer;
  readonly #kid: string | undefined;
  /** The current key first, then `previousKeys`, each with its `kid`. */
  readonly #verifiers: readonly { readonly kid: string | undefined; readonly signer: Signer }[];
  /** Headers seen before (bounded) → the keys to try for them. */
  readonly #headers = new Map<string, readonly Signer[]>();
  readonly #expirationTime: number;
  readonly #refreshExpirationTime: number;
  readonly #issuer: string | undefined;
  readonly #audience: readonly string[] | undefined;
  readonly #leeway: number;
  /** The `typ` header of new tokens. */
  readonly #type: string;
  /** The accepted `typ`, normalized (see `normalizeType`); `undefined`: any. */
  readonly #requiredType: string | undefined;
  readonly #maxTokenLength: number;
  readonly #store: RevocationStore;
  readonly #realm: string | undefined;
  readonly #wsProtocol: string;
  /** Tokens whose signature verified → their frozen payload (insertion-ordered, oldest evicted). */
  readonly #cache: Map<string, Readonly<Record<string, unknown>>> | null;
  readonly #cacheSize: number;

  /** Takes options, or just the HS256 secret (`new JWTAuth('secret-key')`, as in the seed). */
  constructor(options: JWTAuthOptions | string) {
    const opts: JWTAuthOptions = typeof options === 'string' ? { secretKey: options } : options;
    const algorithm = opts.algorithm ?? DEFAULTS.algorithm;
    if (!isAlgorithm(algorithm)) throw new CovetError(`Unsupported JWT algorithm: ${String(algorithm)}`, { code: 'ERR_JWT_OPTIONS' });
    this.algorithm = algorithm;
    const keys: { secretKey?: KeyInput; privateKey?: KeyInput; publicKey?: KeyInput } = {};
    if (opts.secretKey !== undefined) keys.secretKey = opts.secretKey;
    if (opts.privateKey !== undefined) keys.privateKey = opts.privateKey;
    if (opts.publicKey !== undefined) keys.publicKey = opts.publicKey;
    this.#signer = createSigner(algorithm, keys);
    this.#kid = opts.keyId ?? ownKeyId(keys) ?? (this.#signer.publicJwk === null ? undefined : jwkThumbprint(this.#signer.publicJwk));
    const hmac = this.#signer.publicJwk === null;
    this.#verifiers = [
      { kid: this.#kid, signer: this.#signer },
      ...(opts.previousKeys ?? []).map((key) => {
        const signer = createSigner(algorithm, hmac ? { secretKey: key } : { publicKey: key });
        return { kid: jwkKeyId(key) ?? (signer.publicJwk === null ? undefined : jwkThumbprint(signer.publicJwk)), signer };
      }),
    ];
    this.#expirationTime = checkSeconds('expirationTime', opts.expirationTime ?? DEFAULTS.expirationTime, true);
    this.#refreshExpirationTime = checkSeconds('refreshExpirationTime', opts.refreshExpirationTime ?? DEFAULTS.refreshExpirationTime, false);
    this.#leeway = checkSeconds('leeway', opts.leeway ?? DEFAULTS.leeway, true);
    this.#maxTokenLength = opts.maxTokenLength ?? DEFAULTS.maxTokenLength;
    if (!Number.isInteger(this.#maxTokenLength) || this.#maxTokenLength < 64) {
      throw new CovetError('maxTokenLength must be an integer of at least 64', { code: 'ERR_JWT_OPTIONS' });
    }
    if (opts.type !== undefined && (typeof opts.type !== 'string' || !/^[\x21-\x7e]+$/.test(opts.type))) {
      throw new CovetError('type must be a non-empty media type such as "at+jwt"', { code: 'ERR_JWT_OPTIONS' });
    }
    this.#type = opts.type ?? 'JWT';
    this.#requiredType = opts.type === undefined ? undefined : normalizeType(opts.type);
    this.#issuer = opts.issuer;
    this.#audience = list(opts.audience);
    this.#realm = opts.realm;
    this.#wsProtocol = opts.websocketProtocol ?? DEFAULTS.websocketProtocol;
    this.#cacheSize = opts.cacheSize ?? DEFAULTS.cacheSize;
    if (!Number.isInteger(this.#cacheSize) || this.#cacheSize < 0) throw new CovetError('cacheSize must be a non-negative integer', { code: 'ERR_JWT_OPTIONS' });
    this.#cache = this.#cacheSize === 0 ? null : new Map();
    const store = opts.revocationStore ?? 'memory';
    this.#store =
      store === 'memory'
        ? new MemoryRevocationStore()
        : typeof store === 'string'
          ? new RedisRevocationStore(store)
          : 'revoke' in store
            ? store
            : new RedisRevocationStore(store);
  }

  // ------------------------------------------------------------------ tokens

  /**
   * Signs `payload` with `iat`, `exp` (unless `expirationTime` is 0), a random `jti`, and the
   * configured `iss`/`aud`; claims already in `payload` are kept.
   *
   * @example
   * const token = await jwtAuth.createToken({ user: 'alice', roles: ['admin'] }, { subject: '42' })
   */
  async createToken(payload: C, options: CreateTokenOptions = {}): Promise<string> {
    return this.#sign(payload, options, options.expiresIn ?? this.#expirationTime, undefined);
  }

  #sign(payload: object, options: CreateTokenOptions, lifetime: number, use: string | undefined): string {
    const sign = this.#signer.sign;
    if (sign === null) throw new CovetError('This JWTAuth has only a public key: it can verify tokens, not create them', { code: 'ERR_JWT_NO_PRIVATE_KEY' });
    if (!isPlainRecord(payload)) throw new TypeError('A token payload must be a plain object');
    checkSeconds('expiresIn', lifetime, true);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { ...payload };
    claims.iat ??= now;
    if (lifetime > 0) claims.exp ??= now + lifetime;
    if (options.notBefore !== undefined) claims.nbf = now + checkSeconds('notBefore', options.notBefore, true);
    claims.jti = options.jti ?? claims.jti ?? randomUUID();
    const issuer = options.issuer ?? this.#issuer;
    if (issuer !== undefined) claims.iss ??= issuer;
    const audience = list(options.audience) ?? this.#audience;
    if (audience !== undefined) claims.aud ??= audience.length === 1 ? audience[0] : [...audience];
    if (options.subject !== undefined) claims.sub = options.subject;
    if (use !== undefined) claims.token_use = use;
    else delete claims.token_use;
    const typ = this.#type;
    const header = this.#kid === undefined ? { alg: this.algorithm, typ } : { alg: this.algorithm, typ, kid: this.#kid };
    const input = `${encodeJson(header)}.${encodeJson(claims)}`;
    return `${input}.${sign(input)}`;
  }

  /**
   * Verifies signature, algorithm and claims, and that the `jti` is not revoked. Resolves to
   * the payload; rejects with a 401 `JWTError` (see its `code`) for every bad token.
   *
   * @example
   * const claims = await jwtAuth.verifyToken(token) // { user: 'alice', iat, exp, jti }
   */
  async verifyToken(token: string, options?: VerifyTokenOptions): Promise<TokenPayload<C>> {
    return this.#verify(token, options);
  }

  /** Verification with the revocation check: synchronous when the store answers synchronously (memory). */
  #verify(token: string, options: VerifyTokenOptions | undefined): TokenPayload<C> | Promise<TokenPayload<C>> {
    const payload = this.#verifySignedClaims(token, options) as TokenPayload<C>;
    const jti = payload.jti;
    if (typeof jti === 'string') {
      const revoked = this.#store.isRevoked(jti);
      if (revoked instanceof Promise) {
        return this.#storeCall(revoked).then((r) => {
          if (r) fail('Token revoked', 'ERR_JWT_REVOKED');
          return payload;
        });
      }
      if (revoked) fail('Token revoked', 'ERR_JWT_REVOKED');
    }
    return payload;
  }

  /** Everything but revocation, synchronously. */
  #verifySignedClaims(token: string, options: VerifyTokenOptions | undefined): Record<string, unknown> & JWTClaims {
    if (typeof token !== 'string' || token.length === 0) fail('Malformed token', 'ERR_JWT_MALFORMED');
    if (token.length > this.#maxTokenLength) fail('Token too large', 'ERR_JWT_TOO_LARGE');
    // A token whose signature was verified before skips the cryptography; its claims are
    // re-parsed (a fresh object per request) and re-checked every time.
    const seen = this.#cache?.get(token);
    if (seen !== undefined) {
      this.#checkClaims(seen, options);
      return { ...seen };
    }
    const dot1 = token.indexOf('.');
    const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot2 === -1 || token.indexOf('.', dot2 + 1) !== -1) fail('Malformed token', 'ERR_JWT_MALFORMED');
    const signature = token.slice(dot2 + 1);
    if (!wellFormed(token.slice(dot1 + 1, dot2)) || !wellFormed(signature)) fail('Malformed token', 'ERR_JWT_MALFORMED');
    const headerPart = token.slice(0, dot1);
    // Clients send the same few headers again and again: the ones that passed are remembered.
    let keys = this.#headers.get(headerPart);
    if (keys === undefined) {
      const header = decodeJson(headerPart);
      if (header === null) fail('Malformed token', 'ERR_JWT_MALFORMED');
      // Only the configured algorithm: `none`, and HS256 signed with an RSA public key, end here.
      if (header.alg !== this.algorithm) fail('Unsupported token algorithm', 'ERR_JWT_ALGORITHM');
      if (header.crit !== undefined) fail('Unsupported critical header', 'ERR_JWT_CRIT');
      // RFC 9068 §4: an ID token or other JWT signed with the same key is not an access token.
      if (this.#requiredType !== undefined && (typeof header.typ !== 'string' || normalizeType(header.typ) !== this.#requiredType)) {
        fail('Invalid token type', 'ERR_JWT_TYPE');
      }
      // A known `kid` picks its key; otherwise every configured key is tried (current first).
      const named = this.#verifiers.filter((v) => v.kid !== undefined && v.kid === header.kid);
      keys = (named.length > 0 ? named : this.#verifiers).map((v) => v.signer);
      if (this.#headers.size >= 64) this.#headers.clear();
      this.#headers.set(headerPart, keys);
    }
    const input = token.slice(0, dot2);
    if (!keys.some((key) => key.verify(input, signature))) fail('Invalid token signature', 'ERR_JWT_SIGNATURE');
    const payload = decodeJson(token.slice(dot1 + 1, dot2));
    if (payload === null) fail('Malformed token', 'ERR_JWT_MALFORMED');
    freezeNested(payload);
    const cache = this.#cache;
    if (cache !== null) {
      if (cache.size >= this.#cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(token, Object.freeze({ ...payload }));
    }
    this.#checkClaims(payload, options);
    return payload;
  }

  #checkClaims(p: Record<string, unknown>, options: VerifyTokenOptions | undefined): void {
    const now = Date.now() / 1000;
    const leeway = options?.leeway ?? this.#leeway;
    const { exp, nbf, iat, iss, aud, jti, sub } = p;
    if (exp !== undefined && typeof exp !== 'number') fail('Invalid token claims', 'ERR_JWT_CLAIMS');
    if (nbf !== undefined && typeof nbf !== 'number') fail('Invalid token claims', 'ERR_JWT_CLAIMS');
    if (iat !== undefined && typeof iat !== 'number') fail('Invalid token claims', 'ERR_JWT_CLAIMS');
    if ((jti !== undefined && typeof jti !== 'string') || (sub !== undefined && typeof sub !== 'string')) fail('Invalid token claims', 'ERR_JWT_CLAIMS');
    if (typeof exp === 'number' && exp <= now - leeway) fail('Token expired', 'ERR_JWT_EXPIRED');
    if (typeof nbf === 'number' && nbf > now + leeway) fail('Token not yet valid', 'ERR_JWT_NOT_YET_VALID');
    const issuer = options?.issuer ?? this.#issuer;
    if (issuer !== undefined && iss !== issuer) fail('Invalid token issuer', 'ERR_JWT_ISSUER');
    const audience = list(options?.audience) ?? this.#audience;
    if (audience !== undefined) {
      const got = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!got.some((a) => typeof a === 'string' && audience.includes(a))) fail('Invalid token audience', 'ERR_JWT_AUDIENCE');
    } else if (aud !== undefined && typeof aud !== 'string' && !Array.isArray(aud)) {
      fail('Invalid token claims', 'ERR_JWT_CLAIMS');
    }
    const refresh = p.token_use === 'refresh';
    if (refresh && options?.refresh !== true) fail('Refresh token not accepted here', 'ERR_JWT_TOKEN_USE');
    if (!refresh && options?.refresh === true) fail('Not a refresh token', 'ERR_JWT_TOKEN_USE');
  }

  /** A store that cannot answer (Redis down) refuses with 503 rather than accepting a maybe-revoked token. */
  async #storeCall<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (err) {
      throw new HTTPException(503, 'Token revocation check unavailable', { code: 'ERR_JWT_STORE_UNAVAILABLE', cause: err });
    }
  }

  // ------------------------------------------------------------------ refresh and revocation

  /**
   * An access token and a refresh token (`token_use: "refresh"`, lifetime
   * `refreshExpirationTime`) carrying the same claims.
   *
   * @example
   * const { accessToken, refreshToken } = await jwtAuth.createTokenPair({ user: 'alice' })
   */
  async createTokenPair(payload: C, options: CreateTokenOptions = {}): Promise<TokenPair> {
    const { jti: _jti, ...rest } = options;
    const accessToken = this.#sign(payload, rest, options.expiresIn ?? this.#expirationTime, undefined);
    // A lifetime given here is kept in the refresh token, so refreshed access tokens get it too.
    const refreshClaims = options.expiresIn === undefined ? payload : { ...payload, [ACCESS_TTL]: options.expiresIn };
    const refreshToken = this.#sign(refreshClaims, rest, this.#refreshExpirationTime, 'refresh');
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: options.expiresIn ?? this.#expirationTime };
  }

  /**
   * Exchanges a refresh token for a new pair and revokes it (rotation): a refresh token works
   * once, and a reused one is refused with 401 `ERR_JWT_REVOKED`.
   *
   * @example
   * app.post('/token/refresh', async (req) => jwtAuth.refreshToken((await req.json<{ refreshToken: string }>()).refreshToken))
   */
  async refreshToken(token: string): Promise<TokenPair> {
    const payload = this.#verifySignedClaims(token, { refresh: true });
    if (typeof payload.jti !== 'string') fail('Invalid token claims', 'ERR_JWT_CLAIMS');
    let first = this.#store.revoke(payload.jti, this.#ttl(payload.exp));
    if (first instanceof Promise) first = await this.#storeCall(first);
    if (!first) fail('Token revoked', 'ERR_JWT_REVOKED');
    const claims: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(payload)) if ((!REGISTERED.has(k) || k === 'sub') && k !== ACCESS_TTL) claims[k] = v;
    // The new pair is for what the old one was for: same audience, issuer and access lifetime
    // (a pair made for one audience never comes back valid for all the instance's).
    const ttl = payload[ACCESS_TTL];
    return this.createTokenPair(claims as C, {
      ...(typeof payload.aud === 'string' || Array.isArray(payload.aud) ? { audience: payload.aud as string | string[] } : {}),
      ...(typeof payload.iss === 'string' ? { issuer: payload.iss } : {}),
      ...(typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0 ? { expiresIn: ttl } : {}),
    });
  }

  #ttl(exp: unknown): number {
    // Past the expiry (plus leeway) the token is refused anyway: nothing needs keeping.
    return typeof exp === 'number' ? Math.max(0, Math.ceil(exp - Date.now() / 1000 + this.#leeway)) : Number.POSITIVE_INFINITY;
  }

  /**
   * Revokes a token (verified first) until it expires. Resolves to `false` when it was
   * already revoked or has no `jti`.
   *
   * @example
   * app.post('/logout', jwtAuth.requireToken(async (req) => { await jwtAuth.revokeToken(jwtAuth.tokenFrom(req) ?? ''); return null }))
   */
  async revokeToken(token: string): Promise<boolean> {
    let payload: Record<string, unknown> & JWTClaims;
    try {
      payload = this.#verifySignedClaims(token, undefined);
    } catch (err) {
      // A refresh token may be revoked too (logout everywhere).
      if (!(err instanceof JWTError) || err.code !== 'ERR_JWT_TOKEN_USE') throw err;
      payload = this.#verifySignedClaims(token, { refresh: true });
    }
    if (typeof payload.jti !== 'string') return false;
    return this.revokeJti(payload.jti, typeof payload.exp === 'number' ? payload.exp : undefined);
  }

  /** Revokes a token id until `expiresAt` (seconds since the epoch; default: for ever). */
  async revokeJti(jti: string, expiresAt?: number): Promise<boolean> {
    return this.#storeCall(Promise.resolve(this.#store.revoke(jti, this.#ttl(expiresAt))));
  }

  /** Whether a token id is revoked. */
  async isRevoked(jti: string): Promise<boolean> {
    return this.#storeCall(Promise.resolve(this.#store.isRevoked(jti)));
  }

  /** Closes the revocation store's connection (Redis); call it at shutdown. */
  async close(): Promise<void> {
    await this.#store.close?.();
  }

  // ------------------------------------------------------------------ HTTP

  /** The bearer token of a request's `Authorization` header, or `undefined`. */
  tokenFrom(req: { readonly headers: HeadersLike }): string | undefined {
    return bearerToken(headerValue(req.headers, 'authorization'));
  }

  /** Puts the verified payload on `req.state.user`; synchronous unless the store is async (Redis). */
  #authenticate(req: AnyRequest): void | Promise<void> {
    const token = bearerToken(req.headers.get('authorization'));
    if (token === undefined) throw new JWTError('Missing bearer token', 'ERR_JWT_MISSING', this.#realm);
    let result: TokenPayload<C> | Promise<TokenPayload<C>>;
    try {
      result = this.#verify(token, undefined);
    } catch (err) {
      throw this.#withRealm(err);
    }
    if (result instanceof Promise) {
      return result.then(
        (payload) => {
          req.state.user = payload;
        },
        (err: unknown) => {
          throw this.#withRealm(err);
        },
      );
    }
    req.state.user = result;
  }

  #withRealm(err: unknown): unknown {
    return err instanceof JWTError && this.#realm !== undefined ? new JWTError(err.message, err.code, this.#realm) : err;
  }

  /**
   * Protects a handler: a valid `Authorization: Bearer` token puts its payload on
   * `req.state.user` (typed in the handler); otherwise 401 with `WWW-Authenticate`.
   * Without a handler it returns the same check as middleware, for groups and apps.
   *
   * @example
   * app.get('/me', jwtAuth.requireToken(async (req) => ({ user: req.state.user.user })));
   * app.routeGroup('/api', { middleware: [jwtAuth.requireToken()] });
   */
  requireToken(): MiddlewareFunction;
  requireToken<R extends AnyRequest, D>(handler: GuardedHandler<R, D, TokenPayload<C>>): WrappedHandler<R, D>;
  requireToken<R extends AnyRequest, D>(handler?: GuardedHandler<R, D, TokenPayload<C>>): MiddlewareFunction | WrappedHandler<R, D> {
    const auth = this;
    if (handler === undefined) {
      return annotateOpenAPI(async function requireToken(req: Request, callNext: CallNext): Promise<Response> {
        await auth.#authenticate(req);
        return callNext();
      }, BEARER_JWT_META);
    }
    if (typeof handler !== 'function') throw new TypeError('requireToken(handler) needs a handler function');
    // Not async: with the memory store a sync handler's result goes out without a promise.
    const wrapper = annotateOpenAPI(
      function requireToken(req: R, deps: D): unknown {
        const pending = auth.#authenticate(req);
        if (pending === undefined) return handler(req as WithUser<R, TokenPayload<C>>, deps);
        return pending.then(() => handler(req as WithUser<R, TokenPayload<C>>, deps));
      },
      BEARER_JWT_META,
      handler,
    );
    return markGuard(wrapper, (req) => auth.#authenticate(req), handler);
  }

  /**
   * The user that `requireToken` put on the request, typed; 401 when there is none (for
   * handlers behind `requireToken()` used as middleware).
   */
  user(req: AnyRequest): TokenPayload<C> {
    const user = req.state.user;
    if (!isPlainRecord(user)) throw new JWTError('Missing bearer token', 'ERR_JWT_MISSING', this.#realm);
    return user as TokenPayload<C>;
  }

  /**
   * Protects a WebSocket handler: the token comes from `Authorization: Bearer`, the
   * `Sec-WebSocket-Protocol` list (`access_token, <token>`; then `ws.state.subprotocol` is
   * `"access_token"`, to pass to `accept`), or `?token=`. Its payload goes on `ws.state.user`.
   * A bad token throws a 401 `JWTError` before the handler runs (the upgrade is refused with
   * HTTP 401); a connection already open (`accepted`) is closed with 1008 instead.
   *
   * @example
   * app.websocket('/ws/authenticated', jwtAuth.requireWebsocketToken(async (ws) => { await ws.sendJson({ hello: ws.state.user.user }) }));
   */
  requireWebsocketToken<W extends WebSocketLike, A extends unknown[]>(
    handler: (ws: W & { readonly state: { user: TokenPayload<C> } }, ...rest: A) => unknown,
  ): (ws: W, ...rest: A) => Promise<unknown> {
    if (typeof handler !== 'function') throw new TypeError('requireWebsocketToken(handler) needs a handler function');
    const auth = this;
    return async function requireWebsocketToken(ws: W, ...rest: A): Promise<unknown> {
      const { token, protocol } = auth.#websocketToken(ws);
      try {
        if (token === undefined) throw new JWTError('Missing bearer token', 'ERR_JWT_MISSING', auth.#realm);
        ws.state.user = await auth.#verify(token, undefined);
      } catch (err) {
        if (ws.accepted === true && typeof ws.close === 'function' && err instanceof JWTError) {
          await ws.close(1008, err.message);
          return undefined;
        }
        throw err;
      }
      if (protocol !== undefined) ws.state.subprotocol = protocol;
      return handler(ws as W & { readonly state: { user: TokenPayload<C> } }, ...rest);
    };
  }

  #websocketToken(ws: WebSocketLike): { token: string | undefined; protocol?: string } {
    const fromHeader = bearerToken(headerValue(ws.headers, 'authorization'));
    if (fromHeader !== undefined) return { token: fromHeader };
    const protocols = headerValue(ws.headers, 'sec-websocket-protocol');
    if (protocols !== null) {
      const entries = protocols.split(',').map((p) => p.trim());
      const at = entries.indexOf(this.#wsProtocol);
      const token = at === -1 ? undefined : entries[at + 1];
      if (token) return { token, protocol: this.#wsProtocol };
    }
    const query = queryOf(ws.url);
    if (query !== '') {
      const token = new URLSearchParams(query).get('token');
      if (token) return { token };
    }
    return { token: undefined };
  }

  // ------------------------------------------------------------------ JWKS

  /**
   * The public key as a JWK Set (with `kid`, `alg`, `use`). Asymmetric algorithms only: an
   * HS* secret must never be published.
   */
  jwks(): JWKSet {
    if (this.#signer.publicJwk === null) {
      throw new CovetError(`${this.algorithm} uses a shared secret: there is no public key to publish`, { code: 'ERR_JWKS_SYMMETRIC' });
    }
    return {
      keys: this.#verifiers.map(({ kid, signer }) => {
        const jwk = signer.publicJwk as JsonWebKey;
        return { ...jwk, kid: kid ?? jwkThumbprint(jwk), alg: this.algorithm, use: 'sig' as const };
      }),
    };
  }

  /**
   * A route handler serving `jwks()` (cacheable for an hour).
   *
   * @example
   * app.get('/.well-known/jwks.json', jwtAuth.jwksHandler)
   */
  get jwksHandler(): (req: AnyRequest) => Response {
    const body = this.jwks();
    return function jwks(): Response {
      return json(body, 200, { 'cache-control': 'public, max-age=3600' });
    };
  }
}
