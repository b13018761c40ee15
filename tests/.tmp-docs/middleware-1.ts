// runnable
import assert from 'node:assert/strict';
import { CovetApp, HTTPException, Response, type CallNext, type Request } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const log: string[] = [];
function tag(name: string) {
  return async (req: Request, callNext: CallNext) => {
    log.push(`>${name}`);
    const res = await callNext(req);
    log.push(`<${name}`);
    return res;
  };
}
const seen: number[] = [];
const app = new CovetApp({ middleware: [tag('app')] });
app.middleware('status-log', async (_req, callNext) => {
  const res = await callNext();
  seen.push(res.status);
  return res;
});
app.addMiddleware(async (req, callNext) => {
  if (req.headers.get('x-block')) return new Response('Rate limited', { status: 429 });
  req.state.user = 'ann';
  return callNext(req);
});
const group = app.routeGroup('/g', { middleware: [tag('group')] });
group.get('/r', { middleware: [tag('route')] }, (req) => {
  log.push('handler');
  return { user: req.state.user };
});
group.get('/secret', () => {
  throw new HTTPException(401, 'Login first');
});

await using client = new TestClient(app);
assert.deepEqual((await client.get('/g/r')).json(), { user: 'ann' });
assert.deepEqual(log, ['>app', '>group', '>route', 'handler', '<route', '<group', '<app']);

const blocked = await client.get('/g/r', { headers: { 'x-block': '1' } });
assert.equal(blocked.status, 429);
assert.equal((await client.get('/g/secret')).status, 401);
assert.equal((await client.get('/missing')).status, 404);
assert.deepEqual(seen, [200, 429, 401, 404]);
assert.ok(app.routeTable()[0]?.middleware.includes('status-log'));
