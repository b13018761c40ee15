// Cross-site WebSocket hijacking: browsers apply no CORS to WebSockets and send the app's
// cookies whatever page opens the socket, so CORSMiddleware and CSRFProtection check the
// handshake's Origin. Real servers on 127.0.0.1 and the `ws` client (which sets `Origin`).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { CovetApp, type Middleware, type WebSocket } from '../../../src/index.js';
import { CORSMiddleware, type CORSOptions, type CSRFOptions, CSRFProtection } from '../../../src/security/index.js';
import { withServer } from '../../helpers/server.js';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example.org';
const CORS_REFUSAL = { error: 'WebSocket origin not allowed' };
const CSRF_REFUSAL = { error: 'CSRF origin check failed' };

interface Refusal {
  readonly status: number | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** An app whose `/echo` (and `/open`, exempt from CSRF by its meta) echo messages; `opened` counts handlers that ran. */
function echoApp(middleware: Middleware): { app: CovetApp; opened: string[] } {
  const app = new CovetApp();
  const opened: string[] = [];
  const echo = async (ws: WebSocket<unknown>): Promise<void> => {
    opened.push(ws.request.path);
    await ws.accept();
    for await (const message of ws) await ws.send(message);
  };
  app.addMiddleware(middleware);
  app.websocket('/echo', echo);
  app.websocket('/open', { meta: { csrf: false } }, echo);
  app.websocket('/hooks/feed', echo);
  return { app, opened };
}

/** Opens a `ws` client, sends one message and expects it back; closes the client. */
async function exchange(url: string, origin?: string): Promise<string> {
  const client = new WsClient(url, origin === undefined ? {} : { origin });
  try {
    await once(client, 'open');
    const reply = once(client, 'message');
    client.send('ping');
    const [data] = (await reply) as [Buffer];
    return data.toString();
  } finally {
    client.close();
    if (client.readyState !== WsClient.CLOSED) await once(client, 'close');
  }
}

/** Attempts a handshake that must be refused: its status, content type and JSON body. */
function refusal(url: string, origin: string): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const client = new WsClient(url, { origin });
    client.once('open', () => {
      client.terminate();
      reject(new Error(`the handshake from ${origin} was accepted`));
    });
    client.on('error', reject);
    client.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, contentType: res.headers['content-type'], body: JSON.parse(text) });
      });
    });
  });
}

async function expectRefused(url: string, origin: string, body: unknown): Promise<void> {
  const got = await refusal(url, origin);
  assert.equal(got.status, 403, origin);
  assert.match(got.contentType ?? '', /^application\/json\b/);
  assert.deepEqual(got.body, body, origin);
}

function cors(options: CORSOptions): CORSMiddleware {
  return new CORSMiddleware(options);
}

function csrf(options: Partial<CSRFOptions> = {}): CSRFProtection {
  return new CSRFProtection({ secretKey: 'ws-origin-csrf-secret', ...options });
}

