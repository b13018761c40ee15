/**
 * Thrown by `receive*` (and rejected by `send*`) once the connection is closed: `code` is the
 * close code the peer sent (1005 when its close frame had none, 1006 when the connection
 * dropped without one) and `reason` its reason.
 *
 * Unlike Covet's other errors, `code` here is the numeric WebSocket close code (the shape
 * Starlette and the seed use); the stable error identifier is `errorCode`.
 *
 * @example
 * try { for (;;) await ws.receiveText() } catch (e) { if (e instanceof WebSocketDisconnect) console.log(e.code) }
 */
export class WebSocketDisconnect extends Error {
  /** The close code (RFC 6455 §7.4). */
  readonly code: number;
  /** The close reason, possibly empty. */
  readonly reason: string;
  /** Stable identifier of this error class. */
  readonly errorCode = 'ERR_WEBSOCKET_DISCONNECT';

  constructor(code = 1000, reason = '') {
    super(`WebSocket closed with code ${code}${reason === '' ? '' : `: ${reason}`}`);
    this.name = 'WebSocketDisconnect';
    this.code = code;
    this.reason = reason;
  }
}
