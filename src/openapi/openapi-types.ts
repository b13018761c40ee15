/**
 * The shapes of an OpenAPI 3.1 document as `app.openapi()` builds it (a subset of the
 * specification: what Covet emits, typed for code that reads the document).
 */

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1): an object or `true`/`false`. */
export type JSONSchema = boolean | JSONSchemaObject;

/** A JSON Schema object; the common keywords are typed, the rest pass through. */
export interface JSONSchemaObject {
  type?: string | readonly string[];
  format?: string;
  properties?: Record<string, JSONSchema>;
  required?: readonly string[];
  additionalProperties?: JSONSchema;
  items?: JSONSchema;
  prefixItems?: readonly JSONSchema[];
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: readonly JSONSchema[];
  oneOf?: readonly JSONSchema[];
  allOf?: readonly JSONSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
  $ref?: string;
  [keyword: string]: unknown;
}

/** `info` of the document. */
export interface OpenAPIInfo {
  title: string;
  version: string;
  description?: string;
  [extension: `x-${string}`]: unknown;
}

/** One entry of `servers`. */
export interface OpenAPIServer {
  url: string;
  description?: string;
}

/** One entry of `tags`. */
export interface OpenAPITag {
  name: string;
  description?: string;
}

/** A path, query, header or cookie parameter. */
export interface OpenAPIParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema: JSONSchema;
}

/** A media type entry of `content`. */
export interface OpenAPIMediaType {
  schema: JSONSchema;
}

/** `requestBody` of an operation. */
export interface OpenAPIRequestBody {
  required?: boolean;
  description?: string;
  content: Record<string, OpenAPIMediaType>;
}

/** One response of an operation. */
export interface OpenAPIResponse {
  description: string;
  headers?: Record<string, Record<string, unknown>>;
  content?: Record<string, OpenAPIMediaType>;
}

/** A Security Requirement Object: scheme name → scopes. */
export type OpenAPISecurityRequirement = Record<string, string[]>;

/** A Security Scheme Object (http bearer, apiKey, oauth2, openIdConnect…). */
export interface OpenAPISecurityScheme {
  type: 'http' | 'apiKey' | 'oauth2' | 'openIdConnect' | 'mutualTLS';
  [field: string]: unknown;
}

/** One operation (a method of a path). */
export interface OpenAPIOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: OpenAPIParameter[];
  requestBody?: OpenAPIRequestBody;
  responses: Record<string, OpenAPIResponse>;
  security?: OpenAPISecurityRequirement[];
  deprecated?: boolean;
  [extension: `x-${string}`]: unknown;
}

/** The HTTP methods a Path Item may hold. */
export type OpenAPIMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';

/** A Path Item: method → operation. */
export type OpenAPIPathItem = { [M in OpenAPIMethod]?: OpenAPIOperation };

/** `components` of the document. */
export interface OpenAPIComponents {
  schemas?: Record<string, JSONSchema>;
  securitySchemes?: Record<string, OpenAPISecurityScheme>;
}

/** The document `app.openapi()` returns (OpenAPI 3.1.0). */
export interface OpenAPIDocument {
  openapi: '3.1.0';
  info: OpenAPIInfo;
  servers?: OpenAPIServer[];
  paths: Record<string, OpenAPIPathItem>;
  components?: OpenAPIComponents;
  tags?: OpenAPITag[];
  security?: OpenAPISecurityRequirement[];
}

/** Options of `app.openapi()`. */
export interface OpenAPIOptions {
  /** Default `"Covet API"`. */
  readonly title?: string;
  /** The API's version. Default `"1.0.0"`. */
  readonly version?: string;
  readonly description?: string;
  /** Base URLs, e.g. `[{ url: "https://api.example.com" }]`. */
  readonly servers?: readonly OpenAPIServer[];
  /** Tag descriptions (and their order on the docs page). */
  readonly tags?: readonly OpenAPITag[];
  /** Extra security schemes for `components.securitySchemes` (merged over the detected ones). */
  readonly securitySchemes?: Readonly<Record<string, OpenAPISecurityScheme>>;
  /** Security applied to every operation that does not declare its own. */
  readonly security?: readonly OpenAPISecurityRequirement[];
}

/** Options of `app.docs()`: where the JSON document is served, and the document's options. */
export interface DocsOptions extends OpenAPIOptions {
  /** Path of the JSON document. Default `/openapi.json`. */
  readonly openapiPath?: string;
}
