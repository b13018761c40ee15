export {
  type AddDatabaseOptions,
  type AppLifecycleMessage,
  type AppLifecycleState,
  CovetApp,
  type CovetAppOptions,
  type InjectOptions,
  type InjectResponse,
  type Integration,
  type ListenInfo,
  type ListenOptions,
  type Logger,
  type ManagedDatabase,
  type OAuth2Provider,
  type NodeServer,
  type RequestErrorMessage,
} from './app.js';
export { Config, ConfigError, type ConfigLoadOptions, type DotEnvOptions, type DotEnvVariables, env, loadDotEnv, maskValue, parseDotEnv, Secret } from './config.js';
export { Depends, type Dependency, type DependencyOverrides, type DependsOptions, type Provided } from './depends.js';
export { CovetError, HTTPException, type HTTPExceptionOptions } from './errors.js';
export { type CookieOptions, parseCookies, serializeCookie } from './http/cookie.js';
export { CompressionMiddleware, type CompressionOptions, type Encoding, isCompressible, negotiateEncoding } from './http/compress.js';
export { CookieSigner, type CookieKey, type VerifiedCookie } from './http/signed-cookie.js';
export type { Session, SessionData, SessionKey, SessionStore } from './http/session.js';
export { SessionMiddleware, type SessionOptions } from './http/session-middleware.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './http/session-memory-store.js';
export { RedisSessionStore, type RedisClientLike, type RedisSessionStoreOptions } from './http/session-redis-store.js';
export { DatabaseSessionStore, type DatabaseLike, type DatabaseSessionStoreOptions } from './http/session-database-store.js';
export { type HeadersInit, RequestHeaders, ResponseHeaders } from './http/headers.js';
export { contentTypeFor, file, type FileOptions } from './http/file.js';
export { MULTIPART_DEFAULTS, type MultipartOptions } from './http/multipart.js';
export { QueryParams, type QueryType } from './http/query-params.js';
export { UploadFile, type UploadFileInit } from './http/upload-file.js';
export type { StaticOptions } from './http/static.js';
export type { ServerOptions } from './http/server.js';
export type { TLSOptions } from './http/tls.js';
export { formatEvent, sse, type SSEEvent, type SSEOptions } from './http/sse.js';
export { WebSocket, type WebSocketClose, type WebSocketReadyState } from './http/websocket/websocket.js';
export { WebSocketDisconnect } from './http/websocket/websocket-disconnect.js';
export { WebSocketError, type WebSocketErrorCode } from './http/websocket/websocket-error.js';
export { WebSocketHandshakeError } from './http/websocket/websocket-handshake-error.js';
export type { WebSocketOptions } from './http/websocket/websocket-options.js';
export type { WebSocketHandler, WebSocketRouteOptions } from './http/websocket/websocket-route.js';
export type { InjectWebSocketOptions } from './http/websocket/websocket-registry.js';
export type {
  DocsOptions,
  JSONSchema,
  JSONSchemaObject,
  OpenAPIComponents,
  OpenAPIDocument,
  OpenAPIInfo,
  OpenAPIMediaType,
  OpenAPIMethod,
  OpenAPIOperation,
  OpenAPIOptions,
  OpenAPIParameter,
  OpenAPIPathItem,
  OpenAPIRequestBody,
  OpenAPIResponse,
  OpenAPISecurityRequirement,
  OpenAPISecurityScheme,
  OpenAPIServer,
  OpenAPITag,
} from './openapi/openapi-types.js';
export { definePlugin, type Plugin } from './plugin.js';
export { type ClientAddress, type FormValue, type MatchedRoute, Request, RequestForm, type RequestURL, type UploadFileLike } from './request.js';
export { type BodyChunk, html, json, redirect, Response, type ResponseBody, type ResponseInit, stream, text } from './response.js';
export { type GroupOptions, RouteGroup, type RouteShorthand } from './route-group.js';
export { isStandardSchema, type SchemaIssue, type SchemaOutput, type SchemaResult, type StandardSchemaV1, validate, validateQuery } from './schema.js';
export { Router, type RouteMatch } from './router/index.js';
export type {
  CallNext,
  DepsMap,
  Handler,
  Method,
  MethodName,
  Middleware,
  MiddlewareFunction,
  MiddlewareObject,
  PathParams,
  RequestState,
  ResolvedDeps,
  ResponseCheck,
  ResponseOption,
  ResponseResult,
  ResponseSchema,
  RouteHandler,
  RouteMeta,
  RouteOptions,
  RouteSchema,
  RouteStatus,
} from './types.js';
export { METHODS } from './types.js';
export type { ConsoleOptions } from './console/console-options.js';
