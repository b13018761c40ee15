import { CovetError } from '../../errors.js';

/**
 * A client's WebSocket handshake that the server refused with an HTTP response (401 from
 * `requireWebsocketToken`, 403 from a handler that closed before accepting, 404…):
 * `status`, `headers`, `body`, `text` and `json()` of that response.
 *
 * @example
 * try { await client.websocketConnect('/ws/private') } catch (e) { if (e instanceof WebSocketHandshakeError) e.status // 401 }
 */
export class WebSocketHandshakeError extends CovetError {
  declare readonly code: 'ERR_WEBSOCKET_HANDSHAKE';
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;

  constructor(status: number, headers: Headers, body: Buffer, message?: string) {
    super(message ?? `The server refused the WebSocket upgrade with HTTP ${status}`, { code: 'ERR_WEBSOCKET_HANDSHAKE' });
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** The response body as text. */
  get text(): string {
    return this.body.toString('utf8');
  }

  /** The response body parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }
}
