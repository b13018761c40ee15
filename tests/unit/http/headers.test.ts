import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { RequestHeaders, ResponseHeaders } from '../../../src/http/headers.js';

describe('RequestHeaders', () => {
  const raw: IncomingHttpHeaders = {
    host: 'example.com',
    'content-type': 'application/json',
    'x-forwarded-for': '1.1.1.1, 2.2.2.2',
    'set-cookie': ['a=1', 'b=2'],
    accept: 'text/html',
  };

  it('gets values case-insensitively', () => {
    const headers = new RequestHeaders(raw);
    assert.equal(headers.get('Content-Type'), 'application/json');
    assert.equal(headers.get('CONTENT-TYPE'), 'application/json');
    assert.equal(headers.get('host'), 'example.com');
  });

  it('returns null, or the fallback, for an absent header', () => {
    const headers = new RequestHeaders(raw);
    assert.equal(headers.get('x-missing'), null);
    assert.equal(headers.get('X-Correlation-ID', 'generated'), 'generated');
    assert.equal(headers.get('x-missing', 0), 0);
    assert.equal(headers.get('host', 'fallback'), 'example.com');
  });

  it('joins repeated values with ", "', () => {
    assert.equal(new RequestHeaders(raw).get('set-cookie'), 'a=1, b=2');
  });

  it('does not see Object.prototype members as headers, as Node builds req.headers as a plain object', () => {
    const headers = new RequestHeaders({ host: 'x' });
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      assert.equal(headers.get(name), null, name);
      assert.equal(headers.get(name, 'fb'), 'fb', name);
      assert.equal(headers.has(name), false, name);
    }
  });

  it('answers has() case-insensitively', () => {
    const headers = new RequestHeaders(raw);
    assert.equal(headers.has('Accept'), true);
    assert.equal(headers.has('accept-language'), false);
  });

  it('iterates lower-case [name, value] pairs, repeated values joined', () => {
    const headers = new RequestHeaders(raw);
    assert.deepEqual([...headers], [
      ['host', 'example.com'],
      ['content-type', 'application/json'],
      ['x-forwarded-for', '1.1.1.1, 2.2.2.2'],
      ['set-cookie', 'a=1, b=2'],
      ['accept', 'text/html'],
    ]);
    assert.deepEqual([...headers.entries()], [...headers]);
    assert.deepEqual([...headers.keys()], ['host', 'content-type', 'x-forwarded-for', 'set-cookie', 'accept']);
  });

  it('skips undefined values when iterating', () => {
    const headers = new RequestHeaders({ a: '1', b: undefined });
    assert.deepEqual([...headers], [['a', '1']]);
    assert.equal(headers.has('b'), false);
  });

  it('serialises to a plain object', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(new RequestHeaders({ a: '1', 'set-cookie': ['x', 'y'] }))), { a: '1', 'set-cookie': 'x, y' });
  });
});

