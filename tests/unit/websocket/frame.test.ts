import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask, closePayload, encodeFrame, OPCODES } from '../../../src/http/websocket/frame.js';

describe('encodeFrame', () => {
  it('encodes unmasked server frames with 7-, 16- and 64-bit lengths', () => {
    assert.equal((encodeFrame(OPCODES.TEXT, Buffer.from('Hello'), true, false, false) as Buffer).toString('hex'), '810548656c6c6f');
    const medium = encodeFrame(OPCODES.BINARY, Buffer.alloc(256), true, false, false) as Buffer;
    assert.equal(medium.subarray(0, 4).toString('hex'), '827e0100');
    const big = encodeFrame(OPCODES.BINARY, Buffer.alloc(70_000), true, false, false);
    assert.ok(Array.isArray(big), 'large payloads are not copied behind the header');
    assert.equal(big[0].toString('hex'), '827f0000000000011170');
    assert.equal(big[1].length, 70_000);
  });

  it('sets FIN and RSV1 as asked', () => {
    assert.equal((encodeFrame(OPCODES.TEXT, Buffer.alloc(0), false, true, false) as Buffer)[0], 0x41);
    assert.equal((encodeFrame(OPCODES.CLOSE, Buffer.alloc(0), true, false, false) as Buffer)[0], 0x88);
  });

  it('masks client frames with a fresh key, leaving the caller buffer intact', () => {
    const payload = Buffer.from('Hello, masked world!');
    const a = encodeFrame(OPCODES.TEXT, payload, true, false, true) as Buffer;
    const b = encodeFrame(OPCODES.TEXT, payload, true, false, true) as Buffer;
    assert.equal(payload.toString(), 'Hello, masked world!');
    assert.equal(a[1], 0x80 | payload.length);
    assert.notDeepEqual(a.subarray(2, 6), b.subarray(2, 6));
    const unmasked = Buffer.alloc(payload.length);
    applyMask(a, a.subarray(2, 6), unmasked, 6, 0, payload.length);
    assert.equal(unmasked.toString(), 'Hello, masked world!');
  });
});

describe('applyMask', () => {
  it('gives the byte-wise result at every alignment and length', () => {
    const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const pool = Buffer.alloc(300);
    for (let i = 0; i < pool.length; i++) pool[i] = (i * 31 + 7) & 0xff;
    for (const offset of [0, 1, 2, 3, 5]) {
      for (const length of [0, 1, 3, 4, 31, 32, 33, 64, 100, 257]) {
        const src = pool.subarray(offset, offset + length);
        const expected = Buffer.from(src.map((x, i) => x ^ (mask[i & 3] as number)));
        const copy = Buffer.from(pool);
        const view = copy.subarray(offset, offset + length);
        applyMask(view, mask, view, 0, 0, length);
        assert.deepEqual(view, expected, `offset ${offset} length ${length}`);
      }
    }
  });
});

describe('closePayload', () => {
  it('encodes the code big-endian and the reason as UTF-8', () => {
    assert.equal(closePayload(1000, 'é').toString('hex'), '03e8c3a9');
    assert.equal(closePayload(undefined, '').length, 0);
  });
});
