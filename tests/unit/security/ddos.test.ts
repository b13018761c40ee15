import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { CovetApp, Response } from '../../../src/index.js';
import { DDoSProtector, RateLimiter } from '../../../src/security/index.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('DDoSProtector', () => {
  it('allows up to threshold requests per second, then blocks the IP for blockDuration', () => {
    const c = clock();
    const ddos = new DDoSProtector({ threshold: 5, blockDuration: 300, now: c.now });
    for (let i = 0; i < 5; i++) assert.equal(ddos.allowRequest('198.51.100.1'), true, `request ${i}`);
    assert.equal(ddos.allowRequest('198.51.100.1'), false);
    assert.equal(ddos.isBlocked('198.51.100.1'), true);
    assert.equal(ddos.blockedFor('198.51.100.1'), 300);
    assert.equal(ddos.allowRequest('198.51.100.2'), true, 'other IPs are not affected');
    // Blocked even when the rate has dropped, until the block ends.
    c.advance(299_000);
    assert.equal(ddos.allowRequest('198.51.100.1'), false);
    c.advance(1_000);
    assert.equal(ddos.allowRequest('198.51.100.1'), true);
    assert.equal(ddos.isBlocked('198.51.100.1'), false);
  });

  it('counts in a one-second window opened by the first request: request threshold + 1 inside it blocks', () => {
    const c = clock();
    const ddos = new DDoSProtector({ threshold: 4, blockDuration: 10, now: c.now });
    for (let i = 0; i < 4; i++) {
      assert.equal(ddos.allowRequest('198.51.100.1'), true, `request ${i}`);
      c.advance(200);
    }
    // t = 800 ms: the window opened at 0 still holds 4 requests.
    assert.equal(ddos.allowRequest('198.51.100.1'), false);
    assert.equal(ddos.blockedFor('198.51.100.1'), 10);
    // Another IP: 4 at the end of its window and 4 at the start of the next are both allowed.
    c.advance(10_000);
    assert.equal(ddos.allowRequest('198.51.100.2'), true);
    c.advance(990);
    for (let i = 0; i < 3; i++) assert.equal(ddos.allowRequest('198.51.100.2'), true);
    c.advance(10);
    for (let i = 0; i < 4; i++) assert.equal(ddos.allowRequest('198.51.100.2'), true, `new window, request ${i}`);
    assert.equal(ddos.allowRequest('198.51.100.2'), false);
  });

  it('a steady rate under the threshold is never blocked', () => {
    const c = clock();
    const ddos = new DDoSProtector({ threshold: 10, now: c.now });
    for (let i = 0; i < 1000; i++) {
      assert.equal(ddos.allowRequest('198.51.100.1'), true, `request ${i}`);
      c.advance(100);
    }
  });

  it('never limits whitelisted IPv4 and IPv6 ranges (and IPv4-mapped peers)', () => {
    const ddos = new DDoSProtector({ threshold: 1, whitelist: ['192.168.1.0/24', '2001:db8::/48'] });
    for (let i = 0; i < 100; i++) {
      assert.equal(ddos.allowRequest('192.168.1.10'), true);
      assert.equal(ddos.allowRequest('::ffff:192.168.1.11'), true);
      assert.equal(ddos.allowRequest('2001:db8:0:1::1'), true);
    }
    assert.equal(ddos.isWhitelisted('192.168.2.1'), false);
    assert.equal(ddos.allowRequest('2001:db8:1::1'), true);
    assert.equal(ddos.allowRequest('2001:db8:1::1'), false, 'outside the /48');
    assert.throws(() => new DDoSProtector({ whitelist: ['192.168.1.0/40'] }), { code: 'ERR_IP_RANGE' });
  });

  it('unblock lifts a block', () => {
    const ddos = new DDoSProtector({ threshold: 1 });
    ddos.allowRequest('198.51.100.1');
    assert.equal(ddos.allowRequest('198.51.100.1'), false);
    ddos.unblock('198.51.100.1');
    assert.equal(ddos.allowRequest('198.51.100.1'), true);
  });

  it('rejects bad options', () => {
    assert.throws(() => new DDoSProtector({ threshold: 0 }), { code: 'ERR_DDOS_OPTIONS' });
    assert.throws(() => new DDoSProtector({ blockDuration: -1 }), { code: 'ERR_DDOS_OPTIONS' });
    assert.throws(() => new DDoSProtector({ maxConnectionsPerIp: 0 }), { code: 'ERR_DDOS_OPTIONS' });
  });

  it('bounds the IPs it tracks (a spoofed-source flood does not grow memory without end)', () => {
    const ddos = new DDoSProtector({ threshold: 1, maxTracked: 100 });
    for (let i = 0; i < 1000; i++) ddos.allowRequest(`10.0.${i >> 8}.${i & 255}`);
    ddos.allowRequest('10.9.9.9');
    assert.equal(ddos.allowRequest('10.9.9.9'), false, 'the latest IP is still tracked');
  });

  it('as middleware: 429 JSON with Retry-After for a flooding peer', async () => {
    const c = clock();
    const ddos = new DDoSProtector({ threshold: 3, blockDuration: 60, now: c.now });
    const app = new CovetApp();
    app.addMiddleware(ddos);
    app.get('/', () => 'ok');
    const get = (remoteAddress: string) => app.inject({ url: '/', remoteAddress });
    for (let i = 0; i < 3; i++) assert.equal((await get('203.0.113.5')).status, 200);
    const res = await get('203.0.113.5');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '60');
    assert.deepEqual(JSON.parse(res.body.toString()), { error: 'Too Many Requests' });
    assert.equal((await get('203.0.113.6')).status, 200);
  });

  it('as middleware behind trustedProxies: counts the forwarded client, not the proxy; ignores the header from other peers', async () => {
    const c = clock();
    const ddos = new DDoSProtector({ threshold: 2, blockDuration: 60, trustedProxies: ['10.0.0.0/8'], now: c.now });
    const app = new CovetApp();
    app.addMiddleware(ddos);
    app.get('/', () => 'ok');
    const get = (remoteAddress: string, xff?: string) =>
      app.inject({ url: '/', remoteAddress, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });
    for (let i = 0; i < 2; i++) assert.equal((await get('10.0.0.5', '198.51.100.1')).status, 200);
    const flooded = await get('10.0.0.5', '198.51.100.1');
    assert.equal(flooded.status, 429);
    assert.equal(flooded.headers.get('retry-after'), '60');
    assert.deepEqual(JSON.parse(flooded.body.toString()), { error: 'Too Many Requests' });
    assert.equal(ddos.isBlocked('198.51.100.1'), true);
    assert.equal(ddos.isBlocked('10.0.0.5'), false, 'the proxy itself is not blocked');
    // Other clients behind the same proxy go on being served.
    assert.equal((await get('10.0.0.5', '198.51.100.2')).status, 200);
    assert.equal((await get('10.0.0.6', '203.0.113.9, 198.51.100.3')).status, 200);
    // A peer that is not a trusted proxy cannot pick its address with the header.
    for (let i = 0; i < 2; i++) assert.equal((await get('203.0.113.7', `192.0.2.${i}`)).status, 200);
    const spoofed = await get('203.0.113.7', '192.0.2.99');
    assert.equal(spoofed.status, 429);
    assert.deepEqual(JSON.parse(spoofed.body.toString()), { error: 'Too Many Requests' });
  });

  it('the seed\'s security middleware: ddosProtector.allowRequest(ip) then rateLimiter.allowRequest(req)', async () => {
    const c = clock();
    const rateLimiter = new RateLimiter({ defaultRate: '100/hour', burstRate: '4/minute', storage: 'memory', now: c.now });
    const ddosProtector = new DDoSProtector({ threshold: 1000, blockDuration: 300, whitelist: ['192.168.1.0/24'], now: c.now });
    const app = new CovetApp();
    app.middleware('security', async (req, callNext) => {
      if (!(await ddosProtector.allowRequest(req.client.host))) return new Response('Rate limited', { status: 429 });
      if (!(await rateLimiter.allowRequest(req))) return new Response('Rate limited', { status: 429 });
      return callNext();
    });
    app.get('/', () => 'ok');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: '/', remoteAddress: '192.168.1.20' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
  });

  it('attach(server) caps open connections per IP with real sockets', async () => {
    const ddos = new DDoSProtector({ maxConnectionsPerIp: 2 });
    const accepted = new Set<Socket>();
    const server = createServer((socket) => {
      accepted.add(socket);
      socket.on('close', () => accepted.delete(socket));
      socket.on('error', () => {});
      // After the protector's own 'connection' listener has had its say.
      setImmediate(() => {
        if (!socket.destroyed) socket.write('hi');
      });
    });
    ddos.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const clients: Socket[] = [];
    const open = (): Promise<boolean> =>
      new Promise((resolve) => {
        const socket = new Socket();
        clients.push(socket);
        socket.once('data', () => resolve(true));
        socket.once('close', () => resolve(false));
        socket.on('error', () => {});
        socket.connect(port, '127.0.0.1');
      });
    try {
      assert.equal(await open(), true);
      assert.equal(await open(), true);
      assert.equal(ddos.connections('127.0.0.1'), 2);
      assert.equal(await open(), false, 'the third connection is destroyed');
      clients[0]?.destroy();
      for (let i = 0; i < 50 && ddos.connections('127.0.0.1') !== 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(ddos.connections('127.0.0.1'), 1);
      assert.equal(await open(), true, 'a slot freed up');
    } finally {
      for (const socket of clients) socket.destroy();
      for (const socket of accepted) socket.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('attach skips whitelisted peers and drops blocked ones (structural server)', () => {
    const ddos = new DDoSProtector({ threshold: 1, maxConnectionsPerIp: 1, whitelist: ['10.0.0.0/8'] });
    const server = new EventEmitter();
    ddos.attach(server as never);
    const sock = (ip: string) => Object.assign(new EventEmitter(), { remoteAddress: ip, destroyed: false, destroy() { this.destroyed = true; } });
    const w1 = sock('10.1.1.1');
    const w2 = sock('10.1.1.1');
    server.emit('connection', w1);
    server.emit('connection', w2);
    assert.equal(w1.destroyed || w2.destroyed, false);
    ddos.allowRequest('198.51.100.9');
    ddos.allowRequest('198.51.100.9');
    const blocked = sock('198.51.100.9');
    server.emit('connection', blocked);
    assert.equal(blocked.destroyed, true);
  });

  it('attach does not cap the connections of trustedProxies (they carry many clients)', () => {
    const ddos = new DDoSProtector({ maxConnectionsPerIp: 1, trustedProxies: ['10.0.0.1'] });
    const server = new EventEmitter();
    ddos.attach(server as never);
    const sock = (ip: string) => Object.assign(new EventEmitter(), { remoteAddress: ip, destroyed: false, destroy() { this.destroyed = true; } });
    const proxied = [sock('10.0.0.1'), sock('10.0.0.1'), sock('::ffff:10.0.0.1')];
    for (const s of proxied) server.emit('connection', s);
    assert.deepEqual(proxied.map((s) => s.destroyed), [false, false, false]);
    const direct = [sock('10.0.0.2'), sock('10.0.0.2')];
    for (const s of direct) server.emit('connection', s);
    assert.deepEqual(direct.map((s) => s.destroyed), [false, true]);
  });
});
