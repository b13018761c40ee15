import { HTTPException } from '../errors.js';

/** Stable codes of `JWTError`. */
export type JWTErrorCode =
  | 'ERR_JWT_MISSING'
  | 'ERR_JWT_TOO_LARGE'
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWT_ALGORITHM'
  | 'ERR_JWT_CRIT'
  | 'ERR_JWT_TYPE'
  | 'ERR_JWT_SIGNATURE'
  | 'ERR_JWT_CLAIMS'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_NOT_YET_VALID'
  | 'ERR_JWT_ISSUER'
  | 'ERR_JWT_AUDIENCE'
  | 'ERR_JWT_REVOKED'
  | 'ERR_JWT_TOKEN_USE';

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/**
 * A token that is missing or does not verify: a 401 `HTTPException` with a stable `code`,
 * body `{"error": message}` and an RFC 6750 `WWW-Authenticate` header
 * (`Bearer error="invalid_token", error_description="..."`; just `Bearer` when no token was sent).
 *
 * @example
 * try { await jwtAuth.verifyToken(token) } catch (e) { if (e instanceof JWTError && e.code === 'ERR_JWT_EXPIRED') … }
 */
export class JWTError extends HTTPException {
  declare readonly code: JWTErrorCode;

  constructor(message: string, code: JWTErrorCode, realm?: string) {
    const params: string[] = [];
    if (realm !== undefined) params.push(`realm=${quoted(realm)}`);
    if (code !== 'ERR_JWT_MISSING') params.push('error="invalid_token"', `error_description=${quoted(message)}`);
    const challenge = params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
    super(401, message, { code, headers: { 'www-authenticate': challenge } });
  }
}
