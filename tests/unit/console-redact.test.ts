import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretName, REDACTED, redactBody, redactHeaders, redactText, redactUrl, redactValue } from '../../src/console/redact.js';

describe('redactHeaders', () => {
  it('hides credential headers, whatever their case', () => {
    const out = redactHeaders({
      Authorization: 'Bearer abc',
      cookie: 'sid=1',
      'Set-Cookie': ['a=1', 'b=2'],
      'X-API-Key': 'k',
      'proxy-authorization': 'Basic x',
      'x-csrf-token': 't',
      accept: 'application/json',
      'x-multi': ['a', 'b'],
    });
    assert.deepEqual(
      { ...out },
      {
        authorization: REDACTED,
        cookie: REDACTED,
        'set-cookie': REDACTED,
        'x-api-key': REDACTED,
        'proxy-authorization': REDACTED,
        'x-csrf-token': REDACTED,
        accept: 'application/json',
        'x-multi': 'a, b',
      },
    );
  });
});

describe('redactValue', () => {
  it('redacts secret-looking fields at any depth, case- and separator-insensitively', () => {
    const input = {
      user: 'ada',
      Password: 'p',
      profile: { api_key: 'k', apiKey: 'k', 'Credit-Card': '4111', nested: [{ client_secret: 's', ok: 1 }] },
      accessToken: 't',
      refresh_token: 't',
      cvv: '123',
    };
    assert.deepEqual(redactValue(input), {
      user: 'ada',
      Password: REDACTED,
      profile: { api_key: REDACTED, apiKey: REDACTED, 'Credit-Card': REDACTED, nested: [{ client_secret: REDACTED, ok: 1 }] },
      accessToken: REDACTED,
      refresh_token: REDACTED,
      cvv: REDACTED,
    });
    assert.equal(input.Password, 'p', 'the input is not changed');
  });

  it('redacts a whole secret object, and keeps __proto__ a plain field', () => {
    const parsed = JSON.parse('{"secret":{"a":1},"__proto__":{"polluted":true}}');
    const out = redactValue(parsed) as Record<string, unknown>;
    assert.equal(out.secret, REDACTED);
    assert.deepEqual(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('cuts off values nested deeper than the limit', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    assert.match(JSON.stringify(redactValue(deep)), /"\[…\]"/);
  });
});

describe('redactUrl', () => {
  it('redacts secret query parameters and keeps the rest as written', () => {
    assert.equal(redactUrl('/cb?code=1&access_token=x&next=%2Fa'), '/cb?code=1&access_token=[REDACTED]&next=%2Fa');
    assert.equal(redactUrl('/login?Password=hunter2'), '/login?Password=[REDACTED]');
    assert.equal(redactUrl('/plain'), '/plain');
    assert.equal(redactUrl('/x?flag&%E0%A4%A=1'), '/x?flag&%E0%A4%A=1');
  });
});

describe('redactBody', () => {
  it('redacts JSON bodies and truncates them to the cap', () => {
    assert.equal(redactBody(Buffer.from('{"email":"a@b.c","password":"x"}'), 'application/json', 2048), '{"email":"a@b.c","password":"[REDACTED]"}');
    const long = JSON.stringify({ text: 'y'.repeat(5000), token: 'z' });
    const out = redactBody(long, 'application/json; charset=utf-8', 100);
    assert.ok(out.startsWith('{"text":"yyy'));
    assert.match(out, /… \[\d+ more characters\]$/);
    assert.ok(out.length < 140);
    assert.doesNotMatch(redactBody(long, 'application/json', 100_000), /"z"/);
  });

  it('redacts form bodies', () => {
    assert.equal(redactBody('user=ada&password=hunter2', 'application/x-www-form-urlencoded', 2048), 'user=ada&password=[REDACTED]');
  });

  it('summarises binary and multipart bodies instead of showing them', () => {
    assert.equal(redactBody(Buffer.alloc(10), 'application/octet-stream', 2048), '[10 bytes of application/octet-stream]');
    assert.equal(redactBody('--b\r\npassword\r\n', 'multipart/form-data; boundary=b', 2048), '[15 bytes of multipart/form-data]');
  });

  it('shows malformed JSON as text, marked, and huge JSON not at all', () => {
    assert.equal(redactBody('{oops', 'application/json', 2048), '[invalid JSON] {oops');
    assert.equal(redactBody(`[${'1,'.repeat(100_000)}1]`, 'application/json', 100), '[200003 bytes of JSON, not shown]');
    assert.equal(redactBody('', 'application/json', 100), '');
  });

  it('redacts secret fields in malformed JSON and in text bodies too', () => {
    assert.equal(redactBody('{"user":"ada","password":"hunter2",}', 'application/json', 2048), '[invalid JSON] {"user":"ada","password":"[REDACTED]",}');
    assert.equal(redactBody('password=hunter2&user=ada', 'text/plain', 2048), 'password=[REDACTED]&user=ada');
    assert.equal(redactBody('api_key: abc\nname: ada', '', 2048), 'api_key: [REDACTED]\nname: ada');
  });
});

describe('redactText', () => {
  it('redacts JSON pairs (cut short too), name=value and name: value lines; leaves the rest as written', () => {
    const cases: [string, string][] = [
      ['{"a":{"api_key": "k1", "n": 3, "token": 12,}', '{"a":{"api_key": "[REDACTED]", "n": 3, "token": "[REDACTED]",}'],
      ['{"password":"unterminated', '{"password":"[REDACTED]"'],
      ['{"pass\\u0077ord":"x", "a\\"b": 1', '{"pass\\u0077ord":"[REDACTED]", "a\\"b": 1'],
      ['user=ada&pass_word=x&next=/a?b', 'user=ada&pass_word=[REDACTED]&next=/a?b'],
      ['access%5Ftoken=abc', 'access%5Ftoken=[REDACTED]'],
      ['password: hunter2\nname: ada\n  secret_key:  abc', 'password: [REDACTED]\nname: ada\n  secret_key:  [REDACTED]'],
      ['{"x":"password=1"}', '{"x":"password=1"}'],
      ['nothing secret here', 'nothing secret here'],
    ];
    for (const [input, expected] of cases) assert.equal(redactText(input), expected, input);
  });
});

describe('isSecretName', () => {
  it('knows the usual names', () => {
    for (const name of ['password', 'PASSWD', 'clientSecret', 'id_token', 'x-api-key', 'creditCardNumber', 'ssn', 'sessionId']) assert.ok(isSecretName(name), name);
    for (const name of ['email', 'name', 'id', 'title', 'count']) assert.ok(!isSecretName(name), name);
  });
});
