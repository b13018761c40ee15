#!/usr/bin/env node
// In-process A/B of GET /users/{id} on SQLite: the ORM (`User.get`) against the bare driver
// (better-sqlite3's prepared statement, the very SQL the ORM sends), measured as server CPU µs
// per request with process.cpuUsage(), so the numbers hold on a busy machine. No sockets, no
// load generator: each request goes through the app's real Node request listener with an
// in-memory socket (routing, handler, JSON, headers, the bytes written), or, for the `layer`
// rows, just the handler's work plus JSON.stringify. Routes run interleaved in short slices,
// many rounds; medians are reported.
//
//   node bench/database/inprocess.mjs [--rounds=15] [--requests=20000] [--only=http,layer,plain]
// (`plain`: the ORM route answering `user.toJSON()`, a plain object, which takes the core's JSON
// fast path; the difference to `http` is what the core's generic path for class instances costs.)
//   node --import tsx bench/database/inprocess.mjs --src   (the TypeScript sources, no build)
//
// Also: --prof runs one route (--route=orm|bare, default orm) rounds × requests times, no timing:
// for a profile (node --cpu-prof …) or an instruction count that does not depend on the machine's
// load: valgrind --tool=callgrind node bench/database/inprocess.mjs --prof --route=bare --requests=N,
// once with N and once with 0; the difference over N is the instructions per request.
import { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    requests: { type: 'string', default: '20000' },
    only: { type: 'string', default: 'http,layer' },
    src: { type: 'boolean', default: false },
    prof: { type: 'boolean', default: false },
    route: { type: 'string', default: 'orm' },
    concurrency: { type: 'string', default: '1' },
  },
});
const load = (p) => import(pathToFileURL(opt.src ? join(ROOT, 'src', `${p}.ts`) : join(ROOT, 'dist', `${p}.js`)).href);
const { CovetApp, HTTPException } = await load('index');
const { DatabaseManager } = await load('database/index');
const { Column, DateTime, Integer, Model, String, func } = await load('database/orm/index');
const require = createRequire(join(ROOT, 'package.json'));

class User extends Model {
  static tableName = 'bench_users';
  static columns = {
    id: Column(Integer, { primaryKey: true }),
    name: Column(String(100), { nullable: false }),
    email: Column(String(255), { unique: true, nullable: false }),
    createdAt: Column(DateTime, { default: func.now() }),
  };
}
const ROWS = 1000;
const tmp = mkdtempSync(join(tmpdir(), 'covet-dbinproc-'));
const db = new DatabaseManager(`sqlite:///${join(tmp, 'bench.db')}`);
await db.createAll([User]);
await db.transaction(async (tx) => {
  for (let i = 1; i <= ROWS; i++) await User.create(tx, { name: `User ${i}`, email: `user${i}@example.com` });
});
const q = db.dialect.quote;
const text = `SELECT ${['id', 'name', 'email', 'createdAt'].map(q).join(', ')} FROM ${q('bench_users')} WHERE ${q('id')} = ?`;
const Database = require('better-sqlite3');
const raw = new Database(db.config.database);
const stmt = raw.prepare(text);
const bare = async (id) => stmt.get(id);

const app = new CovetApp({ logger: { info() {}, error: console.error } });
app.get('/bare/users/{id:int}', async (req) => {
  const user = await bare(req.params.id);
  if (!user) throw new HTTPException(404, 'User not found');
  return user;
});
app.get('/orm/users/{id:int}', async (req) => {
  const user = await User.get(db, req.params.id);
  if (!user) throw new HTTPException(404, 'User not found');
  return user;
});
// The ORM route answering a plain object: what the core's generic path for class instances costs.
app.get('/plain/users/{id:int}', async (req) => {
  const user = await User.get(db, req.params.id);
  if (!user) throw new HTTPException(404, 'User not found');
  return user.toJSON();
});
app.addDatabase(db);
await app.listen({ host: '127.0.0.1', port: 0 });
const listener = app.server.listeners('request')[0];

