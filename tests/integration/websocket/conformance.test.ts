// Protocol conformance, modelled on the Autobahn TestSuite's server cases (sections 1–7, 9, 12
// and 13), against an echo route over real TCP. Every frame is built by hand (tests/…/raw-peer.ts)
// and every byte the server answers is checked: echoes, pongs, close codes, and that the server
// drops the TCP connection after failing it. Section numbers follow Autobahn's.
import assert from 'node:assert/strict';
import { deflateRawSync, constants as zlib, inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CovetApp, type ListenInfo } from '../../../src/index.js';
import { closeBody, type Frame, frame, OP, RawPeer } from './raw-peer.js';

let app: CovetApp;
let info: ListenInfo;
const T = { timeout: 180_000 };

before(async () => {
  app = new CovetApp();
  const echo = async (ws: import('../../../src/index.js').WebSocket<unknown>): Promise<void> => {
    await ws.accept();
    for await (const message of ws) await ws.send(message);
  };
  app.websocket('/echo', { compression: { threshold: 0 }, heartbeatInterval: 0 }, echo);
  app.websocket('/plain', { heartbeatInterval: 0 }, echo);
  app.websocket('/limited', { maxMessageSize: 1000, maxFrameSize: 600, heartbeatInterval: 0 }, echo);
  info = await app.listen({ port: 0 });
});
after(async () => {
  await app.close();
});

async function open(path = '/plain', headers: Record<string, string> = {}): Promise<RawPeer> {
  const { peer, response } = await RawPeer.open(info.port, path, headers);
  assert.equal(response.status, 101, response.body);
  return peer;
}

async function expectFrame(peer: RawPeer, opcode: number, payload: string | Buffer, what = ''): Promise<Frame> {
  const f = await peer.next();
  assert.ok(f !== null, `expected a frame ${what}, the connection ended`);
  assert.equal(f.opcode, opcode, `opcode ${what}`);
  assert.equal(f.fin, true, `FIN ${what}`);
  assert.equal(f.masked, false, 'server frames are never masked');
  assert.equal(f.rsv1 || f.rsv2 || f.rsv3, false, 'no reserved bits without compression');
  assert.deepEqual(f.payload, typeof payload === 'string' ? Buffer.from(payload) : payload, `payload ${what}`);
  return f;
}

/** The server fails the connection: a close frame with `code` (if it sends one), then TCP closes. */
async function expectFail(peer: RawPeer, code: number): Promise<void> {
  const frames = await peer.rest();
  const close = frames.find((f) => f.opcode === OP.CLOSE);
  assert.ok(close !== undefined, `expected close ${code}, got ${JSON.stringify(frames.map((f) => f.opcode))}`);
  assert.equal(RawPeer.closeCode(close), code);
  await peer.closed;
}

/** Clean close: send ours, get the echo, and the server closes TCP. */
async function expectCleanClose(peer: RawPeer, body: Buffer = closeBody(1000), expected: number = 1000): Promise<void> {
  await peer.send(frame(OP.CLOSE, body));
  const f = await peer.next();
  assert.ok(f !== null && f.opcode === OP.CLOSE, 'close echoed');
  assert.equal(RawPeer.closeCode(f), expected);
  await peer.closed;
}

describe('conformance 1: framing', T, () => {
  for (const op of [OP.TEXT, OP.BINARY]) {
    for (const size of [0, 125, 126, 127, 128, 65535, 65536]) {
      it(`echoes a ${op === OP.TEXT ? 'text' : 'binary'} message of ${size} bytes (1.${op}.x)`, async () => {
        const peer = await open();
        const payload = Buffer.alloc(size, op === OP.TEXT ? '*' : 0xfe);
        await peer.send(frame(op, payload));
        await expectFrame(peer, op, payload);
        await expectCleanClose(peer);
      });
    }
    it(`echoes a ${op === OP.TEXT ? 'text' : 'binary'} message of 65536 bytes sent in 997-byte writes (1.${op}.8)`, async () => {
      const peer = await open();
      const payload = Buffer.alloc(65536, op === OP.TEXT ? 'z' : 0x01);
      await peer.send(frame(op, payload), 997);
      await expectFrame(peer, op, payload);
      await expectCleanClose(peer);
    });
  }
  it('parses frames delivered one byte at a time', async () => {
    const peer = await open();
    await peer.send(Buffer.concat([frame(OP.TEXT, 'Hello'), frame(OP.BINARY, Buffer.from([1, 2, 3]))]), 1);
    await expectFrame(peer, OP.TEXT, 'Hello');
    await expectFrame(peer, OP.BINARY, Buffer.from([1, 2, 3]));
    await expectCleanClose(peer);
  });
  it('parses the RFC 6455 §5.7 masked "Hello" example byte-exact', async () => {
    const peer = await open();
    await peer.send(Buffer.from('818537fa213d7f9f4d5158', 'hex'));
    await expectFrame(peer, OP.TEXT, 'Hello');
    await expectCleanClose(peer);
  });
});

