// runnable
import assert from 'node:assert/strict';
import { CovetApp, Depends, HTTPException } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const events: string[] = [];
async function* getTx() {
  events.push('begin');
  try {
    yield { insert: (row: string) => events.push(`insert ${row}`) };
    events.push('commit');
  } catch (err) {
    events.push(`rollback: ${(err as Error).message}`);
    throw err;
  } finally {
    events.push('release');
  }
}
function* translateErrors() {
  try {
    yield null;
  } catch (err) {
    if (err instanceof RangeError) throw new HTTPException(422, err.message);
    throw err;
  }
}

const app = new CovetApp();
const tx = Depends(getTx);
app.post('/ok', { deps: { tx } }, (_req, { tx }) => {
  tx.insert('a');
  events.push('handler done');
  return { ok: true };
});
app.post('/conflict', { deps: { tx } }, (_req, { tx }) => {
  tx.insert('b');
  throw new HTTPException(409, 'Conflict on b');
});
app.get('/validate', { deps: { t: Depends(translateErrors) } }, () => {
  throw new RangeError('age must be positive');
});

await using client = new TestClient(app);
assert.equal((await client.post('/ok')).status, 200);
assert.deepEqual(events, ['begin', 'insert a', 'handler done', 'commit', 'release']);

events.length = 0;
const conflict = await client.post('/conflict');
assert.deepEqual(conflict.json(), { error: 'Conflict on b' });
assert.deepEqual(events, ['begin', 'insert b', 'rollback: Conflict on b', 'release']);

const translated = await client.get('/validate');
assert.equal(translated.status, 422);
assert.deepEqual(translated.json(), { error: 'age must be positive' });