// One request through the listener on an in-memory socket; resolves when the response is finished.
class NullSocket extends Duplex {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  encrypted = false;
  _read() {}
  _write(_chunk, _enc, cb) {
    cb();
  }
  _writev(_chunks, cb) {
    cb();
  }
  setTimeout() {
    return this;
  }
  setNoDelay() {
    return this;
  }
  setKeepAlive() {
    return this;
  }
}
const sockets = [new NullSocket()];
let lastBody = '';
function request(url, capture = false, socket = sockets[0]) {
  return new Promise((res) => {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = url;
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.headers = { host: '127.0.0.1', accept: '*/*' };
    req.rawHeaders = ['Host', '127.0.0.1', 'Accept', '*/*'];
    req.complete = true;
    req.push(null);
    const out = new ServerResponse(req);
    out.shouldKeepAlive = true;
    out.assignSocket(socket);
    if (capture) {
      const chunks = [];
      const write = out.write.bind(out);
      const end = out.end.bind(out);
      out.write = (c, ...a) => (typeof c !== 'function' && c != null && chunks.push(Buffer.from(c)), write(c, ...a));
      out.end = (c, ...a) => (typeof c !== 'function' && c != null && chunks.push(Buffer.from(c)), end(c, ...a));
      out.on('finish', () => {
        lastBody = Buffer.concat(chunks).toString();
      });
    }
    out.on('finish', () => {
      out.detachSocket(socket);
      res(out.statusCode);
    });
    listener(req, out);
  });
}

// Sanity: both routes answer the same JSON for the same id.
for (const id of [1, 7, 500]) {
  await request(`/bare/users/${id}`, true);
  const a = lastBody;
  await request(`/orm/users/${id}`, true);
  if (a !== lastBody) throw new Error(`bare and ORM differ: ${a} vs ${lastBody}`);
}
await request('/orm/users/5000', true);
if (!lastBody.includes('User not found')) throw new Error(`404 expected: ${lastBody}`);

// Random ids, the same sequence for every route.
let seed = 42;
const ids = Array.from({ length: 4096 }, () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return 1 + (seed % ROWS);
});

// --concurrency=C keeps C requests in flight (as a load generator's connections would).
const C = Number(opt.concurrency);
while (sockets.length < C) sockets.push(new NullSocket());
const httpCase = (prefix) => async (n) => {
  if (C <= 1) {
    for (let i = 0; i < n; i++) await request(`${prefix}${ids[i & 4095]}`);
    return;
  }
  let next = 0;
  const worker = async (socket) => {
    while (next < n) await request(`${prefix}${ids[next++ & 4095]}`, false, socket);
  };
  await Promise.all(sockets.map(worker));
};
const layerCases = {
  bare: async (n) => {
    let len = 0;
    for (let i = 0; i < n; i++) len += JSON.stringify(await bare(ids[i & 4095])).length;
    return len;
  },
  orm: async (n) => {
    let len = 0;
    for (let i = 0; i < n; i++) len += JSON.stringify(await User.get(db, ids[i & 4095])).length;
    return len;
  },
};

if (opt.prof) {
  const n = Number(opt.requests) * Number(opt.rounds);
  if (opt.only.includes('http')) await httpCase(`/${opt.route}/users/`)(n);
  if (opt.only.includes('layer')) await layerCases[opt.route](n);
} else {
  const rounds = Number(opt.rounds);
  const n = Number(opt.requests);
  const cases = [];
  if (opt.only.includes('http')) cases.push(['http', 'bare', httpCase('/bare/users/')], ['http', 'orm', httpCase('/orm/users/')]);
  if (opt.only.includes('plain')) cases.push(['plain', 'bare', httpCase('/bare/users/')], ['plain', 'orm', httpCase('/plain/users/')]);
  if (opt.only.includes('layer')) cases.push(['layer', 'bare', layerCases.bare], ['layer', 'orm', layerCases.orm]);
  const samples = new Map(cases.map(([k, r]) => [`${k} ${r}`, []]));
  for (const [, , fn] of cases) await fn(n); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    for (const [kind, route, fn] of order) {
      const t = process.cpuUsage();
      await fn(n);
      const d = process.cpuUsage(t);
      samples.get(`${kind} ${route}`).push((d.user + d.system) / n);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`CPU µs per request, median of ${rounds} rounds × ${n} requests (${opt.src ? 'src via tsx' : 'dist'}), Node ${process.version}`);
  for (const kind of ['http', 'plain', 'layer']) {
    const b = samples.get(`${kind} bare`);
    const o = samples.get(`${kind} orm`);
    if (b === undefined) continue;
    const mb = median(b);
    const mo = median(o);
    // The ratio per round (adjacent slices) is steadier than the ratio of medians on a busy machine.
    const ratios = b.map((x, i) => o[i] / x);
    console.log(
      `${kind.padEnd(6)} bare ${mb.toFixed(2)} µs  orm ${mo.toFixed(2)} µs  orm/bare ${(mo / mb).toFixed(3)}×  (median per-round ratio ${median(ratios).toFixed(3)}×, range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  }
}
await app.close();
raw.close();
await db.close();
rmSync(tmp, { recursive: true, force: true });