describe('conformance 2: pings and pongs', T, () => {
  it('2.1 answers an empty ping with an empty pong', async () => {
    const peer = await open();
    await peer.send(frame(OP.PING));
    await expectFrame(peer, OP.PONG, '');
    await expectCleanClose(peer);
  });
  it('2.2/2.3 echoes text and binary ping payloads', async () => {
    const peer = await open();
    await peer.send(frame(OP.PING, 'Hello, world!'));
    await expectFrame(peer, OP.PONG, 'Hello, world!');
    await peer.send(frame(OP.PING, Buffer.from([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff])));
    await expectFrame(peer, OP.PONG, Buffer.from([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff]));
    await expectCleanClose(peer);
  });
  it('2.4/2.6 echoes a 125-byte ping payload, also sent one byte at a time', async () => {
    const peer = await open();
    const payload = Buffer.alloc(125, 0xfe);
    await peer.send(frame(OP.PING, payload));
    await expectFrame(peer, OP.PONG, payload);
    await peer.send(frame(OP.PING, payload), 1);
    await expectFrame(peer, OP.PONG, payload);
    await expectCleanClose(peer);
  });
  it('2.5 fails a ping with a 126-byte payload (1002)', async () => {
    const peer = await open();
    await peer.send(frame(OP.PING, Buffer.alloc(126, 0xfe)));
    await expectFail(peer, 1002);
  });
  it('2.7–2.9 ignores unsolicited pongs, then still answers a ping', async () => {
    const peer = await open();
    await peer.send(frame(OP.PONG));
    await peer.send(frame(OP.PONG, 'unsolicited'));
    await peer.send(frame(OP.PING, 'ping after pongs'));
    await expectFrame(peer, OP.PONG, 'ping after pongs');
    await expectCleanClose(peer);
  });
  it('2.10/2.11 answers 10 pings (also chopped) with 10 pongs in order', async () => {
    const peer = await open();
    const pings = Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(OP.PING, `payload-${i}`)));
    await peer.send(pings);
    for (let i = 0; i < 10; i++) await expectFrame(peer, OP.PONG, `payload-${i}`);
    await peer.send(pings, 1);
    for (let i = 0; i < 10; i++) await expectFrame(peer, OP.PONG, `payload-${i}`);
    await expectCleanClose(peer);
  });
});

describe('conformance 3: reserved bits', T, () => {
  const cases: [string, Buffer][] = [
    ['3.1 RSV1 on text (no extension)', frame(OP.TEXT, 'Hello', { rsv1: true })],
    ['3.2 RSV2 on text', frame(OP.TEXT, 'Hello', { rsv2: true })],
    ['3.3 RSV3 on text', frame(OP.TEXT, 'Hello', { rsv3: true })],
    ['3.4 RSV1+RSV2 on text', frame(OP.TEXT, 'Hello', { rsv1: true, rsv2: true })],
    ['3.5 RSV1+RSV3 on binary', frame(OP.BINARY, Buffer.from([1]), { rsv1: true, rsv3: true })],
    ['3.6 RSV2+RSV3 on ping', frame(OP.PING, 'Hello', { rsv2: true, rsv3: true })],
    ['3.7 all RSV bits on close', frame(OP.CLOSE, closeBody(1000), { rsv1: true, rsv2: true, rsv3: true })],
  ];
  for (const [name, bad] of cases) {
    it(`${name}: echoes what came before, then fails with 1002`, async () => {
      const peer = await open();
      await peer.send(Buffer.concat([frame(OP.TEXT, 'before'), bad, frame(OP.PING, 'after')]));
      await expectFrame(peer, OP.TEXT, 'before');
      await expectFail(peer, 1002);
    });
  }
  it('RSV1 on a continuation frame fails even with compression negotiated', async () => {
    const peer = await open('/echo', { 'sec-websocket-extensions': 'permessage-deflate' });
    await peer.send(Buffer.concat([frame(OP.TEXT, 'a', { fin: false }), frame(OP.CONT, 'b', { rsv1: true })]));
    await expectFail(peer, 1002);
  });
});

