import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';

describe('CovetApp', () => {
  it('serves the quick start', async () => {
    const app = new CovetApp();
    app.route('/', async () => ({ message: 'Hello, World!' }));
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { message: 'Hello, World!' });
  });
});
