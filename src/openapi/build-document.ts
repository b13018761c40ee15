import { STATUS_CODES } from 'node:http';
import { type OpenAPIMeta, openAPIMetaOf } from '../internal/openapi-meta.js';
import { jsonSchemaOf } from './json-schema-of.js';
import type {
  JSONSchema,
  OpenAPIDocument,
  OpenAPIMediaType,
  OpenAPIMethod,
  OpenAPIOperation,
  OpenAPIOptions,
  OpenAPIParameter,
  OpenAPIResponse,
  OpenAPISecurityRequirement,
  OpenAPISecurityScheme,
} from './openapi-types.js';
import { openAPIPath } from './path-parameters.js';
import { responseSchemas } from './response-option.js';
import { SchemaComponents } from './schema-components.js';

/** What the builder needs to know of one route (one method of it). */
export interface DocumentedRoute {
  readonly method: string;
  /** The full path, prefixes included, in Covet syntax (`/users/{id:int}`). */
  readonly path: string;
  readonly name: string | undefined;
  readonly summary?: string | undefined;
  readonly description?: string | undefined;
  readonly tags: readonly string[];
  readonly deprecated?: boolean | undefined;
  /** `false`: not in the document. */
  readonly includeInSchema?: boolean | undefined;
  readonly body?: unknown;
  readonly query?: unknown;
  readonly response?: unknown;
  /** The handler and its middleware chain, read for wrapper annotations (security, errors). */
  readonly handler: unknown;
  readonly middleware: readonly unknown[];
}

const METHODS: ReadonlySet<string> = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const ERROR_SCHEMA: JSONSchema = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };
/** A 400 is a validation failure (`{"errors": {field: [...]}}`) or an unreadable body (`{"error"}`). */
const VALIDATION_SCHEMA: JSONSchema = {
  anyOf: [
    {
      type: 'object',
      properties: { errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
      required: ['errors'],
    },
    ERROR_SCHEMA,
  ],
};

function describe(status: string): string {
  return STATUS_CODES[Number(status)] ?? 'Response';
}

function hasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 205 || status === 304;
}

function jsonContent(schema: JSONSchema): Record<string, OpenAPIMediaType> {
  return { 'application/json': { schema } };
}

/** `GET /users/{id}` → `getUsersById`; used when a route has no name. */
function generatedOperationId(method: string, template: string): string {
  const words = template
    .split('/')
    .filter(Boolean)
    .map((seg) => {
      const param = /^\{(.+)\}$/.exec(seg);
      const text = (param ? `by_${param[1]}` : seg).replace(/[^A-Za-z0-9]+/g, '_');
      return text
        .split('_')
        .filter(Boolean)
        .map((w) => w[0]?.toUpperCase() + w.slice(1))
        .join('');
    });
  return method + (words.join('') || 'Root');
}

/** The annotations of a route's middleware chain and handler, merged. */
function metaOf(route: DocumentedRoute): OpenAPIMeta[] {
  const out: OpenAPIMeta[] = [];
  for (const fn of [...route.middleware, route.handler]) {
    const meta = openAPIMetaOf(fn);
    if (meta !== undefined) out.push(meta);
  }
  return out;
}

/** Query parameters from the query schema: one per property of an object schema. */
function queryParameters(schema: JSONSchema): OpenAPIParameter[] {
  if (typeof schema === 'boolean' || schema.type !== 'object' || schema.properties === undefined) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const parameter: OpenAPIParameter = { name, in: 'query', required: required.has(name), schema: property };
    const description = typeof property === 'object' ? property.description : undefined;
    if (description !== undefined) parameter.description = description;
    return parameter;
  });
}

/**
 * Builds an OpenAPI 3.1 document from route records (`app.openapi()` gathers them, mounted
 * apps and included routers included).
 *
 * @example
 * const doc = buildOpenAPIDocument([{ method: 'GET', path: '/users/{id:int}', name: 'user', tags: [], handler, middleware: [] }], { title: 'Users' });
 */