describe('conformance 4: opcodes', T, () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    it(`4.${opcode < 8 ? 1 : 2}: reserved opcode ${opcode} fails with 1002 after a valid message`, async () => {
      const peer = await open();
      await peer.send(Buffer.concat([frame(OP.TEXT, 'valid'), frame(opcode, 'reserved'), frame(OP.PING)]));
      await expectFrame(peer, OP.TEXT, 'valid');
      await expectFail(peer, 1002);
    });
  }
});

describe('conformance 5: fragmentation', T, () => {
  it('5.1/5.2 fails fragmented ping and pong (1002)', async () => {
    for (const op of [OP.PING, OP.PONG]) {
      const peer = await open();
      await peer.send(Buffer.concat([frame(op, 'frag', { fin: false }), frame(OP.CONT, 'ment')]));
      await expectFail(peer, 1002);
    }
  });
  it('5.3/5.4 reassembles a text message from two fragments (also chopped)', async () => {
    const peer = await open();
    const data = Buffer.concat([frame(OP.TEXT, 'frag', { fin: false }), frame(OP.CONT, 'ment')]);
    await peer.send(data);
    await expectFrame(peer, OP.TEXT, 'fragment');
    await peer.send(data, 1);
    await expectFrame(peer, OP.TEXT, 'fragment');
    await expectCleanClose(peer);
  });
  it('5.6–5.8 answers pings interleaved between fragments, then echoes the message', async () => {
    const peer = await open();
    await peer.send(Buffer.concat([frame(OP.TEXT, 'one ', { fin: false }), frame(OP.PING, 'p1'), frame(OP.CONT, 'two ', { fin: false }), frame(OP.PING, 'p2'), frame(OP.CONT, 'three')]), 3);
    await expectFrame(peer, OP.PONG, 'p1');
    await expectFrame(peer, OP.PONG, 'p2');
    await expectFrame(peer, OP.TEXT, 'one two three');
    await expectCleanClose(peer);
  });
  it('5.9–5.14 fails a continuation with nothing to continue (1002)', async () => {
    for (const fin of [true, false]) {
      const peer = await open();
      await peer.send(Buffer.concat([frame(OP.CONT, 'orphan', { fin }), frame(OP.TEXT, 'never echoed')]));
      await expectFail(peer, 1002);
    }
  });
  it('5.15–5.18 fails a new message started inside a fragmented one (1002)', async () => {
    const peer = await open();
    await peer.send(Buffer.concat([frame(OP.TEXT, 'a', { fin: false }), frame(OP.CONT, 'b'), frame(OP.CONT, 'c', { fin: false }), frame(OP.TEXT, 'd')]));
    await expectFrame(peer, OP.TEXT, 'ab');
    await expectFail(peer, 1002);
    const peer2 = await open();
    await peer2.send(Buffer.concat([frame(OP.TEXT, 'a', { fin: false }), frame(OP.BINARY, Buffer.from([1]))]));
    await expectFail(peer2, 1002);
  });
  it('5.19/5.20 handles fragments with pauses and pings between them', async () => {
    const peer = await open();
    await peer.send(frame(OP.TEXT, 'fragment1', { fin: false }));
    await peer.send(frame(OP.PING, 'pongme 1!'));
    await expectFrame(peer, OP.PONG, 'pongme 1!');
    await new Promise((r) => setTimeout(r, 200));
    await peer.send(frame(OP.CONT, 'fragment2', { fin: false }));
    await peer.send(frame(OP.PING, 'pongme 2!'));
    await expectFrame(peer, OP.PONG, 'pongme 2!');
    await peer.send(frame(OP.CONT, 'fragment3'));
    await expectFrame(peer, OP.TEXT, 'fragment1fragment2fragment3');
    await expectCleanClose(peer);
  });
});

