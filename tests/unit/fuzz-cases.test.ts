import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Prng } from '../../src/testing/fuzz/prng.js';
import { stringForPattern } from '../../src/testing/fuzz/pattern-string.js';
import { type FuzzCase, fuzzCases, type OpenAPIDocumentLike, toCurl, validateJsonSchema } from '../../src/testing/index.js';

const doc: OpenAPIDocumentLike = {
  openapi: '3.1.0',
  paths: {
    '/teams/{teamId}/members': {
      parameters: [{ name: 'teamId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      post: {
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Member' } } } },
        responses: { '201': { description: 'Created' } },
      },
    },
  },
  components: {
    schemas: {
      Member: {
        type: 'object',
        properties: { name: { type: 'string', maxLength: 5 }, age: { type: 'integer', minimum: 0, maximum: 150 }, role: { enum: ['admin', 'user'] } },
        required: ['name'],
      },
    },
  },
};

function byInput(cases: readonly FuzzCase[]): Map<string, FuzzCase> {
  return new Map(cases.map((c) => [c.input, c]));
}

describe('fuzzCases', () => {
  it('is deterministic: the same seed gives the same requests, another seed others', () => {
    const a = fuzzCases(doc, { seed: 'checkout', runs: 150 });
    const b = fuzzCases(doc, { seed: 'checkout', runs: 150 });
    assert.deepEqual(a, b);
    assert.equal(a.length, 150);
    const c = fuzzCases(doc, { seed: 'other', runs: 150 });
    assert.notDeepEqual(
      a.map((x) => x.request),
      c.map((x) => x.request),
    );
    assert.deepEqual(fuzzCases(doc, { seed: 42, runs: 10 }), fuzzCases(doc, { seed: 42, runs: 10 }));
  });

  it('starts with a valid request and covers boundary and invalid values of every field', () => {
    const cases = fuzzCases(doc, { seed: 1, runs: 400 });
    assert.equal(cases[0]?.input, 'valid request');
    assert.equal(cases[0]?.kind, 'valid');
    assert.equal(cases[0]?.request.headers['content-type'], 'application/json');
    const all = byInput(cases);
    const kind = (input: string): string | undefined => all.get(input)?.kind;
    // Body fields: lengths, numbers at and past their bounds, huge integers, unicode, wrong types.
    assert.equal(kind('body.name = "" (empty string)'), 'valid');
    assert.equal(kind('body.name = "xxxxx" (maxLength (5))'), 'valid');
    assert.equal(kind('body.name = "xxxxxx" (maxLength + 1 (6))'), 'invalid');
    assert.equal(kind('body.name = 123 (wrong type (integer))'), 'invalid');
    assert.ok(all.has('body.name = "ünïcødé ✓ 😀 中文 العربية" (unicode string)'));
    assert.equal(kind('body.age = 0 (zero)'), 'valid');
    assert.equal(kind('body.age = -1 (-1)'), 'invalid');
    assert.equal(kind('body.age = 150 (maximum (150))'), 'valid');
    assert.equal(kind('body.age = 151 (maximum + 1 (151))'), 'invalid');
    assert.equal(kind('body.age = 9007199254740991 (Number.MAX_SAFE_INTEGER)'), 'invalid');
    assert.equal(kind('body.age = 1.5 (fraction)'), 'invalid');
    assert.equal(kind('body.role = "admin" (enum value "admin")'), 'valid');
    assert.equal(kind('body.role = "not-in-enum" (value outside the enum)'), 'invalid');
    assert.equal(kind('missing required body.name'), 'invalid');
    assert.equal(kind('without optional body.age'), 'valid');
    // No additionalProperties: false, so an extra field is allowed.
    assert.equal(kind('extra field body.__fuzz'), 'valid');
    // The body as a whole.
    assert.equal(kind('malformed JSON body'), 'invalid');
    assert.equal(all.get('malformed JSON body')?.request.body, '{"unterminated": ');
    assert.equal(kind('JSON body with a text/plain content type'), 'invalid');
    assert.equal(all.get('JSON body with a text/plain content type')?.request.headers['content-type'], 'text/plain');
    assert.equal(kind('missing required body'), 'invalid');
    assert.equal(all.get('missing required body')?.request.body, undefined);
    assert.equal(kind('body = [] (wrong type (array))'), 'invalid');
    // Query and path parameters travel as text.
    assert.equal(kind('query.limit = "abc" (word)'), 'invalid');
    assert.equal(kind('query.limit = "0" (zero)'), 'invalid');
    assert.equal(kind('query.limit = "100" (maximum (100))'), 'valid');
    assert.equal(kind('without optional query.limit'), 'valid');
    // '1e3' or ' 1' may fairly be read either way: a boundary, never an "accepted invalid" warning.
    assert.equal(kind('query.limit = "1e3" (exponent)'), 'boundary');
    assert.equal(kind('path.teamId = "not-a-uuid" (not a uuid)'), 'invalid');
    assert.match(all.get('path.teamId = "not-a-uuid" (not a uuid)')?.request.url ?? '', /^\/teams\/not-a-uuid\/members/);
    assert.equal(all.get('query.limit = "%" (percent sign)')?.request.url.includes('limit=%25'), true);
  });

  it('spreads a small budget over every field before repeating one', () => {
    const fields = fuzzCases(doc, { seed: 1, runs: 9 })
      .slice(1)
      .map((c) => c.input.split(' ')[0]);
    assert.deepEqual(new Set(fields), new Set(['path.teamId', 'query.limit', 'malformed', 'body.name', 'body.age', 'body.role', 'extra']));
  });

  it('marks an extra field invalid under additionalProperties: false', () => {
    const strict: OpenAPIDocumentLike = {
      paths: {
        '/x': {
          put: {
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { a: { type: 'boolean' } }, additionalProperties: false } } } },
          },
        },
      },
    };
    const all = byInput(fuzzCases(strict, { seed: 1, runs: 200 }));
    assert.equal(all.get('extra field body.__fuzz')?.kind, 'invalid');
    assert.equal(all.get('without optional body')?.kind, 'valid');
    assert.equal(all.get('empty JSON body')?.kind, 'boundary');
  });

  it('fills the budget with random requests after the systematic ones', () => {
    const cases = fuzzCases(doc, { seed: 3, runs: 600 });
    assert.equal(cases.length, 600);
    assert.ok(cases.some((c) => c.input === 'random valid request' && c.kind === 'valid'));
    assert.ok(cases.some((c) => c.input.startsWith('random request, ')));
    assert.deepEqual(
      cases.map((c) => c.index),
      cases.map((_, i) => i),
    );
  });
});

