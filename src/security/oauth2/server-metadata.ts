/** RFC 8414 authorization server metadata, as `OAuth2Server.metadata()` returns it. */
export interface OAuth2ServerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly introspection_endpoint: string;
  readonly revocation_endpoint: string;
  readonly jwks_uri?: string;
  readonly scopes_supported?: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly response_modes_supported: readonly string[];
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly introspection_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly code_challenge_methods_supported: readonly string[];
  readonly authorization_response_iss_parameter_supported: true;
}

/** The endpoint paths an `OAuth2Server` serves. */
export interface OAuth2Paths {
  readonly authorization: string;
  readonly token: string;
  readonly introspection: string;
  readonly revocation: string;
  readonly metadata: string;
  /** `null` when the signing key is a shared secret (nothing to publish). */
  readonly jwks: string | null;
}

/** Builds the metadata document for an issuer. */
export function serverMetadata(issuer: string, paths: OAuth2Paths, scopes: readonly string[] | null, plainPkce: boolean): OAuth2ServerMetadata {
  const at = (path: string): string => new URL(path, issuer).href;
  const metadata: { -readonly [K in keyof OAuth2ServerMetadata]: OAuth2ServerMetadata[K] } = {
    issuer,
    authorization_endpoint: at(paths.authorization),
    token_endpoint: at(paths.token),
    introspection_endpoint: at(paths.introspection),
    revocation_endpoint: at(paths.revocation),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: plainPkce ? ['S256', 'plain'] : ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
  if (paths.jwks !== null) metadata.jwks_uri = at(paths.jwks);
  if (scopes !== null) metadata.scopes_supported = scopes;
  return metadata;
}