describe('conformance 6: UTF-8 handling', T, () => {
  const valid = ['', 'Hello-µ@ßöäüàá-UTF-8!!', 'κόσμε', '\u{10FFFF}', '\uFFFD', '𝄞 clef', '\u0080\u07ff\u0800\uffff'];
  for (const text of valid) {
    it(`6.x echoes valid text ${JSON.stringify(text)} whole, and split into 1-byte fragments`, async () => {
      const peer = await open();
      const bytes = Buffer.from(text);
      await peer.send(frame(OP.TEXT, bytes));
      await expectFrame(peer, OP.TEXT, bytes);
      if (bytes.length > 1) {
        const parts = [...bytes].map((b, i) => frame(i === 0 ? OP.TEXT : OP.CONT, Buffer.from([b]), { fin: i === bytes.length - 1 }));
        await peer.send(Buffer.concat(parts));
        await expectFrame(peer, OP.TEXT, bytes);
      }
      await expectCleanClose(peer);
    });
  }
  const invalid: [string, string][] = [
    ['lone continuation byte', '80'],
    ['overlong "/"', 'c0af'],
    ['overlong NUL (3 bytes)', 'e08080'],
    ['UTF-16 surrogate U+D800', 'eda080'],
    ['paired surrogates', 'eda080edb080'],
    ['beyond U+10FFFF', 'f4908080'],
    ['5-byte sequence', 'f888808080'],
    ['0xFE', 'fe'],
    ['0xFF', 'ff'],
    ['truncated 3-byte sequence', 'e282'],
    ['valid then invalid', `${Buffer.from('κόσμε').toString('hex')}eda080656469746564`],
  ];
  for (const [name, hex] of invalid) {
    it(`6.x fails invalid UTF-8 (${name}) with 1007, whole or fragmented`, async () => {
      const peer = await open();
      await peer.send(frame(OP.TEXT, Buffer.from(hex, 'hex')));
      await expectFail(peer, 1007);
      const bytes = Buffer.from(hex, 'hex');
      const peer2 = await open();
      const parts = [...bytes].map((b, i) => frame(i === 0 ? OP.TEXT : OP.CONT, Buffer.from([b]), { fin: i === bytes.length - 1 }));
      await peer2.send(Buffer.concat(parts));
      await expectFail(peer2, 1007);
    });
  }
  it('6.4 fails fast: invalid UTF-8 in an early fragment closes before the message ends', async () => {
    const peer = await open();
    await peer.send(frame(OP.TEXT, 'κόσμε', { fin: false }));
    await peer.send(frame(OP.CONT, Buffer.from('f4908080', 'hex'), { fin: false }));
    // The last fragment is never sent: the server must not wait for it.
    await expectFail(peer, 1007);
  });
  it('fails an invalid UTF-8 close reason with 1007', async () => {
    const peer = await open();
    await peer.send(frame(OP.CLOSE, closeBody(1000, Buffer.from('ceba', 'hex').subarray(0, 1))));
    await expectFail(peer, 1007);
  });
});

