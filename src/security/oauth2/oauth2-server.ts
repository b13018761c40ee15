import { generateKeyPairSync } from 'node:crypto';
import type { CovetApp } from '../../app.js';
import { CovetError } from '../../errors.js';
import type { Request } from '../../request.js';
import { json, type Response } from '../../response.js';
import { RouteGroup } from '../../route-group.js';
import { type JWKSet, JWTAuth, type JWTAuthOptions } from '../jwt-auth.js';
import type { RevocationStore } from '../revocation-store.js';
import { authorizeEndpoint } from './authorize-endpoint.js';
import { introspectionEndpoint } from './introspection-endpoint.js';
import { MemoryOAuth2Store } from './memory-oauth2-store.js';
import { clientRecord, hashSecret, type OAuth2Client, resolveClient } from './oauth2-client.js';
import type { OAuth2Context } from './oauth2-context.js';
import type { OAuth2ClientOptions, OAuth2ServerOptions } from './oauth2-options.js';
import type { OAuth2ClientRecord, OAuth2Store } from './oauth2-store.js';
import { revocationEndpoint } from './revocation-endpoint.js';
import { type OAuth2Paths, type OAuth2ServerMetadata, serverMetadata } from './server-metadata.js';
import { tokenEndpoint } from './token-endpoint.js';

/** An OpenAPI 3.1 OAuth2 security scheme object, as `securityScheme()` returns it. */
export interface OAuth2SecurityScheme {
  readonly type: 'oauth2';
  readonly description?: string;
  readonly flows: {
    readonly authorizationCode: {
      readonly authorizationUrl: string;
      readonly tokenUrl: string;
      readonly refreshUrl: string;
      readonly scopes: Readonly<Record<string, string>>;
    };
    readonly clientCredentials: { readonly tokenUrl: string; readonly scopes: Readonly<Record<string, string>> };
  };
}

const DEFAULTS = {
  accessTokenLifetime: 3600,
  refreshTokenLifetime: 14 * 24 * 3600,
  codeLifetime: 60,
  authorizationEndpoint: '/oauth/authorize',
  tokenEndpoint: '/oauth/token',
  introspectionEndpoint: '/oauth/introspect',
  revocationEndpoint: '/oauth/revoke',
  metadataEndpoint: '/.well-known/oauth-authorization-server',
  jwksEndpoint: '/.well-known/jwks.json',
  realm: 'oauth2',
} as const;

const HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

function isList(value: unknown): value is readonly string[] {
  return Array.isArray(value);
}

function seconds(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new CovetError(`OAuth2Server ${name} must be a positive integer of seconds`, { code: 'ERR_OAUTH2_OPTIONS' });
  return value;
}

function audienceOption(value: string | readonly string[] | undefined): string | readonly string[] | undefined {
  if (value === undefined) return undefined;
  const all = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(all) || all.length === 0 || all.some((a) => typeof a !== 'string' || a === '')) {
    throw new CovetError('OAuth2Server audience must be a non-empty string or a non-empty list of them', { code: 'ERR_OAUTH2_OPTIONS' });
  }
  return typeof value === 'string' ? value : [...all];
}

function path(name: string, value: string): string {
  if (typeof value !== 'string' || !value.startsWith('/')) throw new CovetError(`OAuth2Server ${name} must be a path starting with "/"`, { code: 'ERR_OAUTH2_OPTIONS' });
  return value;
}

/**
 * An OAuth 2.0 authorization server: the authorization code grant with PKCE (RFC 6749, RFC 7636),
 * client credentials, refresh tokens with rotation and reuse detection, introspection (RFC 7662),
 * revocation (RFC 7009) and metadata (RFC 8414). Access tokens are RFC 9068 JWTs (`typ: at+jwt`,
 * `aud`: the `audience` option, default the issuer) signed by `JWTAuth`; codes and refresh tokens
 * are opaque and stored hashed. `app.includeOAuth2(oauth2)` serves it.
 *
 * @example
 * const oauth2 = new OAuth2Server({
 *   authorizationEndpoint: '/oauth/authorize',
 *   tokenEndpoint: '/oauth/token',
 *   clients: { client_id: { secret: 'client_secret', redirectUris: ['http://localhost:3000/callback'] } },
 *   authenticateUser: async (req) => (req.session.get('userId') ? { id: String(req.session.get('userId')) } : null),
 * });
 * app.includeOAuth2(oauth2);
 * app.get('/api/me', oauth2.jwtAuth.requireToken(async (req) => ({ sub: req.state.user.sub })));
 */
