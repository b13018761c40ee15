import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { TestClient } from 'covet/testing';
import { createApp } from '../../examples/rest-api/app.js';

describe('examples/rest-api', () => {
  it('says hello and manages users (create, read, update, list, delete)', async () => {
    await using client = new TestClient(createApp());
    assert.deepEqual((await client.get('/')).json(), { message: 'Hello, World!' });
    const created = await client.post('/api/v1/users', { json: { name: 'Ann', email: 'ann@example.com' } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.json(), { id: 1, name: 'Ann', email: 'ann@example.com' });
    assert.deepEqual((await client.get('/api/v1/users/1')).json(), { id: 1, name: 'Ann', email: 'ann@example.com' });
    const patched = await client.patch('/api/v1/users/1', { json: { name: 'Anna' } });
    assert.equal(patched.json<{ name: string }>().name, 'Anna');
    assert.deepEqual((await client.get('/api/v1/users', { query: { limit: 5 } })).json(), {
      users: [{ id: 1, name: 'Anna', email: 'ann@example.com' }],
    });
    assert.equal((await client.delete('/api/v1/users/1')).status, 204);
    const gone = await client.get('/api/v1/users/1');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json(), { error: 'User not found' });
  });

  it('rejects bad input with clear 4xx errors', async () => {
    await using client = new TestClient(createApp());
    const invalid = await client.post('/api/v1/users', { json: { name: '', email: 'nope' } });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.json(), {
      errors: { name: ['must be a non-empty string of at most 100 characters'], email: ['must be an email address'] },
    });
    const malformed = await client.post('/api/v1/users', { content: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.equal((await client.get('/api/v1/users?limit=x')).status, 400);
    assert.equal((await client.get('/api/v1/users/abc')).status, 404);
  });

  it('starts with npm start and stops on SIGTERM with exit code 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/rest-api/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in output: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        });
      });
      const res = await fetch(`${url}/`);
      assert.deepEqual(await res.json(), { message: 'Hello, World!' });
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
