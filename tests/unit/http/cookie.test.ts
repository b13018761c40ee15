import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetError } from '../../../src/errors.js';
import { MAX_COOKIE_SIZE, parseCookies, serializeCookie } from '../../../src/http/cookie.js';
import { CookieSigner } from '../../../src/http/signed-cookie.js';

describe('serializeCookie', () => {
  it('defaults to Path=/, HttpOnly and SameSite=Lax', () => {
    assert.equal(serializeCookie('sid', 'abc'), 'sid=abc; Path=/; HttpOnly; SameSite=Lax');
  });

  it('writes the attributes in a fixed order', () => {
    assert.equal(
      serializeCookie('sid', 'abc', {
        maxAge: 3600,
        expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
        path: '/app',
        domain: 'example.com',
        secure: true,
        sameSite: 'Strict',
        partitioned: true,
      }),
      'sid=abc; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/app; Domain=example.com; HttpOnly; Secure; SameSite=Strict; Partitioned',
    );
  });

  it('matches its documented example', () => {
    assert.equal(serializeCookie('sid', 'abc', { maxAge: 3600, secure: true }), 'sid=abc; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax');
  });

  it('leaves HttpOnly out when httpOnly is false', () => {
    assert.equal(serializeCookie('theme', 'dark', { httpOnly: false }), 'theme=dark; Path=/; SameSite=Lax');
  });

  it('adds Secure for SameSite=None, in any letter case', () => {
    assert.equal(serializeCookie('a', 'b', { sameSite: 'None' }), 'a=b; Path=/; HttpOnly; Secure; SameSite=None');
    assert.equal(serializeCookie('a', 'b', { sameSite: 'none', secure: false }), 'a=b; Path=/; HttpOnly; Secure; SameSite=None');
  });

  it('adds Secure for Partitioned cookies, which browsers refuse otherwise', () => {
    assert.equal(serializeCookie('a', 'b', { partitioned: true }), 'a=b; Path=/; HttpOnly; Secure; SameSite=Lax; Partitioned');
  });

  it('normalises the SameSite letter case', () => {
    assert.match(serializeCookie('a', 'b', { sameSite: 'strict' }), /; SameSite=Strict$/);
    assert.match(serializeCookie('a', 'b', { sameSite: 'lax' }), /; SameSite=Lax$/);
  });

  it('floors Max-Age and accepts zero and negative values', () => {
    assert.match(serializeCookie('a', 'b', { maxAge: 59.9 }), /; Max-Age=59;/);
    assert.match(serializeCookie('a', '', { maxAge: 0 }), /^a=; Max-Age=0;/);
    assert.match(serializeCookie('a', '', { maxAge: -1 }), /; Max-Age=-1;/);
  });

  it('throws on a maxAge that is not finite', () => {
    for (const maxAge of [Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => serializeCookie('a', 'b', { maxAge }), { name: 'TypeError', message: 'Cookie maxAge must be a finite number of seconds' });
    }
  });

  it('throws on an invalid expires date', () => {
    assert.throws(() => serializeCookie('a', 'b', { expires: new Date('nope') }), { name: 'TypeError', message: 'Cookie expires must be a valid Date' });
    // From JavaScript, a string or a timestamp in place of a Date.
    for (const expires of ['tomorrow', Date.now()]) {
      assert.throws(() => serializeCookie('a', 'b', { expires: expires as unknown as Date }), {
        name: 'TypeError',
        message: 'Cookie expires must be a valid Date',
      });
    }
  });

  it('throws on a sameSite other than Strict, Lax or None instead of writing it as is', () => {
    for (const sameSite of ['', 'weird', 'undefined', true, false]) {
      assert.throws(() => serializeCookie('a', 'b', { sameSite: sameSite as unknown as 'Lax' }), {
        name: 'TypeError',
        message: `Cookie sameSite must be 'Strict', 'Lax' or 'None', got ${JSON.stringify(sameSite)}`,
      });
    }
    assert.equal(serializeCookie('a', 'b', { sameSite: 'STRICT' as 'Strict' }), 'a=b; Path=/; HttpOnly; SameSite=Strict');
  });

  it('throws on invalid names', () => {
    for (const name of ['', 'a b', 'a;b', 'a=b', 'a,b', 'a"b', 'ä', 'a\nb', '(x)', 'a/b']) {
      assert.throws(() => serializeCookie(name, 'v'), { name: 'TypeError', message: `Invalid cookie name: ${JSON.stringify(name)}` });
    }
  });

  it('accepts every RFC 6265 token character in names', () => {
    const name = "!#$%&'*+-.^_`|~09AZaz";
    assert.ok(serializeCookie(name, 'v').startsWith(`${name}=v;`));
  });

  it('throws on Path or Domain values with control characters or ";"', () => {
    assert.throws(() => serializeCookie('a', 'b', { path: '/x; Secure' }), { name: 'TypeError', message: 'Invalid cookie Path: "/x; Secure"' });
    assert.throws(() => serializeCookie('a', 'b', { domain: 'evil.com\r\nSet-Cookie: x=y' }), {
      name: 'TypeError',
      message: 'Invalid cookie Domain: "evil.com\\r\\nSet-Cookie: x=y"',
    });
  });

  it('keeps cookie-octet values as they are', () => {
    assert.match(serializeCookie('a', "AZaz09!#$&'()*+-./:<=>?@[]^_`{|}~"), /^a=AZaz09!#\$&'\(\)\*\+-\.\/:<=>\?@\[\]\^_`\{\|\}~;/);
  });

  it('percent-encodes values that are not cookie octets', () => {
    assert.match(serializeCookie('a', 'hello world'), /^a=hello%20world;/);
    assert.match(serializeCookie('a', 'x;y,z'), /^a=x%3By%2Cz;/);
    assert.match(serializeCookie('a', '"quoted"'), /^a=%22quoted%22;/);
    assert.match(serializeCookie('a', 'back\\slash'), /^a=back%5Cslash;/);
    assert.match(serializeCookie('a', 'café'), /^a=caf%C3%A9;/);
  });

  it('percent-encodes a literal "%" so the value survives parsing', () => {
    assert.match(serializeCookie('a', 'a%20b'), /^a=a%2520b;/);
    assert.match(serializeCookie('a', '100%'), /^a=100%25;/);
  });

  it('percent-encodes CR, LF, ";" and control characters, so a value cannot add a header or attribute', () => {
    const header = serializeCookie('a', 'x\r\nSet-Cookie: evil=1; Domain=evil.com');
    assert.equal(header, 'a=x%0D%0ASet-Cookie%3A%20evil%3D1%3B%20Domain%3Devil.com; Path=/; HttpOnly; SameSite=Lax');
    assert.doesNotMatch(header, /[\r\n]/);
    for (let code = 0; code < 0x20; code++) {
      const value = serializeCookie('a', `v${String.fromCharCode(code)}`).split(';')[0] as string;
      assert.equal(value, `a=v%${code.toString(16).toUpperCase().padStart(2, '0')}`);
    }
    assert.match(serializeCookie('a', 'v\u007f'), /^a=v%7F;/);
    assert.equal(parseCookies(serializeCookie('a', 'x\r\nSet-Cookie: evil=1').split(';')[0]).a, 'x\r\nSet-Cookie: evil=1');
  });

  it('throws on values that are not strings', () => {
    assert.throws(() => serializeCookie('a', 42 as unknown as string), { name: 'TypeError', message: 'Cookie a: the value must be a string, got number' });
  });

  it('accepts a name=value of exactly 4096 bytes and refuses one byte more with ERR_COOKIE_TOO_LARGE', () => {
    assert.equal(MAX_COOKIE_SIZE, 4096);
    const fits = 'v'.repeat(4096 - 'big='.length);
    assert.ok(serializeCookie('big', fits).startsWith(`big=${fits};`));
    assert.throws(
      () => serializeCookie('big', `${fits}v`),
      (err: unknown) => {
        assert.ok(err instanceof CovetError);
        assert.equal(err.code, 'ERR_COOKIE_TOO_LARGE');
        assert.equal(err.message, 'Cookie big is 4097 bytes (name=value, encoded); browsers ignore cookies over 4096 bytes');
        return true;
      },
    );
  });

  it('measures the size after percent-encoding', () => {
    // 1366 × "é" is 2732 bytes of UTF-8 but 8196 characters once encoded.
    assert.throws(() => serializeCookie('c', 'é'.repeat(1366)), { code: 'ERR_COOKIE_TOO_LARGE', message: /^Cookie c is 8198 bytes/ });
  });

  it('signs the value with the `signed` signer, and counts the signature in the size', () => {
    const signer = new CookieSigner('k'.repeat(32));
    const header = serializeCookie('user', 'ann', { signed: signer });
    const value = (header.split(';')[0] as string).slice('user='.length);
    assert.equal(value, signer.sign('user', 'ann'));
    assert.equal(signer.unsign('user', parseCookies(header.split(';')[0]).user as string), 'ann');
    const almost = 'v'.repeat(4096 - 'user='.length - 44);
    assert.ok(serializeCookie('user', almost, { signed: signer }).length > 4096);
    assert.throws(() => serializeCookie('user', `${almost}v`, { signed: signer }), {
      code: 'ERR_COOKIE_TOO_LARGE',
      message: 'Cookie user is 4097 bytes (name=value, encoded and signed); browsers ignore cookies over 4096 bytes',
    });
  });

  it('round-trips values through parseCookies', () => {
    for (const value of ['plain', 'hello world', 'a%20b', '100%', '"q"', 'x;y=z', 'café ☕', '', ' padded ']) {
      const header = serializeCookie('c', value).split(';')[0] as string;
      assert.equal(parseCookies(header).c, value, JSON.stringify(value));
    }
  });
});

describe('parseCookies', () => {
  it('parses name=value pairs separated by ";"', () => {
    assert.deepEqual({ ...parseCookies('a=1; b=two;c=3') }, { a: '1', b: 'two', c: '3' });
  });

  it('returns a null-prototype record', () => {
    const cookies = parseCookies('a=1');
    assert.equal(Object.getPrototypeOf(cookies), null);
    assert.equal(Object.getPrototypeOf(parseCookies(undefined)), null);
    assert.equal(Object.getPrototypeOf(parseCookies('')), null);
  });

  it('stores __proto__ and constructor as plain data', () => {
    const cookies = parseCookies('__proto__=x; constructor=y; toString=z');
    assert.equal(Object.getPrototypeOf(cookies), null);
    assert.deepEqual(Object.keys(cookies), ['__proto__', 'constructor', 'toString']);
    assert.equal(cookies.__proto__, 'x');
    assert.equal(cookies.constructor, 'y');
  });

  it('does not see inherited properties as cookies', () => {
    const cookies = parseCookies('a=1');
    assert.equal(cookies.toString, undefined);
    assert.equal(cookies.hasOwnProperty, undefined);
  });

  it('keeps the first occurrence of a name', () => {
    assert.deepEqual({ ...parseCookies('a=1; a=2; b=3; a=4') }, { a: '1', b: '3' });
  });

  it('trims whitespace around names and values', () => {
    assert.deepEqual({ ...parseCookies('  a = 1 ;\tb=2  ') }, { a: '1', b: '2' });
  });

  it('keeps "=" inside values', () => {
    assert.deepEqual({ ...parseCookies('token=abc==; q=a=b') }, { token: 'abc==', q: 'a=b' });
  });

  it('removes the double quotes around a quoted value', () => {
    assert.deepEqual({ ...parseCookies('a="hello"; b=""; c="x') }, { a: 'hello', b: '', c: '"x' });
    assert.equal(parseCookies('a="').a, '"');
  });

  it('percent-decodes values', () => {
    assert.deepEqual({ ...parseCookies('a=hello%20world; b=caf%C3%A9; c="x%3By"') }, { a: 'hello world', b: 'café', c: 'x;y' });
  });

  it('keeps values with bad escapes as they are', () => {
    assert.deepEqual({ ...parseCookies('a=100%; b=%E0%A4%A; c=%zz') }, { a: '100%', b: '%E0%A4%A', c: '%zz' });
  });

  it('does not decode names', () => {
    assert.deepEqual(Object.keys(parseCookies('a%20b=1')), ['a%20b']);
  });

  it('skips pairs without "=" or without a name', () => {
    assert.deepEqual({ ...parseCookies('novalue; =x; a=1; ;') }, { a: '1' });
  });

  it('accepts empty values', () => {
    assert.deepEqual({ ...parseCookies('a=; b=2') }, { a: '', b: '2' });
  });

  it('returns an empty record for a missing or empty header', () => {
    assert.deepEqual(Object.keys(parseCookies(undefined)), []);
    assert.deepEqual(Object.keys(parseCookies('')), []);
  });
});
