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
export { InputValidator } from './input-validator.js';
export { ValidationError } from './validation-error.js';
export {
  type CustomCheck,
  type FieldOutput,
  type FieldRule,
  type FieldType,
  isEmail,
  isUrl,
  type Rules,
  type RulesOutput,
  Validator,
  type ValidatorOptions,
} from './validator.js';
export { RoleBasedAccessControl, type RoleBearer, type RoleOptions } from './rbac.js';
export { CORSMiddleware, type CORSOptions, type OriginRule } from './cors.js';
export { type CSRFOptions, CSRFProtection } from './csrf.js';
export { SecurityConfig, type SecurityConfigOptions } from './security-config.js';
export { type CSPDirectives, type HSTSOptions, SecurityHeaders, type SecurityHeadersOptions } from './security-headers.js';
export { type SQLInjectionFinding, SQLInjectionProtector, type SQLInjectionProtectorOptions } from './sql-injection-protector.js';
export { escapeHtml, XSSProtector, type XSSProtectorOptions } from './xss-protector.js';
export { clientIp, IPSet, normalizeIp } from './rate-limiter-ip.js';
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
