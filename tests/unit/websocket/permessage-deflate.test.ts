import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExtensions } from '../../../src/http/websocket/extension-header.js';
import { negotiateDeflate, PerMessageDeflate, resolveDeflateOptions } from '../../../src/http/websocket/permessage-deflate.js';

const defaults = resolveDeflateOptions({});
const answer = (header: string, options = defaults) => negotiateDeflate(parseExtensions(header) ?? [], options);

describe('permessage-deflate negotiation', () => {
  it('accepts the first acceptable offer and echoes what it agreed', () => {
    assert.equal(answer('permessage-deflate')?.header, 'permessage-deflate');
    assert.equal(answer('permessage-deflate; client_max_window_bits')?.header, 'permessage-deflate');
    assert.equal(answer('permessage-deflate; client_max_window_bits=10')?.header, 'permessage-deflate; client_max_window_bits=10');
    assert.equal(answer('permessage-deflate; server_max_window_bits=12')?.params.serverMaxWindowBits, 12);
    assert.equal(answer('permessage-deflate; server_no_context_takeover; client_no_context_takeover')?.header, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    assert.equal(answer('x-other, permessage-deflate; bogus, permessage-deflate; client_no_context_takeover')?.header, 'permessage-deflate; client_no_context_takeover');
  });

  it('declines offers with unknown, repeated or invalid parameters, and window bits 8', () => {
    for (const bad of [
      'permessage-deflate; bogus',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; client_max_window_bits=7',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; server_max_window_bits=8',
      'x-webkit-deflate-frame',
    ]) {
      assert.equal(answer(bad), null, bad);
    }
  });

  it('applies server options: context takeover and window limits', () => {
    const options = resolveDeflateOptions({ serverNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 12 });
    assert.equal(answer('permessage-deflate; client_max_window_bits', options)?.header, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12');
    // Without client_max_window_bits in the offer the server must not limit the client.
    assert.equal(answer('permessage-deflate', options)?.header, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=11');
  });

  it('checks options once', () => {
    assert.throws(() => resolveDeflateOptions({ serverMaxWindowBits: 8 }), RangeError);
    assert.throws(() => resolveDeflateOptions({ level: 10 }), RangeError);
    assert.throws(() => resolveDeflateOptions({ threshold: -1 }), RangeError);
  });
});

describe('PerMessageDeflate', () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

  it('round-trips messages between a server and a client, keeping context', async () => {
    const server = new PerMessageDeflate(params, defaults, true);
    const client = new PerMessageDeflate(params, defaults, false);
    const text = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(20));
    const first = await server.compress(text);
    const second = await server.compress(text);
    assert.ok(second.length < first.length, 'the second message reuses the window');
    assert.deepEqual(await client.decompress(first, 1 << 20), text);
    assert.deepEqual(await client.decompress(second, 1 << 20), text);
    assert.deepEqual(await client.decompress(await server.compress(Buffer.alloc(0)), 1 << 20), Buffer.alloc(0));
    server.close();
    client.close();
  });

  it('resets the window with no_context_takeover', async () => {
    const server = new PerMessageDeflate({ ...params, serverNoContextTakeover: true }, defaults, true);
    const text = Buffer.from('repeat me please '.repeat(30));
    const a = await server.compress(text);
    const b = await server.compress(text);
    assert.deepEqual(a, b);
    server.close();
  });

  it('stops inflating past the size limit (1009) and on corrupt data (1007)', async () => {
    const server = new PerMessageDeflate(params, defaults, true);
    const client = new PerMessageDeflate(params, defaults, false);
    const bomb = await server.compress(Buffer.alloc(4 << 20));
    await assert.rejects(client.decompress(bomb, 1 << 20), (err: unknown) => (err as { closeCode?: number }).closeCode === 1009);
    await assert.rejects(client.decompress(Buffer.from('ffffffff', 'hex'), 1 << 20), (err: unknown) => (err as { closeCode?: number }).closeCode === 1007);
    server.close();
    client.close();
  });
});