export function buildOpenAPIDocument(
  routes: readonly DocumentedRoute[],
  options: OpenAPIOptions = {},
  extraSchemes: Readonly<Record<string, OpenAPISecurityScheme>> = {},
): OpenAPIDocument {
  const components = new SchemaComponents();
  const securitySchemes: Record<string, OpenAPISecurityScheme> = { ...extraSchemes };
  const paths: OpenAPIDocument['paths'] = {};
  const usedIds = new Set<string>();
  const tagNames: string[] = [];

  for (const route of routes) {
    const method = route.method.toLowerCase();
    if (!METHODS.has(method)) continue; // OpenAPI has no place for custom methods
    if (route.includeInSchema === false) continue;
    const metas = metaOf(route);
    if (metas.some((m) => m.exclude)) continue;
    const { template, parameters } = openAPIPath(route.path);
    const base = route.name ?? generatedOperationId(method, template);
    // A named route answering several methods: `name` for the first, `name_post` for the others.
    let operationId = usedIds.has(base) && route.name !== undefined ? `${base}_${method}` : base;
    for (let i = 2; usedIds.has(operationId); i++) operationId = `${base}_${i}`;
    usedIds.add(operationId);

    const operation: Omit<OpenAPIOperation, 'responses'> = { operationId };
    if (route.summary !== undefined) operation.summary = route.summary;
    if (route.description !== undefined) operation.description = route.description;
    if (route.deprecated === true) operation.deprecated = true;
    const tags = [...new Set(route.tags)];
    if (tags.length > 0) {
      operation.tags = tags;
      for (const tag of tags) if (!tagNames.includes(tag)) tagNames.push(tag);
    }
    if (route.query !== undefined) parameters.push(...queryParameters(components.place(jsonSchemaOf(route.query))));
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.body !== undefined) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: components.place(jsonSchemaOf(route.body)) } } };
    }

    const responses: Record<string, OpenAPIResponse> = {};
    const declared = responseSchemas(route.response);
    if (declared === undefined) {
      responses['200'] = { description: 'Successful response' };
    } else {
      if (declared.success !== undefined) {
        responses['200'] = { description: 'Successful response', content: jsonContent(components.place(jsonSchemaOf(declared.success))) };
      }
      for (const [status, schema] of declared.byStatus) {
        // A 1xx, 204, 205 or 304 response has no body (RFC 9110), so it has no content to describe.
        responses[String(status)] = hasNoBody(status)
          ? { description: describe(String(status)) }
          : { description: describe(String(status)), content: jsonContent(components.place(jsonSchemaOf(schema))) };
      }
    }
    if ((route.body !== undefined || route.query !== undefined) && responses['400'] === undefined) {
      responses['400'] = { description: 'Validation failed', content: jsonContent(VALIDATION_SCHEMA) };
    }
    const security: OpenAPISecurityRequirement[] = [];
    for (const meta of metas) {
      for (const [name, scheme] of Object.entries(meta.securitySchemes ?? {})) securitySchemes[name] ??= scheme as OpenAPISecurityScheme;
      for (const requirement of meta.security ?? []) {
        const copy: OpenAPISecurityRequirement = {};
        for (const [name, scopes] of Object.entries(requirement)) copy[name] = [...scopes];
        // Wrappers around wrappers repeat a requirement: list each once.
        if (!security.some((s) => JSON.stringify(s) === JSON.stringify(copy))) security.push(copy);
      }
      for (const [status, description] of Object.entries(meta.responses ?? {})) {
        responses[status] ??= { description, content: jsonContent(ERROR_SCHEMA) };
      }
    }
    // Several guards on one route must all pass: one requirement object naming every scheme.
    const item = (paths[template] ??= {});
    item[method as OpenAPIMethod] = { ...operation, responses, ...(security.length > 0 ? { security: [Object.assign({}, ...security)] } : {}) };
  }

  Object.assign(securitySchemes, options.securitySchemes);
  const document: OpenAPIDocument = {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Covet API',
      version: options.version ?? '1.0.0',
      ...(options.description === undefined ? {} : { description: options.description }),
    },
    ...(options.servers === undefined ? {} : { servers: options.servers.map((s) => ({ ...s })) }),
    paths,
  };
  const schemaNames = Object.keys(components.schemas);
  if (schemaNames.length > 0 || Object.keys(securitySchemes).length > 0) {
    document.components = {
      ...(schemaNames.length > 0 ? { schemas: components.schemas } : {}),
      ...(Object.keys(securitySchemes).length > 0 ? { securitySchemes } : {}),
    };
  }
  const declaredTags = options.tags ?? [];
  const tags = [...declaredTags.map((t) => ({ ...t })), ...tagNames.filter((n) => !declaredTags.some((t) => t.name === n)).map((name) => ({ name }))];
  if (tags.length > 0) document.tags = tags;
  if (options.security !== undefined) document.security = options.security.map((r) => ({ ...r }));
  return document;
}
