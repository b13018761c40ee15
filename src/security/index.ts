export type { AnyRequest, GuardedHandler, WithUser, WrappedHandler } from './auth-types.js';
export {
  type CreateTokenOptions,
  type HeadersLike,
  type JWKSet,
  JWTAuth,
  type JWTAuthOptions,
  type JWTClaims,
  type TokenPair,
  type TokenPayload,
  type VerifyTokenOptions,
  type WebSocketLike,
} from './jwt-auth.js';
export { JWTError, type JWTErrorCode } from './jwt-error.js';
export { JWT_ALGORITHMS, type JWTAlgorithm, type KeyInput } from './jwt-keys.js';
export { MemoryRevocationStore, type RedisLike, RedisRevocationStore, type RedisRevocationStoreOptions, type RevocationStore } from './revocation-store.js';
export { safeEqual } from './timing-safe.js';
export { hashPassword, MAX_PASSWORD_BYTES, type PasswordHashOptions, passwordNeedsRehash, verifyPassword } from './password.js';
export { InputValidator } from './input-validator.js';
export { ValidationError } from '../validation-error.js';
export {
  type CustomCheck,
  type FieldOutput,
  type FieldRule,
  type FieldType,
  isEmail,
  isUrl,
  type Rules,
  type RulesOutput,
  type ValidateOptions,
  Validator,
  type ValidatorOptions,
} from '../validator.js';
export { RoleBasedAccessControl, type RoleBearer, type RoleOptions } from './rbac.js';
export { CORSMiddleware, type CORSOptions, type OriginRule } from './cors.js';
export { type CSRFOptions, CSRFProtection } from './csrf.js';
export { SecurityConfig, type SecurityConfigOptions } from './security-config.js';
export { type CSPDirectives, CSP_NONCE, type HSTSOptions, SecurityHeaders, type SecurityHeadersOptions } from './security-headers.js';
export { type SQLInjectionFinding, SQLInjectionProtector, type SQLInjectionProtectorOptions } from './sql-injection-protector.js';
export { escapeHtml, XSSProtector, type XSSProtectorOptions } from './xss-protector.js';
export { clientIp, IPSet, ipv6Subnet, normalizeIp } from './rate-limiter-ip.js';
export {
  MemoryRateLimitStore,
  type RateLimitDecision,
  type RateLimitRedisLike,
  type RateLimitRule,
  type RateLimitStore,
  RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
} from './rate-limiter-store.js';
export { parseRateLimit, type RateLimit, RateLimiter, type RateLimiterOptions, type RateLimitResult, RateLimitStoreError } from './rate-limiter.js';
export { type ConnectionSource, DDoSProtector, type DDoSProtectorOptions, type SocketLike } from './ddos-protector.js';
export { OAuth2Server, type OAuth2SecurityScheme } from './oauth2/oauth2-server.js';
export type { AuthenticateUser, OAuth2ClientOptions, OAuth2GrantType, OAuth2ServerOptions, OAuth2User } from './oauth2/oauth2-options.js';
export { OAuth2Error, type OAuth2ErrorCode } from './oauth2/oauth2-error.js';
export type { AuthorizationCodeRecord, ConsumeResult, OAuth2ClientRecord, OAuth2Store, RefreshTokenRecord } from './oauth2/oauth2-store.js';
export { MemoryOAuth2Store } from './oauth2/memory-oauth2-store.js';
export { DatabaseOAuth2Store, type DatabaseOAuth2StoreOptions, type OAuth2DatabaseLike } from './oauth2/database-oauth2-store.js';
export type { OAuth2Paths, OAuth2ServerMetadata } from './oauth2/server-metadata.js';
