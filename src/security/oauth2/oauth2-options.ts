import type { Request } from '../../request.js';
import type { Response } from '../../response.js';
import type { JWTAuthOptions } from '../jwt-auth.js';
import type { OAuth2Store } from './oauth2-store.js';

/** The grants an `OAuth2Server` implements. */
export type OAuth2GrantType = 'authorization_code' | 'client_credentials' | 'refresh_token';

/** The signed-in user the authorization endpoint issues a code for. */
export interface OAuth2User {
  /** Becomes the access token's `sub` (as a string). */
  readonly id: string | number;
}

/**
 * The login/consent hook: the user behind an authorization request, `null` when they are not
 * signed in or refused (the client gets `error=access_denied`), or a `Response` to send
 * instead (a login or consent page; the request's query string holds everything needed to come
 * back to the authorization endpoint afterwards).
 */
export type AuthenticateUser = (req: Request) => Promise<OAuth2User | Response | null> | OAuth2User | Response | null;

/** A registered client, as given in `OAuth2ServerOptions.clients`. */
export interface OAuth2ClientOptions {
  /**
   * The client secret: a confidential client authenticates with it (`client_secret_basic` or
   * `client_secret_post`). Leave it out for a public client (a browser or mobile app), which
   * must use PKCE with `S256`.
   */
  readonly secret?: string;
  /** Redirect URIs, compared character for character (no prefix or pattern matching). */
  readonly redirectUris?: readonly string[];
  /** Scopes this client may ask for. Default: every scope of the server's `scopes`. */
  readonly scopes?: readonly string[];
  /** Scopes granted when a request names none. Default: the server's `defaultScopes`. */
  readonly defaultScopes?: readonly string[];
  /**
   * Grants this client may use. Default: `authorization_code`, `refresh_token` and (for
   * confidential clients) `client_credentials`.
   */
  readonly grantTypes?: readonly OAuth2GrantType[];
  /** Accept `code_challenge_method=plain` from this client. Default `false`: only `S256`. */
  readonly allowPlainPkce?: boolean;
  /** Require PKCE from this confidential client too. Default `false` (always required for public clients). */
  readonly requirePkce?: boolean;
}

/** Constructor options of `OAuth2Server`. */
export interface OAuth2ServerOptions {
  /**
   * The issuer identifier (`https://auth.example.com`): the `iss` of tokens and metadata, and
   * the base of the endpoint URLs. Default: taken from each request's `Host` header (fine for
   * development; set it in production so a forged `Host` cannot change it).
   */
  readonly issuer?: string;
  /**
   * The `aud` of access tokens (RFC 9068 §3): the resource server(s) they are for. Default
   * `jwt.audience` if given, else the issuer (the configured one, else each request's), for a
   * server whose own routes are the resource. When it is fixed (given, or the configured
   * issuer) `oauth2.jwtAuth` requires it on the tokens it verifies.
   */
  readonly audience?: string | readonly string[];
  /** Registered clients by `client_id`. More can come from the `store` (`getClient`). */
  readonly clients?: Readonly<Record<string, OAuth2ClientOptions>>;
  /**
   * The login/consent hook of the authorization endpoint. Without it the authorization
   * endpoint answers 501 (the other grants still work).
   */
  readonly authenticateUser?: AuthenticateUser;
  /**
   * The scopes the server knows, with descriptions (shown in metadata and OpenAPI), or as a
   * list. Default: none declared, and then any scope a client's `scopes` allow.
   */
  readonly scopes?: Readonly<Record<string, string>> | readonly string[];
  /** Scopes granted when a request names none and the client has no `defaultScopes`. Default: none. */
  readonly defaultScopes?: readonly string[];
  /**
   * How access tokens are signed, as `JWTAuth` options (`secretKey` for HS*, `privateKey` for
   * RS/PS/ES/EdDSA, `previousKeys`…). Default: a new ES256 key pair for this process,
   * published at `jwksEndpoint` (tokens do not survive a restart: give a key in production).
   * `revocationStore` is ignored: revocations live in `store`, and `oauth2.jwtAuth` reads them;
   * so is `type` (access tokens are `at+jwt`). `issuer`, `audience` and `expirationTime` stand for the
   * server's `issuer`, `audience` and `accessTokenLifetime` when those are not given (an issuer or a lifetime
   * given in both places must agree; the server's `audience` wins over `jwt.audience`).
   */
  readonly jwt?: JWTAuthOptions;
  /** Where codes, refresh tokens and revocations live. Default: a new `MemoryOAuth2Store`. */
  readonly store?: OAuth2Store;
  /** Access-token lifetime in seconds. Default 3600. */
  readonly accessTokenLifetime?: number;
  /** Refresh-token lifetime in seconds (each rotation starts a new one). Default 14 days. */
  readonly refreshTokenLifetime?: number;
  /** Authorization-code lifetime in seconds. Default 60. */
  readonly codeLifetime?: number;
  /** Default `/oauth/authorize`. */
  readonly authorizationEndpoint?: string;
  /** Default `/oauth/token`. */
  readonly tokenEndpoint?: string;
  /** Default `/oauth/introspect`. */
  readonly introspectionEndpoint?: string;
  /** Default `/oauth/revoke`. */
  readonly revocationEndpoint?: string;
  /** Default `/.well-known/oauth-authorization-server`, followed by the issuer's path if it has one (RFC 8414 §3). */
  readonly metadataEndpoint?: string;
  /** Default `/.well-known/jwks.json` (served only for asymmetric keys). */
  readonly jwksEndpoint?: string;
  /** `realm` of the `WWW-Authenticate: Basic` challenge. Default `oauth2`. */
  readonly realm?: string;
}
