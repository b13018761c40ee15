// The frame parser state machine, fed raw hex frames (ws's test style): every state, every
// split point, and each rule a peer can break.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PerMessageDeflate, resolveDeflateOptions } from '../../../src/http/websocket/permessage-deflate.js';
import { Receiver, type ReceiverOptions } from '../../../src/http/websocket/receiver.js';
import type { WebSocketError } from '../../../src/http/websocket/websocket-error.js';

type Event = ['message', string | Buffer] | ['ping', string] | ['pong', string] | ['close', number, string] | ['error', number, string];

function receiver(options: Partial<ReceiverOptions> = {}): { r: Receiver; events: Event[] } {
  const events: Event[] = [];
  const r = new Receiver(
    { isServer: true, maxMessageSize: 1 << 20, maxFrameSize: 1 << 20, deflate: null, ...options },
    {
      onMessage: (data) => events.push(['message', data]),
      onPing: (p) => events.push(['ping', p.toString()]),
      onPong: (p) => events.push(['pong', p.toString()]),
      onClose: (code, reason) => events.push(['close', code, reason]),
      onError: (e: WebSocketError) => events.push(['error', e.closeCode, e.code]),
    },
  );
  return { r, events };
}

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('Receiver', () => {
  it('parses the RFC 6455 §5.7 examples', () => {
    const { r, events } = receiver();
    r.push(hex('81 85 37fa213d 7f9f4d5158')); // masked "Hello"
    r.push(hex('01 83 37fa213d 7f9f4d')); // fragmented "Hel"
    r.push(hex('80 82 37fa213d 5b95')); // … "lo"
    r.push(hex('89 85 37fa213d 7f9f4d5158')); // masked ping "Hello"
    assert.deepEqual(events, [
      ['message', 'Hello'],
      ['message', 'Hello'],
      ['ping', 'Hello'],
    ]);
  });

  it('parses unmasked frames as a client, and refuses them as a server', () => {
    const client = receiver({ isServer: false });
    client.r.push(hex('81 05 48656c6c6f'));
    assert.deepEqual(client.events, [['message', 'Hello']]);
    const server = receiver();
    server.r.push(hex('81 05 48656c6c6f'));
    assert.deepEqual(server.events, [['error', 1002, 'ERR_WEBSOCKET_PROTOCOL']]);
    const masked = receiver({ isServer: false });
    masked.r.push(hex('81 85 37fa213d 7f9f4d5158'));
    assert.deepEqual(masked.events, [['error', 1002, 'ERR_WEBSOCKET_PROTOCOL']]);
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const stream = hex('81 85 37fa213d 7f9f4d5158  82 fe 0100 01020304' + '01020304'.repeat(0x100 / 4 - 0) + ' 89 80 00000000');
    const expected = receiver();
    expected.r.push(Buffer.from(stream));
    for (let split = 1; split < stream.length; split++) {
      const { r, events } = receiver();
      r.push(Buffer.from(stream.subarray(0, split)));
      r.push(Buffer.from(stream.subarray(split)));
      assert.deepEqual(events, expected.events, `split at ${split}`);
    }
    const bytewise = receiver();
    for (const b of stream) bytewise.r.push(Buffer.from([b]));
    assert.deepEqual(bytewise.events, expected.events);
  });

  it('reads 16- and 64-bit lengths', () => {
    const { r, events } = receiver({ isServer: false });
    r.push(Buffer.concat([hex('82 7e 0100'), Buffer.alloc(256, 7)]));
    r.push(Buffer.concat([hex('82 7f 0000000000010000'), Buffer.alloc(65536, 9)]));
    assert.equal((events[0]?.[1] as Buffer).length, 256);
    assert.equal((events[1]?.[1] as Buffer).length, 65536);
  });

  it('interleaves control frames between fragments', () => {
    const { r, events } = receiver({ isServer: false });
    r.push(hex('01 02 4865 89 02 7069 80 02 6c6f'));
    assert.deepEqual(events, [
      ['ping', 'pi'],
      ['message', 'Helo'],
    ]);
  });

  it('reports close frames: code and reason, 1005 for none; nothing after them', () => {
    const a = receiver({ isServer: false });
    a.r.push(hex('88 06 03e8 627965 21 81 01 41'));
    assert.deepEqual(a.events, [['close', 1000, 'bye!']]);
    const b = receiver({ isServer: false });
    b.r.push(hex('88 00'));
    assert.deepEqual(b.events, [['close', 1005, '']]);
  });

  const failures: [string, string, number][] = [
    ['RSV1 without an extension', 'c1 80 00000000', 1002],
    ['RSV2', 'a1 80 00000000', 1002],
    ['RSV3', '91 80 00000000', 1002],
    ['reserved opcode 3', '83 80 00000000', 1002],
    ['reserved control opcode 0xb', '8b 80 00000000', 1002],
    ['fragmented ping', '09 80 00000000', 1002],
    ['ping over 125 bytes', '89 fe 007e', 1002],
    ['continuation without a message', '80 80 00000000', 1002],
    ['text inside a fragmented message', '01 80 00000000 01 80 00000000', 1002],
    ['1-byte close payload', '88 81 00000000 03', 1002],
    ['invalid close code 1005', '88 82 00000000 03ed', 1002],
    ['invalid close code 2000', '88 82 00000000 07d0', 1002],
    ['invalid UTF-8 close reason', '88 83 00000000 03e8 ff', 1007],
    ['invalid UTF-8 text', '81 82 00000000 c0af', 1007],
    ['invalid UTF-8 in a first fragment (fail fast)', '01 81 00000000 ff', 1007],
    ['truncated UTF-8 at the end of a message', '01 81 00000000 e2 80 81 00000000 82', 1007],
    ['64-bit length past 2^53', '82 ff 0020000000000000', 1009],
    ['64-bit length with its most significant bit set (RFC 6455 §5.2)', '82 ff 8000000000000001', 1002],
  ];
  for (const [name, frames, code] of failures) {
    it(`fails ${name} with ${code} and stops`, () => {
      const { r, events } = receiver();
      r.push(hex(frames));
      r.push(hex('81 81 00000000 41'));
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0]?.[0], 'error');
      assert.equal(events[0]?.[1], code);
      assert.equal(r.stopped, true);
    });
  }

  it('enforces maxFrameSize and maxMessageSize from the declared lengths', () => {
    const frameLimit = receiver({ maxFrameSize: 10 });
    frameLimit.r.push(hex('82 8b'));
    assert.deepEqual(frameLimit.events, [['error', 1009, 'ERR_WEBSOCKET_MESSAGE_TOO_BIG']]);
    const messageLimit = receiver({ maxMessageSize: 10 });
    messageLimit.r.push(hex('02 86 00000000 000000000000'));
    messageLimit.r.push(hex('80 85'));
    assert.deepEqual(messageLimit.events, [['error', 1009, 'ERR_WEBSOCKET_MESSAGE_TOO_BIG']]);
  });

  it('inflates compressed messages (RFC 7692 examples), in order with later frames', async () => {
    const options = resolveDeflateOptions({});
    const deflate = new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, options, false);
    const { r, events } = receiver({ isServer: false, deflate });
    // "Hello" compressed, then the same in two fragments, then a back-reference to it, then a ping.
    r.push(hex('c1 07 f248cdc9c90700  41 03 f248cd 80 04 c9c90700  c1 05 f200110000  89 00'));
    for (let i = 0; i < 50 && events.length < 4; i++) await new Promise((res) => setTimeout(res, 5));
    assert.deepEqual(events, [
      ['message', 'Hello'],
      ['message', 'Hello'],
      ['message', 'Hello'],
      ['ping', ''],
    ]);
    deflate.close();
  });

  it('rejects RSV1 on control and continuation frames even with compression', () => {
    const deflate = new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, resolveDeflateOptions({}), false);
    const a = receiver({ isServer: false, deflate });
    a.r.push(hex('c9 00'));
    assert.deepEqual(a.events, [['error', 1002, 'ERR_WEBSOCKET_PROTOCOL']]);
    const b = receiver({ isServer: false, deflate });
    b.r.push(hex('41 01 00 c0 01 00'));
    assert.deepEqual(b.events, [['error', 1002, 'ERR_WEBSOCKET_PROTOCOL']]);
    deflate.close();
  });
});