describe('CORSMiddleware: WebSocket handshakes', () => {
  it('lets an allowed origin connect and exchange a message', async () => {
    const { app } = echoApp(cors({ allowOrigins: [ALLOWED] }));
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, ALLOWED), 'ping');
    });
  });

  it('lets the app’s own origin connect (host:port of Host, whatever the scheme)', async () => {
    const { app } = echoApp(cors({ allowOrigins: [ALLOWED] }));
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, `http://127.0.0.1:${port}`), 'ping');
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, `https://127.0.0.1:${port}`), 'ping');
    });
  });

  it('lets clients that send no Origin connect', async () => {
    const { app } = echoApp(cors({}));
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`), 'ping');
    });
  });

  it('refuses a disallowed origin with 403 {"error": "WebSocket origin not allowed"} before the handler runs', async () => {
    const { app, opened } = echoApp(cors({ allowOrigins: [ALLOWED] }));
    await withServer(app, async ({ port }) => {
      const url = `ws://127.0.0.1:${port}/echo`;
      await expectRefused(url, EVIL, CORS_REFUSAL);
      // Another port on the same host is another origin.
      await expectRefused(url, `http://127.0.0.1:${port + 1}`, CORS_REFUSAL);
      await expectRefused(url, 'http://localhost', CORS_REFUSAL);
      assert.deepEqual(opened, []);
    });
  });

  it('refuses Origin: null unless allowOrigins is "*"', async () => {
    const { app } = echoApp(cors({ allowOrigins: () => true }));
    await withServer(app, async ({ port }) => {
      await expectRefused(`ws://127.0.0.1:${port}/echo`, 'null', CORS_REFUSAL);
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, EVIL), 'ping', 'the function allows other origins');
    });
  });

  it('allows any origin, null included, with allowOrigins "*"', async () => {
    const { app } = echoApp(cors({ allowOrigins: '*' }));
    await withServer(app, async ({ port }) => {
      for (const origin of [EVIL, 'null', ALLOWED]) assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, origin), 'ping', origin);
    });
  });

  it('matches wildcard patterns, RegExps and functions as for HTTP', async () => {
    const { app } = echoApp(cors({ allowOrigins: ['https://*.example.com', /^https:\/\/[a-z]+\.test$/] }));
    const byFunction = echoApp(cors({ allowOrigins: (origin) => origin.endsWith('.trusted.net') }));
    await withServer(app, async ({ port }) => {
      const url = `ws://127.0.0.1:${port}/echo`;
      assert.equal(await exchange(url, 'https://a.b.example.com'), 'ping');
      assert.equal(await exchange(url, 'https://staging.test'), 'ping');
      await expectRefused(url, 'https://example.com', CORS_REFUSAL);
      await expectRefused(url, 'https://staging.test.evil.org', CORS_REFUSAL);
    });
    await withServer(byFunction.app, async ({ port }) => {
      const url = `ws://127.0.0.1:${port}/echo`;
      assert.equal(await exchange(url, 'https://api.trusted.net'), 'ping');
      await expectRefused(url, EVIL, CORS_REFUSAL);
    });
  });

  it('allows every origin with websocketOrigins: false', async () => {
    const { app } = echoApp(cors({ allowOrigins: [ALLOWED], websocketOrigins: false }));
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, EVIL), 'ping');
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, 'null'), 'ping');
    });
  });

  it('works as a WebSocket route’s own middleware', async () => {
    const app = new CovetApp();
    app.websocket('/echo', { middleware: [cors({ allowOrigins: [ALLOWED] })] }, async (ws) => {
      await ws.accept();
      for await (const message of ws) await ws.send(message);
    });
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, ALLOWED), 'ping');
      await expectRefused(`ws://127.0.0.1:${port}/echo`, EVIL, CORS_REFUSAL);
    });
  });

  it('recognizes the handshake whatever the case of Upgrade, and leaves other GETs to CORS as before', async () => {
    const app = new CovetApp();
    app.addMiddleware(cors({ allowOrigins: [ALLOWED] }));
    app.get('/data', () => ({ ok: true }));
    await withServer(app, async ({ port }) => {
      const get = (headers: Record<string, string>): Promise<{ status: number | undefined; body: string; allow: unknown }> =>
        new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/data', headers }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => {
              body += d;
            });
            res.once('end', () => resolve({ status: res.statusCode, body, allow: res.headers['access-control-allow-origin'] }));
          });
          req.once('error', reject);
          req.end();
        });
      // No `websocket` routes, so Node serves the upgrade request as plain HTTP: the middleware refuses it.
      const upgrade = await get({ origin: EVIL, upgrade: 'WebSocket', connection: 'Upgrade' });
      assert.equal(upgrade.status, 403);
      assert.deepEqual(JSON.parse(upgrade.body), CORS_REFUSAL);
      const plain = await get({ origin: EVIL });
      assert.deepEqual([plain.status, plain.allow], [200, undefined]);
      const allowed = await get({ origin: ALLOWED });
      assert.deepEqual([allowed.status, allowed.allow], [200, ALLOWED]);
    });
  });
});

describe('CSRFProtection: WebSocket handshakes', () => {
  it('refuses a cross-origin handshake with its 403 {"error": "CSRF origin check failed"}', async () => {
    const { app, opened } = echoApp(csrf());
    await withServer(app, async ({ port }) => {
      const url = `ws://127.0.0.1:${port}/echo`;
      await expectRefused(url, EVIL, CSRF_REFUSAL);
      await expectRefused(url, 'null', CSRF_REFUSAL);
      await expectRefused(url, `http://127.0.0.1:${port + 1}`, CSRF_REFUSAL);
      assert.deepEqual(opened, []);
    });
  });

  it('lets a trusted origin, the same origin and clients without Origin connect, without a token', async () => {
    const { app } = echoApp(csrf({ trustedOrigins: [ALLOWED] }));
    await withServer(app, async ({ port }) => {
      const url = `ws://127.0.0.1:${port}/echo`;
      assert.equal(await exchange(url, ALLOWED), 'ping');
      assert.equal(await exchange(url, `http://127.0.0.1:${port}`), 'ping');
      assert.equal(await exchange(url), 'ping');
    });
  });

  it('skips routes with meta csrf: false, exempt paths, and every handshake with checkOrigin: false', async () => {
    const { app } = echoApp(csrf({ exemptPaths: ['/hooks/*'] }));
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/open`, EVIL), 'ping');
      assert.equal(await exchange(`ws://127.0.0.1:${port}/hooks/feed`, EVIL), 'ping');
      await expectRefused(`ws://127.0.0.1:${port}/echo`, EVIL, CSRF_REFUSAL);
    });
    const unchecked = echoApp(csrf({ checkOrigin: false }));
    await withServer(unchecked.app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, EVIL), 'ping');
    });
  });

  it('checks handshakes even when GET is not a safe method, still without asking for a token', async () => {
    const { app } = echoApp(csrf({ safeMethods: ['HEAD', 'OPTIONS'] }));
    await withServer(app, async ({ port }) => {
      assert.equal(await exchange(`ws://127.0.0.1:${port}/echo`, `http://127.0.0.1:${port}`), 'ping');
      await expectRefused(`ws://127.0.0.1:${port}/echo`, EVIL, CSRF_REFUSAL);
    });
  });
});
