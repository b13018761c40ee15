// runnable
import assert from 'node:assert/strict';
import { CovetApp } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const app = new CovetApp();
app.get('/search/{kind}', (req) => ({
  kind: req.params.kind,
  q: req.queryParams.get('q', ''),
  limit: req.queryParams.get('limit', 10, 'int'),
  exact: req.queryParams.get('exact', false, 'bool'),
  since: req.queryParams.get('since', null, function date(raw) { return new Date(raw).toISOString(); }),
  tags: req.queryParams.getAll('tag'),
  rawQuery: req.url.query,
  agent: req.headers.get('X-Agent', 'unknown'),
  session: req.cookies.session ?? null,
  cookieProto: Object.getPrototypeOf(req.cookies),
  host: req.client.host,
}));

await using client = new TestClient(app);
const res = await client.get('/search/books?q=covet&limit=5&exact=YES&tag=a&tag=b', {
  headers: { 'x-agent': 'docs' },
  cookies: { session: 'abc' },
});
assert.deepEqual(res.json(), {
  kind: 'books', q: 'covet', limit: 5, exact: true, since: null, tags: ['a', 'b'],
  rawQuery: 'q=covet&limit=5&exact=YES&tag=a&tag=b', agent: 'docs', session: 'abc', cookieProto: null, host: '127.0.0.1',
});
const bad = await client.get('/search/books?since=yesterday-ish');
assert.equal(bad.status, 400);
assert.deepEqual(bad.json(), { error: "Invalid value for query parameter 'since': expected date" });
assert.equal((await client.get('/search/books?limit=ten')).status, 400);
