import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HTTPException } from '../../errors.js';
import { type ExtensionOffer, parseExtensions } from './extension-header.js';

/** RFC 6455 §1.3: appended to the client's key before hashing. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = /^[+/0-9A-Za-z]{22}==$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What a valid opening handshake asks for. */
export interface HandshakeOffer {
  /** `Sec-WebSocket-Key`. */
  readonly key: string;
  /** `Sec-WebSocket-Protocol`, in the client's order of preference. */
  readonly protocols: readonly string[];
  /** `Sec-WebSocket-Extensions`, in order. */
  readonly extensions: readonly ExtensionOffer[];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((part) => part.trim().toLowerCase() === token);
}

function refuse(status: number, message: string, headers?: Record<string, string>): HTTPException {
  return new HTTPException(status, message, { code: 'ERR_WEBSOCKET_HANDSHAKE', ...(headers === undefined ? {} : { headers }) });
}

/**
 * Whether a request asks to switch to WebSocket (`Upgrade: websocket`); other upgrades (such as
 * `h2c`) are served as plain HTTP.
 *
 * @example
 * isWebSocketUpgrade({ upgrade: 'websocket', connection: 'Upgrade' }) // true
 */
export function isWebSocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return hasToken(header(headers, 'upgrade'), 'websocket');
}

/**
 * Checks an opening handshake (RFC 6455 §4.2.1) and returns what it offers. A bad one throws
 * an `HTTPException`: 400 for a malformed request, 426 with `Sec-WebSocket-Version: 13` for an
 * unsupported version, 405 for a method other than GET.
 *
 * @example
 * const offer = readHandshake('GET', '1.1', req.headers); offer.protocols // ['chat']
 */
export function readHandshake(method: string, httpVersion: string, headers: IncomingHttpHeaders): HandshakeOffer {
  if (method !== 'GET') throw refuse(405, 'A WebSocket handshake must use GET', { allow: 'GET' });
  if (httpVersion !== '1.1' && !(Number(httpVersion) > 1.1)) throw refuse(400, 'A WebSocket handshake needs HTTP/1.1');
  if (!isWebSocketUpgrade(headers)) throw refuse(400, 'Missing "Upgrade: websocket"');
  if (!hasToken(header(headers, 'connection'), 'upgrade')) throw refuse(400, 'Missing "Connection: Upgrade"');
  const version = header(headers, 'sec-websocket-version');
  if (version === undefined || version.trim() !== '13') {
    throw refuse(426, 'Unsupported Sec-WebSocket-Version: only 13 is supported', { 'sec-websocket-version': '13' });
  }
  const key = header(headers, 'sec-websocket-key')?.trim();
  if (key === undefined || !KEY.test(key) || Buffer.from(key, 'base64').length !== 16) {
    throw refuse(400, 'Missing or invalid Sec-WebSocket-Key');
  }
  const protocols: string[] = [];
  const protocolHeader = header(headers, 'sec-websocket-protocol');
  if (protocolHeader !== undefined) {
    for (const part of protocolHeader.split(',')) {
      const name = part.trim();
      if (name === '') continue;
      if (!TOKEN.test(name) || protocols.includes(name)) throw refuse(400, 'Invalid Sec-WebSocket-Protocol header');
      protocols.push(name);
    }
  }
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = header(headers, 'sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensions(extensionHeader);
    if (parsed === null) throw refuse(400, 'Invalid Sec-WebSocket-Extensions header');
    extensions = parsed;
  }
  return { key, protocols, extensions };
}

/**
 * `Sec-WebSocket-Accept` for a key: base64 of the SHA-1 of the key and the RFC's GUID.
 *
 * @example
 * acceptKey('dGhlIHNhbXBsZSBub25jZQ==') // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}
