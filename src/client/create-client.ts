import { buildUrl } from './build-url.js';
import { ClientError } from './client-error.js';
import type { Client, ClientResponse, HeadersInit, RequestOptions } from './client-types.js';
import { readBody } from './read-body.js';

/**
 * Options of `createClient`.
 *
 * @example
 * const api = createClient<typeof app>('/api', { headers: () => ({ authorization: `Bearer ${token()}` }), credentials: 'include' });
 */
export interface ClientOptions {
  /** The fetch to use (a test double, a wrapped fetch…). Default: the global `fetch`. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Headers sent with every call; a function is called per call (fresh tokens). */
  readonly headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** Passed to fetch (`include` to send cookies cross-origin). Default: fetch's own. */
  readonly credentials?: RequestInit['credentials'];
}

type BodyInit = NonNullable<RequestInit['body']>;

/** Bodies fetch sends as they are; anything else is sent as JSON. */
function isRawBody(body: unknown): body is BodyInit {
  return (
    typeof body === 'string' ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof ReadableStream
  );
}

/**
 * A typed HTTP client for a Covet app, with zero code generation: `App` is the app's type
 * (`typeof app`, built by chaining registrations), and every call is checked against its
 * routes — the path, `params` (from the path's `{name:converter}`), `query` and `body` (the
 * route's schemas' input types) and the answer's `data` (the handler's return type). Runs in
 * browsers and Node (it uses only `fetch`). Non-2xx answers throw `ClientError`.
 *
 * @example
 * const app = new CovetApp().get('/users/{id:int}', (req) => ({ id: req.params.id, name: 'Ada' }));
 * const api = createClient<typeof app>('http://127.0.0.1:3000');
 * const { data } = await api.get('/users/{id:int}', { params: { id: 1 } }); // data: { id: number; name: string }
 */
export function createClient<App>(baseUrl: string, options: ClientOptions = {}): Client<App> {
  const call = async (method: string, path: string, init: RequestOptions = {}): Promise<ClientResponse<unknown>> => {
    const url = buildUrl(baseUrl, path, init.params, init.query);
    const headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers);
    for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
    let body: BodyInit | undefined;
    if (init.body !== undefined) {
      if (isRawBody(init.body)) body = init.body;
      else {
        body = JSON.stringify(init.body);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
    }
    if (!headers.has('accept')) headers.set('accept', 'application/json, text/plain;q=0.9, */*;q=0.8');
    const request: RequestInit = { method, headers };
    if (body !== undefined) request.body = body;
    // fetch streams a ReadableStream body only when told it is half-duplex (Node and browsers).
    if (body instanceof ReadableStream) Object.assign(request, { duplex: 'half' });
    if (init.signal) request.signal = init.signal;
    if (options.credentials) request.credentials = options.credentials;
    const res = await (options.fetch ?? fetch)(url, request);
    const data = await readBody(res, method);
    if (res.status < 200 || res.status > 299) throw new ClientError(`${method} ${url}`, res.status, res.headers, data);
    return { status: res.status, headers: res.headers, data, response: res };
  };
  const method = (name: string) => (path: string, init?: RequestOptions) => call(name, path, init);
  return {
    get: method('GET'),
    post: method('POST'),
    put: method('PUT'),
    patch: method('PATCH'),
    delete: method('DELETE'),
    request: (name, path, init) => call(name.toUpperCase(), path, init),
  } as Client<App>;
}
