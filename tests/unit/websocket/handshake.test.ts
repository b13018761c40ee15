import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HTTPException } from '../../../src/index.js';
import { parseExtensions, formatExtension } from '../../../src/http/websocket/extension-header.js';
import { acceptKey, isWebSocketUpgrade, readHandshake } from '../../../src/http/websocket/handshake.js';

const GOOD = {
  host: 'server.example.com',
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
};

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HTTPException);
    assert.equal(err.code, 'ERR_WEBSOCKET_HANDSHAKE');
    return err.status;
  }
  return 0;
}

describe('handshake', () => {
  it('computes the RFC 6455 §1.3 accept key', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('reads a valid handshake with subprotocols and extensions', () => {
    const offer = readHandshake('GET', '1.1', {
      ...GOOD,
      connection: 'keep-alive, Upgrade',
      upgrade: 'WebSocket',
      'sec-websocket-protocol': 'chat, superchat',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    });
    assert.deepEqual(offer.protocols, ['chat', 'superchat']);
    assert.equal(offer.extensions[0]?.name, 'permessage-deflate');
  });

  it('refuses bad handshakes with the RFC status', () => {
    assert.equal(status(() => readHandshake('POST', '1.1', GOOD)), 405);
    assert.equal(status(() => readHandshake('GET', '1.0', GOOD)), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, upgrade: 'h2c' })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, connection: 'keep-alive' })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-version': '8' })), 426);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-version': undefined })), 426);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-key': undefined })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-key': 'short' })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ' })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-protocol': 'a, a' })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-protocol': 'bad token' })), 400);
    assert.equal(status(() => readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-extensions': 'permessage-deflate; x="unterminated' })), 400);
    try {
      readHandshake('GET', '1.1', { ...GOOD, 'sec-websocket-version': '7' });
    } catch (err) {
      assert.deepEqual((err as HTTPException).headers, { 'sec-websocket-version': '13' });
    }
  });

  it('tells WebSocket upgrades from others', () => {
    assert.equal(isWebSocketUpgrade({ upgrade: 'websocket' }), true);
    assert.equal(isWebSocketUpgrade({ upgrade: 'h2c' }), false);
    assert.equal(isWebSocketUpgrade({}), false);
  });
});

describe('Sec-WebSocket-Extensions', () => {
  it('parses extensions, parameters, values and quoted values', () => {
    const offers = parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo ; a=1; a=2');
    assert.ok(offers !== null);
    assert.equal(offers.length, 2);
    assert.deepEqual([...(offers[0]?.params ?? [])], [
      ['client_max_window_bits', [true]],
      ['server_max_window_bits', ['10']],
    ]);
    assert.deepEqual([...(offers[1]?.params ?? [])], [['a', ['1', '2']]]);
  });

  it('rejects malformed headers', () => {
    for (const bad of ['permessage deflate', 'a; =1', 'a; b=', 'a; b="x y"', 'a; b="open', '"quoted-name"']) assert.equal(parseExtensions(bad), null, bad);
  });

  it('formats an extension', () => {
    assert.equal(formatExtension('permessage-deflate', { server_no_context_takeover: true, client_max_window_bits: 10 }), 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10');
  });
});
