// examples/chat: JWT-authenticated rooms with join/leave notices and history in the database —
// in-process through TestClient and over a real socket with `ws` as the browser stand-in.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ConfigError } from 'covet';
import { JWTAuth } from 'covet/security';
import { TestClient, TestDatabase } from 'covet/testing';
import { WebSocketHandshakeError } from 'covet/websocket';
import { WebSocket as WsClient } from 'ws';
import { createChatApp } from '../../../examples/chat/app.js';

const T = { timeout: 60_000 };
const root = new URL('../../..', import.meta.url).pathname;
const REFUSAL = 'CHAT_SECRET is required in production (NODE_ENV=production): set it to a random secret of at least 32 characters';

/** Runs `examples/chat/main.ts` as `node --import tsx` would, with `env` over the test's own (minus CHAT_SECRET). */
function runMain(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.CHAT_SECRET;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'examples/chat/main.ts'], { cwd: root, env: { ...base, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/** A database of the test's own: SQLite in memory, or a throwaway PostgreSQL database when DATABASE_URL is set. */
function freshDb(): TestDatabase {
  return new TestDatabase(process.env.DATABASE_URL ?? 'sqlite:///:memory:', { isolated: true });
}

/** The example runs on the built package (`covet` → dist/), so it gets its own start/stop helper. */
async function withServer<T>(app: ReturnType<typeof createChatApp>['app'], fn: (info: { url: string; port: number }) => Promise<T>): Promise<T> {
  const info = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn(info);
  } finally {
    await app.close();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

describe('examples/chat', T, () => {
  it('chats in rooms with join/leave notices, and serves rooms and history (in-process)', async () => {
    const { app } = createChatApp({ secretKey: 'chat-test-secret-0123456789abcdef', db: freshDb() });
    await using client = new TestClient(app);
    assert.match((await client.get('/')).text, /<title>Covet chat<\/title>/);
    const login = async (username: string): Promise<string> => (await client.post('/auth/token', { json: { username } })).json<{ access_token: string }>().access_token;
    const [alice, bob, carol] = [await login('alice'), await login('bob'), await login('carol')];
    assert.equal((await client.post('/auth/token', { json: { username: 'no spaces' } })).status, 400);

    await assert.rejects(client.websocketConnect('/ws/chat/lobby'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 401);
    await assert.rejects(client.websocketConnect('/ws/chat/lobby?token=forged.token.value'), (err: unknown) => err instanceof WebSocketHandshakeError && err.status === 401);

    const a = await client.websocketConnect('/ws/chat/lobby', { headers: { authorization: `Bearer ${alice}` } });
    const b = await client.websocketConnect(`/ws/chat/lobby?token=${bob}`);
    assert.deepEqual(await a.receiveJson(), { type: 'user_joined', user_id: 'bob', message: 'User bob joined the room' });
    const c = await client.websocketConnect('/ws/chat/other', { subprotocols: ['access_token', carol] });
    assert.equal(c.subprotocol, 'access_token');

    await a.sendJson({ message: 'hello lobby' });
    for (const ws of [a, b]) {
      const event = await ws.receiveJson<{ type: string; user_id: string; message: string; timestamp: number }>();
      assert.equal(event.type, 'message');
      assert.equal(event.user_id, 'alice');
      assert.equal(event.message, 'hello lobby');
      assert.ok(Math.abs(event.timestamp - Date.now() / 1000) < 60);
    }
    await b.sendText('not json');
    assert.equal((await b.receiveJson<{ type: string }>()).type, 'error');
    await b.sendJson({ message: '' });
    assert.equal((await b.receiveJson<{ type: string }>()).type, 'error');
    await c.sendJson({ message: 'hi other' });
    assert.equal((await c.receiveJson<{ message: string }>()).message, 'hi other');

    const auth = { headers: { authorization: `Bearer ${alice}` } };
    assert.equal((await client.get('/chat/rooms')).status, 401);
    assert.deepEqual((await client.get('/chat/rooms', auth)).json<{ rooms: string[] }>().rooms.sort(), ['lobby', 'other']);
    const history = (await client.get('/chat/rooms/lobby/history', auth)).json<{ messages: { room_id: string; user_id: string; message: string }[] }>();
    assert.deepEqual(
      history.messages.map((m) => [m.room_id, m.user_id, m.message]),
      [['lobby', 'alice', 'hello lobby']],
    );

    await b.close();
    assert.deepEqual(await a.receiveJson(), { type: 'user_left', user_id: 'bob', message: 'User bob left the room' });
    await c.close();
    const rooms = async () => (await client.get('/chat/rooms', auth)).json<{ rooms: string[] }>().rooms;
    for (let i = 0; i < 100 && (await rooms()).includes('other'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await rooms(), ['lobby']);
  });

  it('refuses to start in production without CHAT_SECRET, with a clear error', async () => {
    assert.throws(() => createChatApp({ env: { NODE_ENV: 'production' } }), (err: unknown) => err instanceof ConfigError && err.message === REFUSAL);
    assert.throws(() => createChatApp({ env: { NODE_ENV: 'production', CHAT_SECRET: '' } }), ConfigError);
    // The command exits 1 with the reason on stderr, before opening a database or a port.
    const run = await runMain({ NODE_ENV: 'production', PORT: '0', DATABASE_URL: 'sqlite:///:memory:' });
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `chat: ${REFUSAL}\n`);
    assert.equal(run.stdout, '');
  });

  it('signs with CHAT_SECRET when set, and with a random secret of its own in development', async () => {
    const secret = 'chat-production-secret-0123456789abcdef';
    const production = createChatApp({ env: { NODE_ENV: 'production', CHAT_SECRET: secret }, db: freshDb() });
    await using client = new TestClient(production.app);
    const { access_token } = (await client.post('/auth/token', { json: { username: 'alice' } })).json<{ access_token: string }>();
    assert.equal((await production.auth.verifyToken(access_token)).id, 'alice');
    assert.equal((await new JWTAuth(secret).verifyToken(access_token)).id, 'alice');

    for (const env of [{}, { NODE_ENV: 'development' }]) {
      const dev = createChatApp({ env, db: freshDb() });
      await using devClient = new TestClient(dev.app);
      const token = (await devClient.post('/auth/token', { json: { username: 'bob' } })).json<{ access_token: string }>().access_token;
      assert.equal((await devClient.get('/chat/rooms', { headers: { authorization: `Bearer ${token}` } })).status, 200);
      // Not the production secret, nor a secret shared with another development instance.
      await assert.rejects(new JWTAuth(secret).verifyToken(token), { code: 'ERR_JWT_SIGNATURE' });
      await assert.rejects(createChatApp({ env }).auth.verifyToken(token), { code: 'ERR_JWT_SIGNATURE' });
    }
  });

  it('works over a real socket with the token as a subprotocol, as the page does', async () => {
    const { app } = createChatApp({ secretKey: 'chat-test-secret-0123456789abcdef', db: freshDb() });
    await withServer(app, async ({ url, port }) => {
      const token = async (username: string): Promise<string> => {
        const res = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) });
        return ((await res.json()) as { access_token: string }).access_token;
      };
      const open = async (name: string): Promise<{ ws: WsClient; events: { type: string; user_id: string; message: string }[] }> => {
        const ws = new WsClient(`ws://127.0.0.1:${port}/ws/chat/room-1`, ['access_token', await token(name)]);
        const events: { type: string; user_id: string; message: string }[] = [];
        ws.on('message', (d) => events.push(JSON.parse(String(d))));
        await once(ws, 'open');
        assert.equal(ws.protocol, 'access_token');
        return { ws, events };
      };
      const ann = await open('ann');
      const ben = await open('ben');
      await until(() => ann.events.length === 1, 'ann sees ben join');
      ben.ws.send(JSON.stringify({ message: 'over tcp' }));
      await until(() => ann.events.length === 2 && ben.events.length === 1, 'both get the message');
      assert.deepEqual(
        ann.events.map((e) => [e.type, e.user_id]),
        [
          ['user_joined', 'ben'],
          ['message', 'ben'],
        ],
      );
      // A message far past what a chat message can be is not read: 1009 (64 KiB limit).
      const big = await open('cat');
      big.ws.send('x'.repeat(65 * 1024));
      const [code] = (await once(big.ws, 'close')) as [number];
      assert.equal(code, 1009);
      await until(() => ann.events.length === 4, 'ann sees cat join and leave');
      assert.deepEqual(ann.events.slice(2).map((e) => [e.type, e.user_id]), [['user_joined', 'cat'], ['user_left', 'cat']]);
      ann.events.splice(2);
      const refused = new WsClient(`ws://127.0.0.1:${port}/ws/chat/room-1`, ['access_token', 'bad']);
      const [, res] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(res.statusCode, 401);
      ben.ws.close();
      await until(() => ann.events.length === 3, 'ann sees ben leave');
      assert.equal(ann.events[2]?.type, 'user_left');
      ann.ws.close();
      await once(ann.ws, 'close');
    });
  });
});