describe('stringForPattern', () => {
  it('builds strings that match common patterns, and gives up on lookarounds', () => {
    const rng = new Prng(7);
    const patterns = ['^[A-Z]{3}-\\d{2}$', '^[a-z0-9]+(?:-[a-z0-9]+)*$', '^\\+?[1-9]\\d{1,14}$', '^(red|green|blue)$', '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$', 'x{2,}y?z*', '^[\\w.-]+$', '[\\u0041-\\u005A]'];
    for (const pattern of patterns) {
      for (let i = 0; i < 20; i++) {
        const s = stringForPattern(pattern, rng);
        assert.ok(s !== undefined && new RegExp(pattern, 'u').test(s), `${pattern}: ${s}`);
      }
    }
    assert.equal(stringForPattern('^(?=.*\\d).+$', rng), undefined);
    assert.equal(stringForPattern('(a)\\1', rng), undefined);
  });

  it('lets the first request of an operation satisfy its patterns', () => {
    const schema = { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{2}$' } }, required: ['sku'] };
    const patterned: OpenAPIDocumentLike = { paths: { '/p': { post: { requestBody: { required: true, content: { 'application/json': { schema } } } } } } };
    const [first] = fuzzCases(patterned, { seed: 1, runs: 1 });
    assert.equal(first?.kind, 'valid');
    assert.deepEqual(validateJsonSchema(schema, JSON.parse(first?.request.body ?? 'null')), []);
  });
});

describe('toCurl', () => {
  /** What a POSIX shell makes of the line: one argument per output line. */
  function shellWords(line: string): string[] {
    const out = execFileSync('bash', ['-c', `printf '%s\\0' ${line.replace(/^curl /, '')}`]);
    return out.toString('utf8').split('\0').slice(0, -1);
  }

  it('quotes URL, headers and body so that the shell passes them through unchanged', () => {
    const body = `{"name":"O'Brien \\"the\\" $HOME \`id\` !x"}`;
    const line = toCurl({ method: 'POST', url: "/users?x=1&q=it's", headers: { 'content-type': 'application/json' }, body });
    assert.equal(
      line,
      `curl -X POST 'http://127.0.0.1:8000/users?x=1&q=it'\\''s' -H 'content-type: application/json' --data-raw '{"name":"O'\\''Brien \\"the\\" $HOME \`id\` !x"}'`,
    );
    assert.deepEqual(shellWords(line), ['-X', 'POST', "http://127.0.0.1:8000/users?x=1&q=it's", '-H', 'content-type: application/json', '--data-raw', body]);
  });

  it('keeps control characters on one line with $\'…\' quoting, and omits -X for a plain GET', () => {
    const line = toCurl({ method: 'PUT', url: '/a', headers: {}, body: "line1\nline2\t'q'\\" }, 'http://127.0.0.1:9000/');
    assert.equal(line.includes('\n'), false);
    assert.deepEqual(shellWords(line), ['-X', 'PUT', 'http://127.0.0.1:9000/a', '--data-raw', "line1\nline2\t'q'\\"]);
    assert.equal(toCurl({ method: 'GET', url: '/items/1', headers: {}, body: undefined }), "curl 'http://127.0.0.1:8000/items/1'");
    assert.equal(toCurl({ method: 'HEAD', url: '/', headers: {}, body: undefined }), "curl --head 'http://127.0.0.1:8000/'");
  });
});
