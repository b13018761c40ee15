import { type PerMessageDeflateOptions, resolveDeflateOptions } from './permessage-deflate.js';

/** Protocol limits and behaviour of a WebSocket route (also accepted by `TestClient.websocketConnect`). */
export interface WebSocketOptions {
  /**
   * Largest incoming message in bytes, all fragments together and after decompression; a
   * larger one closes the connection with 1009. Default 16 MiB.
   */
  readonly maxMessageSize?: number;
  /** Largest incoming frame payload in bytes (1009 past it). Default: `maxMessageSize`. */
  readonly maxFrameSize?: number;
  /**
   * permessage-deflate (RFC 7692): `true` for the defaults, or options. Used only when the
   * client offers it. Default `false`: compression costs CPU and about 300 KiB per connection.
   */
  readonly compression?: boolean | PerMessageDeflateOptions;
  /**
   * Subprotocols the route speaks, most preferred first. `accept()` without an argument picks
   * the first of these the client offered. Default: none.
   */
  readonly subprotocols?: readonly string[];
  /**
   * Milliseconds between pings. A peer that sent nothing at all (not even the pong) between two
   * pings is dropped (close code 1006), within one to two intervals of going quiet. `0`
   * disables the heartbeat. Default 30 000.
   */
  readonly heartbeatInterval?: number;
  /**
   * Milliseconds to wait for the peer's close frame after sending ours, and for the peer to
   * close the TCP connection after that, before the socket is destroyed. Default 5 000.
   */
  readonly closeTimeout?: number;
  /**
   * Bytes of outgoing data the socket may hold unsent (a client that does not read). When a send
   * finds more than this queued, the connection is dropped (close code 1008) instead of growing
   * the buffer. Default 16 MiB.
   */
  readonly maxBufferedAmount?: number;
  /**
   * Bytes of received messages the handler has not read yet before the server stops reading the
   * socket (TCP backpressure to the client). Default 1 MiB.
   */
  readonly receiveHighWaterMark?: number;
}

/** Options with every default filled in, computed once per route. */
export interface ResolvedWebSocketOptions {
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly compression: Required<PerMessageDeflateOptions> | null;
  readonly subprotocols: readonly string[];
  readonly heartbeatInterval: number;
  readonly closeTimeout: number;
  readonly maxBufferedAmount: number;
  readonly receiveHighWaterMark: number;
}

export const WEBSOCKET_DEFAULTS = {
  maxMessageSize: 16 * 1024 * 1024,
  heartbeatInterval: 30_000,
  closeTimeout: 5_000,
  maxBufferedAmount: 16 * 1024 * 1024,
  receiveHighWaterMark: 1024 * 1024,
} as const;

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

/**
 * Fills in defaults and checks the values, once, where a route is declared.
 *
 * @example
 * resolveWebSocketOptions({ compression: true }).compression?.threshold // 1024
 */
export function resolveWebSocketOptions(options: WebSocketOptions = {}): ResolvedWebSocketOptions {
  const maxMessageSize = nonNegative('maxMessageSize', options.maxMessageSize ?? WEBSOCKET_DEFAULTS.maxMessageSize);
  const compression = options.compression ?? false;
  return {
    maxMessageSize,
    maxFrameSize: nonNegative('maxFrameSize', options.maxFrameSize ?? maxMessageSize),
    compression: compression === false ? null : resolveDeflateOptions(compression === true ? {} : compression),
    subprotocols: [...(options.subprotocols ?? [])],
    heartbeatInterval: nonNegative('heartbeatInterval', options.heartbeatInterval ?? WEBSOCKET_DEFAULTS.heartbeatInterval),
    closeTimeout: nonNegative('closeTimeout', options.closeTimeout ?? WEBSOCKET_DEFAULTS.closeTimeout),
    maxBufferedAmount: nonNegative('maxBufferedAmount', options.maxBufferedAmount ?? WEBSOCKET_DEFAULTS.maxBufferedAmount),
    receiveHighWaterMark: nonNegative('receiveHighWaterMark', options.receiveHighWaterMark ?? WEBSOCKET_DEFAULTS.receiveHighWaterMark),
  };
}