export class OAuth2Server {
  /** The configured issuer, or `undefined` (then each request's `Host` names it). */
  readonly issuer: string | undefined;
  /** The `aud` of access tokens, or `undefined` (then each token's issuer). */
  readonly audience: string | readonly string[] | undefined;
  /** The paths served. */
  readonly paths: OAuth2Paths;
  /** Where codes, refresh tokens and revocations live. */
  readonly store: OAuth2Store;
  /**
   * Signs and verifies the access tokens. Its revocation checks read `store`, so
   * `oauth2.jwtAuth.requireToken(handler)` refuses revoked tokens (and tokens of a revoked family).
   */
  readonly jwtAuth: JWTAuth;
  readonly #clients = new Map<string, OAuth2Client>();
  readonly #scopes: Readonly<Record<string, string>> | null;
  readonly #defaultScopes: readonly string[];
  readonly #ctx: OAuth2Context;
  #logger: { error(message: string, meta?: Record<string, unknown>): void } = console;

  constructor(options: OAuth2ServerOptions = {}) {
    // `jwt.issuer` names the issuer too (as `jwt.audience` does the audience): tokens are signed
    // with the server's issuer and verified against JWTAuth's, so the two must be one.
    const jwtIssuer = options.jwt?.issuer;
    if (options.issuer !== undefined && jwtIssuer !== undefined && options.issuer !== jwtIssuer) {
      throw new CovetError('OAuth2Server issuer and jwt.issuer differ: give the issuer once', { code: 'ERR_OAUTH2_OPTIONS' });
    }
    const issuer = options.issuer ?? jwtIssuer;
    if (issuer !== undefined) {
      let url: URL | null = null;
      try {
        url = new URL(issuer);
      } catch {}
      if (url === null || url.search !== '' || url.hash !== '' || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        throw new CovetError('OAuth2Server issuer must be an http(s) URL without query or fragment', { code: 'ERR_OAUTH2_OPTIONS' });
      }
    }
    // Kept exactly as given: RFC 8414 §3.3 and RFC 9207 compare the identifier character for
    // character (metadata, the `iss` parameter), and resource servers compare `iss` as a string.
    this.issuer = issuer;
    this.audience = audienceOption(options.audience ?? options.jwt?.audience) ?? this.issuer;
    const scopes = options.scopes;
    this.#scopes = scopes === undefined ? null : isList(scopes) ? Object.fromEntries(scopes.map((s) => [s, ''])) : { ...scopes };
    this.#defaultScopes = [...(options.defaultScopes ?? [])];
    const declared = this.#scopes === null ? null : Object.keys(this.#scopes);
    for (const [id, client] of Object.entries(options.clients ?? {})) {
      this.#clients.set(id, resolveClient(clientRecord(id, client), declared, this.#defaultScopes));
    }
    this.store = options.store ?? new MemoryOAuth2Store();
    // `jwt.expirationTime` is the access-token lifetime too (JWTAuth's own would be overridden).
    const jwtLifetime = options.jwt?.expirationTime;
    if (options.accessTokenLifetime !== undefined && jwtLifetime !== undefined && options.accessTokenLifetime !== jwtLifetime) {
      throw new CovetError('OAuth2Server accessTokenLifetime and jwt.expirationTime differ: give the lifetime once', { code: 'ERR_OAUTH2_OPTIONS' });
    }
    const accessTokenLifetime =
      options.accessTokenLifetime === undefined && jwtLifetime !== undefined
        ? seconds('jwt.expirationTime', jwtLifetime)
        : seconds('accessTokenLifetime', options.accessTokenLifetime ?? DEFAULTS.accessTokenLifetime);
    this.jwtAuth = new JWTAuth(this.#jwtOptions(options.jwt, accessTokenLifetime));
    const asymmetric = !this.jwtAuth.algorithm.startsWith('HS');
    this.paths = {
      authorization: path('authorizationEndpoint', options.authorizationEndpoint ?? DEFAULTS.authorizationEndpoint),
      token: path('tokenEndpoint', options.tokenEndpoint ?? DEFAULTS.tokenEndpoint),
      introspection: path('introspectionEndpoint', options.introspectionEndpoint ?? DEFAULTS.introspectionEndpoint),
      revocation: path('revocationEndpoint', options.revocationEndpoint ?? DEFAULTS.revocationEndpoint),
      // RFC 8414 §3.1: an issuer with a path has its metadata at /.well-known/…/<path>, the
      // path's terminating "/" removed.
      metadata: path('metadataEndpoint', options.metadataEndpoint ?? DEFAULTS.metadataEndpoint + (this.issuer === undefined ? '' : new URL(this.issuer).pathname.replace(/\/+$/, ''))),
      jwks: asymmetric ? path('jwksEndpoint', options.jwksEndpoint ?? DEFAULTS.jwksEndpoint) : null,
    };
    const realm = options.realm ?? DEFAULTS.realm;
    if (/["\\\r\n]/.test(realm)) throw new CovetError('OAuth2Server realm must not contain quotes, backslashes or line breaks', { code: 'ERR_OAUTH2_OPTIONS' });
    const store = this.store;
    this.#ctx = {
      store,
      jwt: this.jwtAuth,
      realm,
      codeLifetime: seconds('codeLifetime', options.codeLifetime ?? DEFAULTS.codeLifetime),
      accessTokenLifetime,
      refreshTokenLifetime: seconds('refreshTokenLifetime', options.refreshTokenLifetime ?? DEFAULTS.refreshTokenLifetime),
      audience: this.audience,
      authenticateUser: options.authenticateUser,
      findClient: (id) => this.#findClient(id),
      issuerFor: (req) => this.issuerFor(req),
      logError: (message, error) => this.#logger.error(message, { error }),
    };
  }

  #jwtOptions(given: JWTAuthOptions | undefined, lifetime: number): JWTAuthOptions {
    const store = this.store;
    const revocations: RevocationStore = {
      async revoke(jti, ttlSeconds) {
        const first = !(await store.isAccessTokenRevoked(jti));
        const until = ttlSeconds === Number.POSITIVE_INFINITY ? Date.now() + 365 * 24 * 3600 * 1000 : Date.now() + ttlSeconds * 1000;
        await store.revokeAccessToken(jti, until);
        return first;
      },
      // The memory store answers at once: no promise per request on protected routes.
      isRevoked: store instanceof MemoryOAuth2Store ? (jti) => store.isAccessTokenRevokedSync(jti) : (jti) => store.isAccessTokenRevoked(jti),
    };
    const base: JWTAuthOptions =
      given ?? {
        // No key given: a key pair for this process only. Tokens die with it; JWKS publishes it.
        algorithm: 'ES256',
        privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      };
    // RFC 9068 access tokens: `typ: at+jwt`, required on verification too, and the audience.
    const options: { -readonly [K in keyof JWTAuthOptions]: JWTAuthOptions[K] } = {
      ...base,
      expirationTime: lifetime,
      revocationStore: revocations,
      type: 'at+jwt',
    };
    // The server's issuer (`jwt.issuer` is folded into it), as on the tokens.
    if (this.issuer !== undefined) options.issuer = this.issuer;
    if (this.audience !== undefined) options.audience = this.audience;
    return options;
  }

  async #findClient(id: string): Promise<OAuth2Client | null> {
    const known = this.#clients.get(id);
    if (known !== undefined) return known;
    const record = (await this.store.getClient?.(id)) ?? null;
    return record === null ? null : resolveClient(record, this.#scopes === null ? null : Object.keys(this.#scopes), this.#defaultScopes);
  }

  /**
   * The issuer identifier for a request: the configured one, else `http(s)://<Host>` (a
   * malformed `Host` gives `localhost`).
   */
  issuerFor(req: Request): string {
    if (this.issuer !== undefined) return this.issuer;
    const host = req.headers.get('host') ?? '';
    const raw = req.raw as { socket?: { encrypted?: boolean } } | null;
    const scheme = raw?.socket?.encrypted === true ? 'https' : 'http';
    return `${scheme}://${HOST.test(host) ? host : 'localhost'}`;
  }

  /** RFC 8414 metadata for an issuer (default: the configured one). */
  metadata(issuer: string | undefined = this.issuer): OAuth2ServerMetadata {
    if (issuer === undefined) throw new CovetError('metadata() needs an issuer: configure one or pass it', { code: 'ERR_OAUTH2_OPTIONS' });
    const plain = [...this.#clients.values()].some((c) => c.allowPlainPkce);
    return serverMetadata(issuer, this.paths, this.#scopes === null ? null : Object.keys(this.#scopes), plain);
  }

  /** The public signing keys (asymmetric algorithms only), as served at `paths.jwks`. */
  jwks(): JWKSet {
    return this.jwtAuth.jwks();
  }

  /**
   * An OpenAPI 3.1 `oauth2` security scheme for this server: the authorization code and client
   * credentials flows, with absolute URLs when `issuer` is configured (relative ones otherwise)
   * and the declared scopes.
   *
   * @example
   * const scheme = oauth2.securityScheme() // { type: 'oauth2', flows: { authorizationCode: {…}, clientCredentials: {…} } }
   */
  securityScheme(): OAuth2SecurityScheme {
    const url = (p: string): string => (this.issuer === undefined ? p : new URL(p, this.issuer).href);
    const scopes: Record<string, string> = {};
    if (this.#scopes !== null) Object.assign(scopes, this.#scopes);
    else for (const client of this.#clients.values()) for (const s of client.scopes ?? []) scopes[s] ??= '';
    const tokenUrl = url(this.paths.token);
    return {
      type: 'oauth2',
      description: 'OAuth 2.0: authorization code with PKCE, client credentials; JWT bearer access tokens.',
      flows: {
        authorizationCode: { authorizationUrl: url(this.paths.authorization), tokenUrl, refreshUrl: tokenUrl, scopes },
        clientCredentials: { tokenUrl, scopes: { ...scopes } },
      },
    };
  }

  /**
   * The routes of the server, as a group to include in an app (what `app.includeOAuth2` does):
   * the authorization endpoint (GET and POST), token, introspection, revocation, metadata and
   * (asymmetric keys) JWKS. The token, introspection and revocation endpoints authenticate the
   * client on every request, not a browser's cookies, so they carry `meta: { csrf: false }` and
   * `CSRFProtection` leaves them alone, as it does the public metadata and JWKS documents; the
   * authorization endpoint (the user's consent) stays protected.
   */
  routes(): RouteGroup {
    const ctx = this.#ctx;
    const group = new RouteGroup();
    const authorize = authorizeEndpoint(ctx);
    // A GET here signs the user in and issues a code: no automatic HEAD (405, and Allow says so).
    group.route(this.paths.authorization, { methods: ['GET', 'POST'], name: 'oauth2:authorize', exposeHeadRoute: false }, authorize);
    const clientAuthenticated = { csrf: false } as const;
    group.post(this.paths.token, { name: 'oauth2:token', meta: clientAuthenticated }, tokenEndpoint(ctx));
    group.post(this.paths.introspection, { name: 'oauth2:introspect', meta: clientAuthenticated }, introspectionEndpoint(ctx));
    group.post(this.paths.revocation, { name: 'oauth2:revoke', meta: clientAuthenticated }, revocationEndpoint(ctx));
    const server = this;
    // Public documents for machines: no CSRF cookie, which would also turn `public` caching
    // into `private` (shared caches and CDNs could no longer keep them).
    const publicDocument = { csrf: false } as const;
    group.get(this.paths.metadata, { name: 'oauth2:metadata', meta: publicDocument }, function oauth2Metadata(req: Request): Response {
      const headers: Record<string, string> = server.issuer === undefined ? { 'cache-control': 'no-store' } : { 'cache-control': 'public, max-age=3600' };
      return json(server.metadata(server.issuerFor(req)), 200, headers);
    });
    if (this.paths.jwks !== null) group.get(this.paths.jwks, { name: 'oauth2:jwks', meta: publicDocument }, this.jwtAuth.jwksHandler);
    return group;
  }

  /**
   * Called by `app.includeOAuth2(server)`: adds `routes()` to the app (tagged `oauth2`), logs
   * hook errors with the app's logger and closes the store at shutdown.
   */
  install(app: CovetApp): void {
    this.#logger = app.logger;
    app.includeRouter(this.routes(), { tags: ['oauth2'] });
    if (typeof this.store.close === 'function') app.onShutdown(() => this.close());
  }

  /** Closes the store's connections. */
  async close(): Promise<void> {
    await this.store.close?.();
  }

  /** SHA-256 (hex) of a client secret, as stores keep it. */
  static hashSecret(secret: string): string {
    return hashSecret(secret);
  }

  /**
   * A client as a store keeps it (secret hashed), for `store.saveClient(...)`.
   *
   * @example
   * await store.saveClient(OAuth2Server.clientRecord('spa', { redirectUris: ['https://app.example/cb'] }))
   */
  static clientRecord(id: string, options: OAuth2ClientOptions): OAuth2ClientRecord {
    return clientRecord(id, options);
  }
}