describe('conformance 7: close handling', T, () => {
  it('7.1.1 echoes a message, then closes cleanly', async () => {
    const peer = await open();
    await peer.send(frame(OP.TEXT, 'Hello World!'));
    await expectFrame(peer, OP.TEXT, 'Hello World!');
    await expectCleanClose(peer);
  });
  it('7.1.2–7.1.4 ignores a second close, pings and messages after the close frame', async () => {
    const peer = await open();
    await peer.send(Buffer.concat([frame(OP.CLOSE, closeBody(1000)), frame(OP.CLOSE, closeBody(1001)), frame(OP.PING, 'x'), frame(OP.TEXT, 'after')]));
    const frames = await peer.rest();
    assert.deepEqual(
      frames.map((f) => [f.opcode, RawPeer.closeCode(f)]),
      [[OP.CLOSE, 1000]],
    );
    await peer.closed;
  });
  it('7.1.5 closes in the middle of a fragmented message', async () => {
    const peer = await open();
    await peer.send(Buffer.concat([frame(OP.TEXT, 'fragment1', { fin: false }), frame(OP.CLOSE, closeBody(1000)), frame(OP.CONT, 'fragment2')]));
    const frames = await peer.rest();
    assert.deepEqual(
      frames.map((f) => f.opcode),
      [OP.CLOSE],
    );
  });
  it('7.1.6 echoes a large message queued before the close, then closes', async () => {
    const peer = await open();
    const big = Buffer.alloc(256 * 1024, 'B');
    await peer.send(Buffer.concat([frame(OP.TEXT, big), frame(OP.CLOSE, closeBody(1000))]));
    await expectFrame(peer, OP.TEXT, big);
    const f = await peer.next();
    assert.equal(f?.opcode, OP.CLOSE);
    await peer.closed;
  });
  it('7.3.1 answers an empty close with an empty close', async () => {
    const peer = await open();
    await peer.send(frame(OP.CLOSE));
    const f = await peer.next();
    assert.equal(f?.opcode, OP.CLOSE);
    assert.equal(f?.payload.length, 0);
    await peer.closed;
  });
  it('7.3.2 fails a 1-byte close payload (1002)', async () => {
    const peer = await open();
    await peer.send(frame(OP.CLOSE, Buffer.from([0x03])));
    await expectFail(peer, 1002);
  });
  it('7.3.3–7.3.5 echoes a code alone, a code with a reason, a 123-byte reason', async () => {
    for (const reason of ['', 'Hello World!', 'x'.repeat(123)]) {
      const peer = await open();
      await expectCleanClose(peer, closeBody(1000, reason));
    }
  });
  it('7.3.6 fails a 124-byte reason (control payload over 125 bytes, 1002)', async () => {
    const peer = await open();
    await peer.send(frame(OP.CLOSE, closeBody(1000, 'x'.repeat(124))));
    await expectFail(peer, 1002);
  });
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]) {
    it(`7.7 echoes valid close code ${code}`, async () => {
      const peer = await open();
      await expectCleanClose(peer, closeBody(code), code);
    });
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    it(`7.9 fails invalid close code ${code} (1002)`, async () => {
      const peer = await open();
      await peer.send(frame(OP.CLOSE, closeBody(code)));
      await expectFail(peer, 1002);
    });
  }
  it('fails unmasked client frames (1002)', async () => {
    const peer = await open();
    await peer.send(frame(OP.TEXT, 'not masked', { mask: false }));
    await expectFail(peer, 1002);
  });
});

describe('conformance 9: limits and sizes', T, () => {
  for (const size of [1 << 20, 4 << 20, 16 << 20]) {
    it(`9.1/9.2 echoes a ${size >> 20} MiB text and binary message`, async () => {
      const peer = await open();
      for (const op of [OP.TEXT, OP.BINARY]) {
        const payload = Buffer.alloc(size, op === OP.TEXT ? 'q' : 0x7f);
        await peer.send(frame(op, payload));
        const f = await peer.next(60_000);
        assert.equal(f?.opcode, op);
        assert.equal(f?.payload.length, size);
        assert.ok(f?.payload.equals(payload));
      }
      await expectCleanClose(peer);
    });
  }
  for (const fragment of [64, 4096, 65536, 1 << 20]) {
    it(`9.3/9.4 reassembles 4 MiB sent in ${fragment}-byte fragments`, async () => {
      const peer = await open();
      const payload = Buffer.alloc(4 << 20, 'f');
      const frames: Buffer[] = [];
      for (let i = 0; i < payload.length; i += fragment) {
        frames.push(frame(i === 0 ? OP.BINARY : OP.CONT, payload.subarray(i, i + fragment), { fin: i + fragment >= payload.length }));
      }
      await peer.send(Buffer.concat(frames));
      const f = await peer.next(60_000);
      assert.equal(f?.payload.length, payload.length);
      await expectCleanClose(peer);
    });
  }
  it('9.7/9.8 round-trips 1000 small messages in order', async () => {
    const peer = await open();
    await peer.send(Buffer.concat(Array.from({ length: 1000 }, (_, i) => frame(OP.TEXT, `m${i}`))));
    for (let i = 0; i < 1000; i++) await expectFrame(peer, OP.TEXT, `m${i}`);
    await expectCleanClose(peer);
  });
  it('fails a message over maxMessageSize with 1009, also across fragments', async () => {
    const peer = await open('/limited');
    await peer.send(frame(OP.TEXT, 'x'.repeat(500)));
    await expectFrame(peer, OP.TEXT, 'x'.repeat(500));
    await peer.send(Buffer.concat([frame(OP.TEXT, 'x'.repeat(500), { fin: false }), frame(OP.CONT, 'x'.repeat(501))]));
    await expectFail(peer, 1009);
  });
  it('fails a frame over maxFrameSize with 1009 before reading its payload', async () => {
    const peer = await open('/limited');
    // Only the header is sent: the declared length alone must fail it.
    await peer.send(frame(OP.BINARY, Buffer.alloc(601)).subarray(0, 8));
    await expectFail(peer, 1009);
  });
  it('fails a 64-bit length past 2^53 with 1009', async () => {
    const peer = await open();
    await peer.send(Buffer.from('82ff7fffffffffffffff00000000', 'hex'));
    await expectFail(peer, 1009);
  });
});

