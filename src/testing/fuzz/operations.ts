import { type JsonSchemaLike, resolvePointer } from './json-schema.js';

/** The part of an OpenAPI 3.1 document the fuzzer reads (what `app.openapi()` returns). */
export interface OpenAPIDocumentLike {
  readonly openapi?: string;
  readonly paths?: Readonly<Record<string, unknown>>;
  readonly components?: unknown;
}

/** A path, query or header parameter of an operation. */
export interface FuzzParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly schema: JsonSchemaLike;
}

/** The request body an operation takes (`application/json` or a urlencoded form). */
export interface FuzzBody {
  readonly required: boolean;
  readonly mediaType: 'application/json' | 'application/x-www-form-urlencoded';
  readonly schema: JsonSchemaLike;
}

/** One declared response: its JSON schema when it has one. */
export interface FuzzResponse {
  readonly schema: JsonSchemaLike | undefined;
  readonly json: boolean;
}

/** An operation (method + path template) as the fuzzer sees it. */
export interface FuzzOperation {
  /** `GET /users/{id}`. */
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly parameters: readonly FuzzParameter[];
  readonly body: FuzzBody | undefined;
  /** Keyed by status (`200`), range (`2XX`) or `default`. */
  readonly responses: Readonly<Record<string, FuzzResponse>>;
  /** Why part of the operation is not fuzzed (a multipart body…), if so. */
  readonly note: string | undefined;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function deref(doc: OpenAPIDocumentLike, value: unknown): Record<string, unknown> | undefined {
  let node = value;
  for (let hops = 0; hops < 16; hops++) {
    if (typeof node !== 'object' || node === null) return undefined;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref !== 'string') return node as Record<string, unknown>;
    node = resolvePointer(doc, ref);
  }
  return undefined;
}

function isJsonMedia(type: string): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(type);
}

function parameters(doc: OpenAPIDocumentLike, list: unknown): FuzzParameter[] {
  const out: FuzzParameter[] = [];
  for (const raw of Array.isArray(list) ? list : []) {
    const p = deref(doc, raw);
    const where = p?.in;
    if (p === undefined || typeof p.name !== 'string' || (where !== 'path' && where !== 'query' && where !== 'header')) continue;
    out.push({
      name: p.name,
      in: where,
      required: where === 'path' || p.required === true,
      schema: (p.schema as JsonSchemaLike | undefined) ?? true,
    });
  }
  return out;
}

function requestBody(doc: OpenAPIDocumentLike, raw: unknown): { body: FuzzBody | undefined; note: string | undefined } {
  const body = deref(doc, raw);
  const content = deref(doc, body?.content);
  if (body === undefined || content === undefined) return { body: undefined, note: undefined };
  const required = body.required === true;
  const json = Object.keys(content).find(isJsonMedia);
  if (json !== undefined) {
    return {
      body: { required, mediaType: 'application/json', schema: (deref(doc, content[json])?.schema as JsonSchemaLike) ?? true },
      note: undefined,
    };
  }
  if (content['application/x-www-form-urlencoded'] !== undefined) {
    const schema = (deref(doc, content['application/x-www-form-urlencoded'])?.schema as JsonSchemaLike) ?? true;
    return { body: { required, mediaType: 'application/x-www-form-urlencoded', schema }, note: undefined };
  }
  return { body: undefined, note: `request body of type ${Object.keys(content).join(', ')} is not fuzzed` };
}

function responses(doc: OpenAPIDocumentLike, raw: unknown): Record<string, FuzzResponse> {
  const out: Record<string, FuzzResponse> = {};
  for (const [status, value] of Object.entries(deref(doc, raw) ?? {})) {
    const content = deref(doc, deref(doc, value)?.content);
    const json = content === undefined ? undefined : Object.keys(content).find(isJsonMedia);
    const schema =
      json === undefined || content === undefined ? undefined : (deref(doc, content[json])?.schema as JsonSchemaLike | undefined);
    out[status.toUpperCase()] = { schema, json: json !== undefined };
  }
  return out;
}

/**
 * Lists a document's operations with their parameters (path-level ones merged in), request
 * body and declared responses, `$ref`s resolved, in document order.
 *
 * @example
 * operationsOf(app.openapi()).map((op) => op.id) // ['GET /users', 'POST /users', ...]
 */
export function operationsOf(doc: OpenAPIDocumentLike): FuzzOperation[] {
  const out: FuzzOperation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = deref(doc, rawItem);
    if (item === undefined) continue;
    const shared = parameters(doc, item.parameters);
    for (const method of METHODS) {
      const op = deref(doc, item[method]);
      if (op === undefined) continue;
      const own = parameters(doc, op.parameters);
      // An operation's parameter overrides a path-level one with the same name and location.
      const merged = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const { body, note } = requestBody(doc, op.requestBody);
      const upper = method.toUpperCase();
      out.push({ id: `${upper} ${path}`, method: upper, path, parameters: merged, body, responses: responses(doc, op.responses), note });
    }
  }
  return out;
}

/**
 * The declared response for a status: exact, then its range (`4XX`), then `default`.
 *
 * @example
 * responseFor(op, 404)?.schema // the schema of op.responses['404'] ?? ['4XX'] ?? .default
 */
export function responseFor(op: FuzzOperation, status: number): FuzzResponse | undefined {
  return op.responses[String(status)] ?? op.responses[`${Math.floor(status / 100)}XX`] ?? op.responses.DEFAULT;
}
