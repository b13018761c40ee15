import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { Request } from '../../request.js';
import { parseExtensions } from './extension-header.js';
import { acceptKey } from './handshake.js';
import {
  type DeflateParams,
  EXTENSION_NAME,
  PerMessageDeflate,
  type PerMessageDeflateOptions,
  resolveDeflateOptions,
} from './permessage-deflate.js';
import { kAttach, WebSocket } from './websocket.js';
import { WebSocketError } from './websocket-error.js';
import { resolveWebSocketOptions, type WebSocketOptions } from './websocket-options.js';

/** WebSocket requests have no body: one shared, frozen multipart setting for all of them. */
const NO_MULTIPART = Object.freeze({});

/** What a client asks for in its opening handshake. */
export interface ClientHandshakeOptions {
  /** Subprotocols to offer, most preferred first. */
  readonly subprotocols?: readonly string[];
  /** Offer permessage-deflate (`true` or options). Default `false`. */
  readonly compression?: boolean | PerMessageDeflateOptions;
  /** More request headers (`authorization`, `cookie`, `origin`…). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A prepared client handshake: the key and the request headers to send. */
export interface ClientHandshake {
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly subprotocols: readonly string[];
  readonly compression: Required<PerMessageDeflateOptions> | null;
}

/**
 * The headers of a client's opening handshake (RFC 6455 §4.1), with a fresh random key.
 *
 * @example
 * const hs = clientHandshake({ subprotocols: ['chat'] }); http.request({ headers: hs.headers, … })
 */
export function clientHandshake(options: ClientHandshakeOptions = {}): ClientHandshake {
  const key = randomBytes(16).toString('base64');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.connection = 'Upgrade';
  headers.upgrade = 'websocket';
  headers['sec-websocket-key'] = key;
  headers['sec-websocket-version'] = '13';
  const subprotocols = [...(options.subprotocols ?? [])];
  if (subprotocols.length > 0) headers['sec-websocket-protocol'] = subprotocols.join(', ');
  const compression =
    options.compression === undefined || options.compression === false
      ? null
      : resolveDeflateOptions(options.compression === true ? {} : options.compression);
  if (compression !== null) headers['sec-websocket-extensions'] = `${EXTENSION_NAME}; client_max_window_bits`;
  return { key, headers, subprotocols, compression };
}

function fail(message: string): never {
  throw new WebSocketError(message, 'ERR_WEBSOCKET_HANDSHAKE');
}

function agreedDeflate(header: string): DeflateParams {
  const offers = parseExtensions(header);
  if (offers === null || offers.length !== 1 || offers[0]?.name !== EXTENSION_NAME) fail(`Unexpected Sec-WebSocket-Extensions: ${header}`);
  const bits = (value: string | true | undefined): number => {
    if (value === undefined) return 15;
    const n = Number(value);
    if (value === true || !Number.isInteger(n) || n < 8 || n > 15) fail(`Invalid window bits in: ${header}`);
    return n;
  };
  const params = offers[0].params;
  return {
    serverNoContextTakeover: params.has('server_no_context_takeover'),
    clientNoContextTakeover: params.has('client_no_context_takeover'),
    serverMaxWindowBits: bits(params.get('server_max_window_bits')?.[0]),
    clientMaxWindowBits: Math.max(9, bits(params.get('client_max_window_bits')?.[0])),
  };
}

/**
 * Checks the server's 101 response against a client handshake and returns the open client
 * WebSocket over `stream` (same class and API as the server side, masking its frames).
 *
 * @example
 * req.on('upgrade', (res, socket, head) => { const ws = openClientWebSocket(hs, '/chat', socket, head, new Headers(res.headers)) })
 */
export function openClientWebSocket(
  handshake: ClientHandshake,
  url: string,
  stream: Duplex,
  head: Buffer,
  responseHeaders: Headers,
  options: WebSocketOptions = {},
): WebSocket<Record<string, never>> {
  if (responseHeaders.get('sec-websocket-accept') !== acceptKey(handshake.key))
    fail('Invalid Sec-WebSocket-Accept in the handshake response');
  const protocol = responseHeaders.get('sec-websocket-protocol');
  if (protocol !== null && !handshake.subprotocols.includes(protocol))
    fail(`The server chose subprotocol ${protocol}, which was not offered`);
  const extensions = responseHeaders.get('sec-websocket-extensions') ?? '';
  let deflate: PerMessageDeflate | null = null;
  if (extensions !== '') {
    if (handshake.compression === null) fail(`The server agreed to extensions that were not offered: ${extensions}`);
    deflate = new PerMessageDeflate(agreedDeflate(extensions), handshake.compression, false);
  }
  const headers: IncomingHttpHeaders = { ...handshake.headers };
  const request = new Request<Record<string, never>>({
    method: 'GET',
    url,
    headers,
    params: {},
    route: null,
    bodyLimit: 0,
    source: null,
    response: null,
    client: { host: '', port: 0 },
    schemas: null,
    multipart: NO_MULTIPART,
  });
  // A client has no heartbeat of its own by default: the server's pings keep it honest.
  const ws = new WebSocket<Record<string, never>>({
    isServer: false,
    request,
    options: resolveWebSocketOptions({ heartbeatInterval: 0, ...options }),
    offeredProtocols: handshake.subprotocols,
    handshake: null,
  });
  ws.responseHeaders = responseHeaders;
  ws[kAttach](stream, head, deflate, protocol, extensions);
  return ws;
}
