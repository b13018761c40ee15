import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { HTTPException } from '../../../src/errors.js';
import { DEFAULT_BODY_LIMIT, decodeUtf8, isJsonType, jsonDeeperThan, MAX_JSON_DEPTH, mediaType, parseJsonBody, payloadTooLarge, readNodeBody } from '../../../src/http/body.js';

/** Asserts that `fn` throws an HTTPException with this status, message and code. */
function assertHttpError(fn: () => unknown, status: number, message: string, code?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HTTPException, `expected an HTTPException, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.message, message);
    if (code !== undefined) assert.equal(err.code, code);
    assert.deepEqual(err.toJSON(), { error: message });
    return true;
  });
}

/** A recursive merge written the way lodash-style helpers are, with no guard of its own. */
function naiveMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const key in source) {
    const value = source[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const current = target[key];
      if (current !== null && (typeof current === 'object' || typeof current === 'function')) {
        naiveMerge(current as Record<string, unknown>, value as Record<string, unknown>);
      } else {
        target[key] = naiveMerge({}, value as Record<string, unknown>);
      }
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** A real IncomingMessage fed by hand: `chunks` arrive, then the body ends. */
function fakeRequest(headers: Record<string, string> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  return req;
}

function finish(req: IncomingMessage, ...chunks: string[]): void {
  for (const chunk of chunks) req.push(Buffer.from(chunk));
  req.complete = true;
  req.push(null);
}

describe('decodeUtf8', () => {
  it('decodes UTF-8 and drops one leading byte order mark', () => {
    assert.equal(decodeUtf8(Buffer.from('caf\u00e9')), 'caf\u00e9');
    assert.equal(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), '{}');
    assert.equal(decodeUtf8(Buffer.from('\ufeff\ufeffx')), '\ufeffx');
    assert.equal(decodeUtf8(Buffer.from('x\ufeff')), 'x\ufeff');
    assert.equal(decodeUtf8(Buffer.alloc(0)), '');
  });
});

describe('parseJsonBody', () => {
  it('parses objects, arrays and scalars', () => {
    assert.deepEqual(parseJsonBody('{"a":1,"b":[true,null,"x"]}'), { a: 1, b: [true, null, 'x'] });
    assert.deepEqual(parseJsonBody('[1,2]'), [1, 2]);
    assert.equal(parseJsonBody('42'), 42);
    assert.equal(parseJsonBody('"s"'), 's');
    assert.equal(parseJsonBody('null'), null);
    assert.deepEqual(parseJsonBody(' \n{"a":1}\t'), { a: 1 });
  });

  it('throws 400 with an exact message for an empty body', () => {
    assertHttpError(() => parseJsonBody(''), 400, 'Request body is empty; expected JSON', 'ERR_EMPTY_JSON');
  });

  it('throws 400 for malformed JSON', () => {
    for (const bad of ['{', '{"a":}', "{'a':1}", 'undefined', '   ', '{"a":1}x', 'NaN']) {
      assertHttpError(() => parseJsonBody(bad), 400, 'Malformed JSON in request body', 'ERR_MALFORMED_JSON');
    }
  });

  it('drops __proto__ keys at every depth', () => {
    const parsed = parseJsonBody('{"__proto__":{"admin":true},"a":1,"nested":{"__proto__":{"x":1},"b":2}}') as Record<string, unknown>;
    assert.deepEqual(parsed, { a: 1, nested: { b: 2 } });
    assert.equal(Object.hasOwn(parsed, '__proto__'), false);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal((parsed as { admin?: unknown }).admin, undefined);
  });

  it('drops __proto__ keys written with unicode escapes', () => {
    const parsed = parseJsonBody('{"\\u005f_proto__":{"admin":true},"ok":1}') as Record<string, unknown>;
    assert.deepEqual(parsed, { ok: 1 });
    const fully = parseJsonBody('{"\\u005f\\u005f\\u0070roto\\u005f\\u005f":{"admin":true}}') as Record<string, unknown>;
    assert.equal(Object.hasOwn(fully, '__proto__'), false);
  });

  it('drops constructor keys that hold a prototype, escaped or not', () => {
    assert.deepEqual(parseJsonBody('{"constructor":{"prototype":{"admin":true}},"a":1}'), { a: 1 });
    assert.deepEqual(parseJsonBody('{"\\u0063onstructor":{"\\u0070rototype":{"admin":true}},"a":1}'), { a: 1 });
    assert.deepEqual(parseJsonBody('[{"constructor":{"prototype":{}}}]'), [{}]);
  });

  it('keeps constructor keys that hold no prototype, and keys that only look alike', () => {
    assert.deepEqual(parseJsonBody('{"constructor":"x"}'), { constructor: 'x' });
    assert.deepEqual(parseJsonBody('{"constructor":{"name":"y"}}'), { constructor: { name: 'y' } });
    assert.deepEqual(parseJsonBody('{"proto":1,"__proto":2,"prototype":3}'), { proto: 1, __proto: 2, prototype: 3 });
  });

  it('throws 400, not a stack overflow, for JSON nested too deeply to check for poisoned keys', () => {
    const depth = 200_000;
    for (const text of [`${'['.repeat(depth)}{"constructor":1}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}"\\u0061"${'}'.repeat(depth)}`]) {
      assertHttpError(() => parseJsonBody(text), 400, 'JSON in request body is nested too deeply', 'ERR_JSON_TOO_DEEP');
    }
  });

  it('refuses JSON nested deeper than MAX_JSON_DEPTH with 400, before it can overflow JSON.stringify or a validator', () => {
    assert.equal(MAX_JSON_DEPTH, 1000);
    const nest = (depth: number): string[] => [
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      `[1,"x",{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}]`,
      `${'['.repeat(depth - 1)}{"__proto__":1}${']'.repeat(depth - 1)}`,
    ];
    for (const text of nest(MAX_JSON_DEPTH)) assert.doesNotThrow(() => JSON.stringify(parseJsonBody(text)));
    for (const depth of [MAX_JSON_DEPTH + 2, 100_000]) {
      for (const text of nest(depth)) {
        assertHttpError(() => parseJsonBody(text), 400, 'JSON in request body is nested too deeply', 'ERR_JSON_TOO_DEEP');
      }
    }
  });

  it('measures nesting on the parsed value, brackets inside strings not counted', () => {
    const check = (text: string, max: number): boolean => jsonDeeperThan(JSON.parse(text), text.padEnd(2 * max + 2), max);
    assert.equal(check('[[1]]', 1), true);
    assert.equal(check('[[1]]', 2), false);
    assert.equal(check('{"a":{"b":{}}}', 2), true);
    assert.equal(check('{"a":{"b":{}}}', 3), false);
    assert.equal(check('["[[[[[[","{{{{{{"]', 1), false);
    // Text of 2 * max + 1 characters cannot hold deeper nesting: the value is not walked at all.
    assert.equal(jsonDeeperThan([[[1]]], '[[[]]]', 2), true);
    assert.equal(jsonDeeperThan([[[1]]], '[[[]]', 2), false);
    assert.deepEqual(parseJsonBody(`{"s":"${'['.repeat(5000)}"}`), { s: '['.repeat(5000) });
  });

  it('keeps ordinary unicode escapes', () => {
    assert.deepEqual(parseJsonBody('{"name":"caf\\u00e9"}'), { name: 'café' });
  });

  it('returns data that cannot pollute Object.prototype when merged', () => {
    const payloads = [
      '{"__proto__":{"polluted":"yes"}}',
      '{"\\u005f_proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"a":{"__proto__":{"polluted":"yes"}}}',
      '{"a":{"constructor":{"prototype":{"polluted":"yes"}}}}',
    ];
    try {
      for (const payload of payloads) {
        const parsed = parseJsonBody(payload) as Record<string, unknown>;
        naiveMerge({}, parsed);
        naiveMerge({ a: {} }, parsed);
        const assigned = Object.assign({}, parsed);
        assert.equal(Object.getPrototypeOf(assigned), Object.prototype, payload);
        assert.equal(({} as { polluted?: unknown }).polluted, undefined, payload);
        assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false, payload);
      }
    } finally {
      delete (Object.prototype as { polluted?: unknown }).polluted;
    }
  });

  it('is guarded against what the merge helper would otherwise do with raw JSON.parse', () => {
    // The helper above is genuinely dangerous: this proves the previous test can fail.
    for (const payload of ['{"__proto__":{"pollutedByRaw":"yes"}}', '{"constructor":{"prototype":{"pollutedByRaw":"yes"}}}']) {
      const raw = JSON.parse(payload) as Record<string, unknown>;
      try {
        naiveMerge({}, raw);
        assert.equal(({} as { pollutedByRaw?: unknown }).pollutedByRaw, 'yes', payload);
      } finally {
        delete (Object.prototype as { pollutedByRaw?: unknown }).pollutedByRaw;
      }
      assert.equal(({} as { pollutedByRaw?: unknown }).pollutedByRaw, undefined);
    }
  });
});

describe('mediaType', () => {
  it('lower-cases the type and drops parameters and whitespace', () => {
    assert.equal(mediaType('application/json'), 'application/json');
    assert.equal(mediaType('Application/JSON; charset=UTF-8'), 'application/json');
    assert.equal(mediaType('  text/html ;charset=utf-8'), 'text/html');
    assert.equal(mediaType('multipart/form-data; boundary=xyz'), 'multipart/form-data');
  });

  it('returns an empty string for a missing header', () => {
    assert.equal(mediaType(undefined), '');
    assert.equal(mediaType(null), '');
    assert.equal(mediaType(''), '');
  });
});

describe('isJsonType', () => {
  it('accepts application/json and application/*+json', () => {
    assert.equal(isJsonType('application/json'), true);
    assert.equal(isJsonType('application/problem+json'), true);
    assert.equal(isJsonType('application/vnd.api+json'), true);
  });

  it('rejects other types', () => {
    for (const t of ['text/json', 'text/plain', 'application/jsonx', 'application/json-patch', 'application/x-www-form-urlencoded', '', 'text/x+json']) {
      assert.equal(isJsonType(t), false, t);
    }
  });
});

describe('payloadTooLarge', () => {
  it('builds a 413 naming the limit', () => {
    const err = payloadTooLarge(10);
    assert.ok(err instanceof HTTPException);
    assert.equal(err.status, 413);
    assert.equal(err.message, 'Payload Too Large: the body exceeds 10 bytes');
    assert.equal(err.code, 'ERR_BODY_TOO_LARGE');
  });
});

describe('readNodeBody', () => {
  it('has a default limit of 1 MiB', () => {
    assert.equal(DEFAULT_BODY_LIMIT, 1048576);
  });

  it('concatenates the chunks of the body', async () => {
    const req = fakeRequest();
    const body = readNodeBody(req, 100);
    finish(req, 'hello ', 'wor', 'ld');
    assert.equal((await body).toString(), 'hello world');
  });

  it('resolves an empty Buffer for an empty body', async () => {
    const req = fakeRequest();
    const body = readNodeBody(req, 100);
    finish(req);
    const buf = await body;
    assert.ok(Buffer.isBuffer(buf));
    assert.equal(buf.length, 0);
  });

  it('accepts a body of exactly the limit', async () => {
    const req = fakeRequest({ 'content-length': '5' });
    const body = readNodeBody(req, 5);
    finish(req, '12345');
    assert.equal((await body).toString(), '12345');
  });

  it('refuses at once when Content-Length exceeds the limit', async () => {
    const req = fakeRequest({ 'content-length': '6' });
    await assert.rejects(readNodeBody(req, 5), { status: 413, message: 'Payload Too Large: the body exceeds 5 bytes' });
  });

  it('refuses a streamed body as soon as it passes the limit', async () => {
    const req = fakeRequest();
    const body = readNodeBody(req, 5);
    finish(req, '123', '456');
    await assert.rejects(body, { status: 413, code: 'ERR_BODY_TOO_LARGE' });
  });

  it('rejects with 400 when the stream fails', async () => {
    const req = fakeRequest();
    const body = readNodeBody(req, 100);
    req.destroy(new Error('boom'));
    await assert.rejects(body, (err: unknown) => {
      assert.ok(err instanceof HTTPException);
      assert.equal(err.status, 400);
      assert.equal(err.message, 'Request body could not be read');
      assert.equal(err.code, 'ERR_BODY_READ');
      return true;
    });
  });

  it('rejects with 400 when the client goes away before the body ends', async () => {
    const req = fakeRequest();
    const body = readNodeBody(req, 100);
    req.push(Buffer.from('partial'));
    req.destroy();
    await assert.rejects(body, { status: 400, message: 'Request body could not be read' });
  });
});
