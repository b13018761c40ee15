import { CovetError } from '../../errors.js';

/** Stable codes of `WebSocketError`. */
export type WebSocketErrorCode =
  | 'ERR_WEBSOCKET_PROTOCOL'
  | 'ERR_WEBSOCKET_MESSAGE_TOO_BIG'
  | 'ERR_WEBSOCKET_INVALID_UTF8'
  | 'ERR_WEBSOCKET_MESSAGE_TYPE'
  | 'ERR_WEBSOCKET_INVALID_JSON'
  | 'ERR_WEBSOCKET_STATE'
  | 'ERR_WEBSOCKET_SUBPROTOCOL'
  | 'ERR_WEBSOCKET_CLOSE_CODE'
  | 'ERR_WEBSOCKET_HANDSHAKE';

/**
 * A misuse of a WebSocket (sending an invalid close code, `receiveText` on a binary message,
 * accepting with a subprotocol the client did not offer) or a protocol failure found in the
 * peer's frames; `closeCode` is the close code such a failure is answered with.
 *
 * @example
 * try { await ws.receiveJson() } catch (e) { if (e instanceof WebSocketError && e.code === 'ERR_WEBSOCKET_INVALID_JSON') … }
 */
export class WebSocketError extends CovetError {
  declare readonly code: WebSocketErrorCode;
  /** The close code a protocol failure of this kind is answered with (1002, 1007, 1009…). */
  readonly closeCode: number;

  constructor(message: string, code: WebSocketErrorCode, closeCode = 1002) {
    super(message, { code });
    this.closeCode = closeCode;
  }
}