/** A client-side compressed message, as a browser sends it (sync flush, trailer removed). */
function compress(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: zlib.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

function inflate(data: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.Z_SYNC_FLUSH });
}

describe('conformance 12/13: permessage-deflate', T, () => {
  it('negotiates and decodes the RFC 7692 §7.2.3 examples byte-exact', async () => {
    // server_no_context_takeover: each of the server's answers decodes on its own.
    const { peer, response } = await RawPeer.open(info.port, '/echo', { 'sec-websocket-extensions': 'permessage-deflate; server_no_context_takeover' });
    assert.equal(response.status, 101);
    assert.equal(response.headers['sec-websocket-extensions'], 'permessage-deflate; server_no_context_takeover');
    // §7.2.3.1 "Hello" compressed; §7.2.3.2 the same in two fragments; §7.2.3.3 a stored block.
    await peer.send(frame(OP.TEXT, Buffer.from('f248cdc9c90700', 'hex'), { rsv1: true }));
    await peer.send(Buffer.concat([frame(OP.TEXT, Buffer.from('f248cd', 'hex'), { rsv1: true, fin: false }), frame(OP.CONT, Buffer.from('c9c90700', 'hex'))]));
    // An uncompressed (RSV1 clear) empty message is allowed too.
    await peer.send(frame(OP.TEXT, Buffer.alloc(0)));
    await peer.send(frame(OP.TEXT, Buffer.from('000500faff48656c6c6f00', 'hex'), { rsv1: true }));
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const f = await peer.next();
      assert.ok(f !== null);
      texts.push((f.rsv1 ? inflate(f.payload) : f.payload).toString());
    }
    assert.deepEqual(texts, ['Hello', 'Hello', '', 'Hello']);
    await expectCleanClose(peer);
  });
  it('keeps the client context across messages (§7.2.3.2 second message with a back-reference)', async () => {
    const peer = await open('/echo', { 'sec-websocket-extensions': 'permessage-deflate' });
    await peer.send(frame(OP.TEXT, Buffer.from('f248cdc9c90700', 'hex'), { rsv1: true }));
    await peer.send(frame(OP.TEXT, Buffer.from('f200110000', 'hex'), { rsv1: true }));
    const first = await peer.next();
    const second = await peer.next();
    assert.ok(first !== null && second !== null);
    assert.equal(first.rsv1, true);
    assert.equal(inflate(first.payload).toString(), 'Hello');
    // The server keeps its own context: decode both with one inflater.
    assert.equal(second.rsv1, true);
    await expectCleanClose(peer);
  });
  for (const offer of ['permessage-deflate', 'permessage-deflate; client_no_context_takeover']) {
    it(`decodes messages that end their DEFLATE stream (BFINAL set, §7.2.3.4), one after another (${offer})`, async () => {
      // The inflater used to stay at the end of the first stream: with context takeover the next
      // messages decoded as empty text, without it they failed the connection with 1007.
      const peer = await open('/echo', { 'sec-websocket-extensions': `${offer}; server_no_context_takeover` });
      // The RFC's example ("Hello" in a final block, then padding), and whole raw DEFLATE streams.
      await peer.send(frame(OP.TEXT, Buffer.from('f348cdc9c9070000', 'hex'), { rsv1: true }));
      for (const text of ['world', 'again', 'Hello']) await peer.send(frame(OP.TEXT, deflateRawSync(Buffer.from(text)), { rsv1: true }));
      const texts: string[] = [];
      for (let i = 0; i < 4; i++) {
        const f = await peer.next();
        assert.ok(f !== null && f.opcode === OP.TEXT, `message ${i} echoed`);
        texts.push((f.rsv1 ? inflate(f.payload) : f.payload).toString());
      }
      assert.deepEqual(texts, ['Hello', 'world', 'again', 'Hello']);
      await expectCleanClose(peer);
    });
  }
  for (const size of [16, 1024, 65536, 1 << 20]) {
    it(`12.x echoes compressed text and binary of ${size} bytes`, async () => {
      const peer = await open('/echo', { 'sec-websocket-extensions': 'permessage-deflate; client_no_context_takeover; server_no_context_takeover' });
      for (const op of [OP.TEXT, OP.BINARY]) {
        const payload = Buffer.from('covet '.repeat(Math.ceil(size / 6)).slice(0, size));
        await peer.send(frame(op, compress(payload), { rsv1: true }));
        const f = await peer.next(30_000);
        assert.ok(f !== null);
        assert.equal(f.opcode, op);
        assert.equal(f.rsv1, true);
        assert.ok(f.payload.length < payload.length || size < 64);
        assert.ok(inflate(f.payload).equals(payload));
      }
      await expectCleanClose(peer);
    });
  }
  const offers: [string, string, RegExp][] = [
    ['13.1 no parameters', 'permessage-deflate', /^permessage-deflate$/],
    ['13.2 client_no_context_takeover', 'permessage-deflate; client_no_context_takeover', /^permessage-deflate; client_no_context_takeover$/],
    ['13.3 client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=9', /^permessage-deflate; client_max_window_bits=9$/],
    ['13.4 client_max_window_bits (no value)', 'permessage-deflate; client_max_window_bits', /^permessage-deflate$/],
    ['13.5 server_no_context_takeover', 'permessage-deflate; server_no_context_takeover', /^permessage-deflate; server_no_context_takeover$/],
    ['13.6 server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=10', /^permessage-deflate; server_max_window_bits=10$/],
    ['13.7 an unacceptable offer, then a fallback', 'permessage-deflate; server_max_window_bits=8, permessage-deflate; unknown_param, permessage-deflate; client_max_window_bits=12', /^permessage-deflate; client_max_window_bits=12$/],
  ];
  for (const [name, offer, answer] of offers) {
    it(`${name}: negotiates and echoes compressed messages`, async () => {
      const { peer, response } = await RawPeer.open(info.port, '/echo', { 'sec-websocket-extensions': offer });
      assert.equal(response.status, 101);
      assert.match(response.headers['sec-websocket-extensions'] ?? '', answer);
      for (let i = 0; i < 3; i++) {
        const payload = Buffer.from(`message ${i} `.repeat(50));
        await peer.send(frame(OP.TEXT, compress(payload), { rsv1: true }));
        const f = await peer.next();
        assert.ok(f !== null && f.rsv1);
        assert.equal(f.opcode, OP.TEXT);
      }
      await expectCleanClose(peer);
    });
  }
  it('declines every unacceptable offer: the connection runs uncompressed', async () => {
    const { peer, response } = await RawPeer.open(info.port, '/echo', { 'sec-websocket-extensions': 'permessage-deflate; server_max_window_bits=8, x-webkit-deflate-frame' });
    assert.equal(response.status, 101);
    assert.equal(response.headers['sec-websocket-extensions'], undefined);
    await peer.send(frame(OP.TEXT, compress(Buffer.from('hi')), { rsv1: true }));
    await expectFail(peer, 1002);
  });
  it('fails corrupt compressed data with 1007', async () => {
    const peer = await open('/echo', { 'sec-websocket-extensions': 'permessage-deflate' });
    await peer.send(frame(OP.TEXT, Buffer.from('ffffffffffff', 'hex'), { rsv1: true }));
    await expectFail(peer, 1007);
  });
  it('fails a decompression bomb past maxMessageSize with 1009', async () => {
    const small = new CovetApp();
    small.websocket('/z', { compression: true, maxMessageSize: 64 * 1024 }, async (ws) => {
      for await (const m of ws) await ws.send(m);
    });
    const { port } = await small.listen({ port: 0 });
    try {
      const { peer } = await RawPeer.open(port, '/z', { 'sec-websocket-extensions': 'permessage-deflate' });
      await peer.send(frame(OP.BINARY, compress(Buffer.alloc(8 << 20)), { rsv1: true }));
      await expectFail(peer, 1009);
    } finally {
      await small.close();
    }
  });
});
