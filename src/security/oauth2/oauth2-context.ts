import type { Request } from '../../request.js';
import type { JWTAuth } from '../jwt-auth.js';
import type { OAuth2Client } from './oauth2-client.js';
import type { AuthenticateUser } from './oauth2-options.js';
import type { OAuth2Store } from './oauth2-store.js';

/** What the endpoint handlers share: resolved options, the store and the signer. Internal. */
export interface OAuth2Context {
  readonly store: OAuth2Store;
  readonly jwt: JWTAuth;
  readonly realm: string;
  /** Seconds. */
  readonly codeLifetime: number;
  readonly accessTokenLifetime: number;
  readonly refreshTokenLifetime: number;
  /** The configured `aud` of access tokens; `undefined`: each token's issuer. */
  readonly audience: string | readonly string[] | undefined;
  readonly authenticateUser: AuthenticateUser | undefined;
  findClient(clientId: string): Promise<OAuth2Client | null>;
  /** The issuer identifier for this request (configured, or from `Host`). */
  issuerFor(req: Request): string;
  /** Reports an error of the application's hook (the client only sees `server_error`). */
  logError(message: string, error: unknown): void;
}
