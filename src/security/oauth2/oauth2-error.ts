import { HTTPException } from '../../errors.js';

/** The error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7009 and RFC 7662. */
export type OAuth2ErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'unsupported_token_type';

/**
 * An OAuth 2.0 protocol error. Its response body is exactly RFC 6749 §5.2's
 * `{ "error": code, "error_description"?: text }`; `status` is 400 unless said otherwise.
 *
 * @example
 * throw new OAuth2Error('invalid_grant', 'Authorization code expired')
 */
export class OAuth2Error extends HTTPException {
  /** The RFC 6749 error code (`error`). */
  readonly error: OAuth2ErrorCode;
  /** Human-readable text (`error_description`), ASCII only as RFC 6749 asks. */
  readonly description: string | undefined;

  constructor(error: OAuth2ErrorCode, description?: string, options: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> } = {}) {
    const body: { error: OAuth2ErrorCode; error_description?: string } = { error };
    if (description !== undefined) body.error_description = description;
    super(options.status ?? 400, description ?? error, {
      code: `ERR_OAUTH2_${error.toUpperCase()}`,
      body,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    this.error = error;
    this.description = description;
  }
}
