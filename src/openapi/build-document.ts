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
  /** The `status` route option: the status of a plain value (default 200). */
  readonly status?: number | undefined;
  /** The route has the `multipart` option: it takes `multipart/form-data` uploads. */
  readonly multipart?: boolean | undefined;
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

/** The properties a query schema describes, with the names it requires. */
interface QueryFields {
  readonly properties: Map<string, JSONSchema[]>;
  readonly required: Set<string>;
}

/** A schema's distinct alternatives, once each (`anyOf` of several, the schema itself of one). */
function combined(schemas: readonly JSONSchema[], keyword: 'anyOf' | 'allOf'): JSONSchema {
  const distinct: JSONSchema[] = [];
  for (const schema of schemas) if (!distinct.some((d) => JSON.stringify(d) === JSON.stringify(schema))) distinct.push(schema);
  return distinct.length === 1 ? (distinct[0] as JSONSchema) : { [keyword]: distinct };
}

/**
 * The fields of a query schema: an object's `properties`, the members of a union (`anyOf`,
 * `oneOf`: every member's properties, required when every member requires them) and the parts
 * of an intersection (`allOf`: merged, required when a part requires them). `undefined` for a
 * schema that describes no object (nothing to document).
 */
function queryFields(schema: JSONSchema, depth = 0): QueryFields | undefined {
  if (typeof schema === 'boolean' || depth > 8) return undefined;
  const parts: QueryFields[] = [];
  if (schema.properties !== undefined && (schema.type === undefined || schema.type === 'object')) {
    const properties = new Map<string, JSONSchema[]>();
    for (const [name, property] of Object.entries(schema.properties)) properties.set(name, [property]);
    parts.push({ properties, required: new Set((schema.required ?? []).filter((name) => properties.has(name))) });
  }
  for (const part of schema.allOf ?? []) {
    const fields = queryFields(part, depth + 1);
    if (fields !== undefined) parts.push(fields);
  }
  const members = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (members.length > 0) {
    const branches = members.map((member) => queryFields(member, depth + 1));
    const objects = branches.filter((b): b is QueryFields => b !== undefined);
    if (objects.length > 0) {
      const properties = new Map<string, JSONSchema[]>();
      for (const branch of objects) {
        for (const [name, list] of branch.properties) properties.set(name, [...(properties.get(name) ?? []), ...list]);
      }
      // A name is required only when no member can do without it (a member that is no object, such
      // as `null` in an optional query, requires nothing).
      const required = new Set([...properties.keys()].filter((name) => branches.every((b) => b?.required.has(name) === true)));
      for (const [name, list] of properties) properties.set(name, [combined(list, 'anyOf')]);
      parts.push({ properties, required });
    }
  }
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const properties = new Map<string, JSONSchema[]>();
  const required = new Set<string>();
  for (const part of parts) {
    for (const [name, list] of part.properties) properties.set(name, [...(properties.get(name) ?? []), ...list]);
    for (const name of part.required) required.add(name);
  }
  return { properties, required };
}

/**
 * Query parameters from the query schema: one per property of an object schema, of a union's
 * members or of an intersection's parts (see `queryFields`).
 */
function queryParameters(schema: JSONSchema): OpenAPIParameter[] {
  const fields = queryFields(schema);
  if (fields === undefined) return [];
  return [...fields.properties].map(([name, list]) => {
    const property = combined(list, 'allOf');
    const parameter: OpenAPIParameter = { name, in: 'query', required: fields.required.has(name), schema: property };
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
  /** The first template of each path hierarchy (`/a/{}`). */
  const templates = new Map<string, string>();
  const tagNames: string[] = [];

  for (const route of routes) {
    const method = route.method.toLowerCase();
    if (!METHODS.has(method)) continue; // OpenAPI has no place for custom methods
    if (route.includeInSchema === false) continue;
    const metas = metaOf(route);
    if (metas.some((m) => m.exclude)) continue;
    const path = openAPIPath(route.path);
    const parameters = path.parameters;
    // `/a/{id:int}`, `/a/{id}` and `/a/{slug}` are one OpenAPI path (OpenAPI forbids templates
    // that differ only in parameter names): the first route's template is used, its parameter
    // names given to the others' path parameters. For the same method, the route added first
    // is documented and the others left out (a path holds one operation per method).
    const hierarchy = path.template.replace(/\{[^}]*\}/g, '{}');
    const template = templates.get(hierarchy) ?? path.template;
    templates.set(hierarchy, template);
    if (paths[template]?.[method as OpenAPIMethod] !== undefined) continue;
    if (template !== path.template) {
      const names = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] as string);
      parameters.forEach((parameter, i) => {
        parameter.name = names[i] as string;
      });
    }
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
    } else if (route.multipart === true) {
      // A `body` schema makes the body JSON; without one, the `multipart` option says the route
      // reads uploads (`req.form()`), whose fields no schema describes.
      operation.requestBody = { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } };
    }

    const responses: Record<string, OpenAPIResponse> = {};
    const declared = responseSchemas(route.response);
    // The status of a plain value (`status` route option); a 204 has no content to describe.
    const status = route.status ?? 200;
    if (declared === undefined) {
      responses[String(status)] = { description: 'Successful response' };
    } else {
      if (declared.success !== undefined) {
        // One schema applies to 2xx responses, so it documents the success status when that is one.
        const success = status >= 200 && status < 300 ? status : 200;
        responses[String(success)] = hasNoBody(success)
          ? { description: 'Successful response' }
          : { description: 'Successful response', content: jsonContent(components.place(jsonSchemaOf(declared.success))) };
      }
      for (const [code, schema] of declared.byStatus) {
        // A 1xx, 204, 205 or 304 response has no body (RFC 9110), so it has no content to describe.
        responses[String(code)] = hasNoBody(code)
          ? { description: describe(String(code)) }
          : { description: describe(String(code)), content: jsonContent(components.place(jsonSchemaOf(schema))) };
      }
      if (route.status !== undefined) responses[String(status)] ??= { description: 'Successful response' };
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
      for (const [status, given] of Object.entries(meta.responses ?? {})) {
        if (typeof given === 'string') responses[status] ??= { description: given, content: jsonContent(ERROR_SCHEMA) };
        else {
          responses[status] ??= {
            description: given.description,
            ...(given.headers === undefined ? {} : { headers: structuredClone(given.headers) as Record<string, Record<string, unknown>> }),
            content: jsonContent(structuredClone(given.schema ?? ERROR_SCHEMA) as JSONSchema),
          };
        }
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
