/**
 * Thrown by `covet/client` calls when the server answers with a status outside 200–299. The
 * body is already read: `data` is the parsed JSON (Covet's `{"error": …}` or
 * `{"errors": {field: [messages]}}`), text, or `null`.
 *
 * @example
 * try { await api.get('/users/{id:int}', { params: { id: 9 } }) }
 * catch (err) { if (err instanceof ClientError && err.status === 404) console.log(err.data) }
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** Stable code for every non-2xx answer. */
  readonly code = 'ERR_CLIENT_STATUS';
  readonly status: number;
  readonly headers: Headers;
  readonly data: unknown;
  /** The request, as `METHOD url`. */
  readonly request: string;

  constructor(request: string, status: number, headers: Headers, data: unknown) {
    super(`${request} answered ${status}${describe(data)}`);
    this.request = request;
    this.status = status;
    this.headers = headers;
    this.data = data;
  }
}

function describe(data: unknown): string {
  if (typeof data === 'string') return data === '' ? '' : `: ${data.slice(0, 200)}`;
  const message = (data as { error?: unknown } | null)?.error;
  return typeof message === 'string' ? `: ${message}` : '';
}