describe('ResponseHeaders', () => {
  it('sets and gets case-insensitively', () => {
    const headers = new ResponseHeaders();
    headers.set('Content-Type', 'text/plain');
    assert.equal(headers.get('content-type'), 'text/plain');
    assert.equal(headers.get('CONTENT-TYPE'), 'text/plain');
    assert.equal(headers.has('Content-type'), true);
    assert.equal(headers.get('x-missing'), null);
  });

  it('replaces on set and keeps every value on append', () => {
    const headers = new ResponseHeaders();
    headers.set('Vary', 'Accept').set('vary', 'Origin');
    assert.equal(headers.get('vary'), 'Origin');
    headers.append('Vary', 'Accept-Encoding').append('VARY', 'Cookie');
    assert.equal(headers.get('vary'), 'Origin, Accept-Encoding, Cookie');
    assert.equal(headers.size, 1);
  });

  it('deletes case-insensitively and says whether something was deleted', () => {
    const headers = new ResponseHeaders({ 'X-A': '1' });
    assert.equal(headers.delete('x-a'), true);
    assert.equal(headers.delete('x-a'), false);
    assert.equal(headers.has('X-A'), false);
    assert.equal(headers.size, 0);
  });

  it('keeps every Set-Cookie value separate in getSetCookie and entries', () => {
    const headers = new ResponseHeaders();
    headers.append('Set-Cookie', 'a=1; Expires=Wed, 02 Jan 2030 03:04:05 GMT');
    headers.append('set-cookie', 'b=2');
    headers.append('set-cookie', 'c=3');
    assert.deepEqual(headers.getSetCookie(), ['a=1; Expires=Wed, 02 Jan 2030 03:04:05 GMT', 'b=2', 'c=3']);
    assert.deepEqual([...headers.entries()], [
      ['set-cookie', 'a=1; Expires=Wed, 02 Jan 2030 03:04:05 GMT'],
      ['set-cookie', 'b=2'],
      ['set-cookie', 'c=3'],
    ]);
  });

  it('joins Set-Cookie values in get, as the Fetch standard does', () => {
    const headers = new ResponseHeaders().append('set-cookie', 'a=1').append('set-cookie', 'b=2');
    assert.equal(headers.get('Set-Cookie'), 'a=1, b=2');
  });

  it('returns [] or a single value from getSetCookie', () => {
    assert.deepEqual(new ResponseHeaders().getSetCookie(), []);
    assert.deepEqual(new ResponseHeaders({ 'Set-Cookie': 'a=1' }).getSetCookie(), ['a=1']);
  });

  it('returns a copy from getSetCookie', () => {
    const headers = new ResponseHeaders().append('set-cookie', 'a=1').append('set-cookie', 'b=2');
    headers.getSetCookie().push('c=3');
    assert.deepEqual(headers.getSetCookie(), ['a=1', 'b=2']);
  });

  it('joins other repeated headers in entries', () => {
    const headers = new ResponseHeaders().append('X-List', 'a').append('x-list', 'b').set('content-type', 'text/plain');
    assert.deepEqual([...headers], [
      ['x-list', 'a, b'],
      ['content-type', 'text/plain'],
    ]);
  });

  it('builds from a record, lists of values and numbers included', () => {
    const headers = new ResponseHeaders({ 'Content-Length': 42, 'Set-Cookie': ['a=1', 'b=2'], 'X-One': 'x' });
    assert.equal(headers.get('content-length'), '42');
    assert.deepEqual(headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(headers.get('x-one'), 'x');
  });

  it('builds from an iterable of pairs, appending repeated names', () => {
    const headers = new ResponseHeaders([
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['X-A', '1'],
    ]);
    assert.deepEqual(headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(headers.get('x-a'), '1');
  });

  it('builds from a Fetch Headers object', () => {
    const fetchHeaders = new Headers();
    fetchHeaders.append('Set-Cookie', 'a=1');
    fetchHeaders.append('Set-Cookie', 'b=2');
    fetchHeaders.set('Content-Type', 'text/html');
    const headers = new ResponseHeaders(fetchHeaders);
    assert.deepEqual(headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(headers.get('content-type'), 'text/html');
  });

  it('copies another ResponseHeaders without sharing state', () => {
    const original = new ResponseHeaders().append('set-cookie', 'a=1').append('set-cookie', 'b=2').set('x', '1');
    const copy = new ResponseHeaders(original);
    copy.append('set-cookie', 'c=3');
    copy.set('x', '2');
    assert.deepEqual(original.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(original.get('x'), '1');
    assert.deepEqual(copy.getSetCookie(), ['a=1', 'b=2', 'c=3']);
    assert.equal(copy.get('x'), '2');
  });

  it('converts values to strings', () => {
    const headers = new ResponseHeaders();
    headers.set('x-n', 5 as unknown as string);
    headers.append('x-m', 6 as unknown as string);
    assert.equal(headers.get('x-n'), '5');
    assert.equal(headers.get('x-m'), '6');
  });

  it('flattens into name/value pairs, one pair per repeated value, appending to the given array', () => {
    const headers = new ResponseHeaders()
      .set('Content-Type', 'text/plain')
      .append('Set-Cookie', 'a=1')
      .append('Set-Cookie', 'b=2')
      .append('Vary', 'Accept')
      .append('Vary', 'Origin');
    const out = ['date', 'now'];
    assert.equal(headers.flatInto(out), out);
    assert.deepEqual(out, ['date', 'now', 'content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'vary', 'Accept', 'vary', 'Origin']);
  });

  it('reports its size as the number of distinct names', () => {
    const headers = new ResponseHeaders().append('a', '1').append('A', '2').set('b', '3');
    assert.equal(headers.size, 2);
  });

  it('throws a TypeError for a value with a line break or control character, or a name that is not a token', () => {
    const headers = new ResponseHeaders();
    for (const value of ['a\r\nSet-Cookie: x=1', 'a\nb', 'a\u0000b', 'euro \u20ac']) {
      assert.throws(() => headers.set('x-a', value), TypeError, JSON.stringify(value));
      assert.throws(() => headers.append('x-a', value), TypeError, JSON.stringify(value));
    }
    for (const name of ['bad name', 'x-a:', '', 'caf\u00e9']) assert.throws(() => headers.set(name, 'v'), TypeError, JSON.stringify(name));
    assert.throws(() => new ResponseHeaders({ 'x-a': 'a\nb' }), TypeError);
    assert.throws(() => new ResponseHeaders([['x-a', 'a\rb']]), TypeError);
    assert.equal(headers.size, 0);
    // Tabs and Latin-1 text are valid field values (sent as bytes).
    headers.set('x-a', 'a\tcaf\u00e9');
    assert.equal(headers.get('x-a'), 'a\tcaf\u00e9');
  });
});
