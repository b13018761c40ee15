// The server of bench/database/run.mjs: GET /users/{id} through the ORM (`User.get`) and the
// same query through the bare driver (better-sqlite3 / pg), in one Covet app.
//   BACKEND=sqlite|postgresql  DB_URL=…  PORT=…  COVET_DIR=…
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const { CovetApp, HTTPException } = await dist('index.js');
const { DatabaseManager } = await dist('database/index.js');
const { Column, DateTime, Integer, Model, String, func } = await dist('database/orm/index.js');
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
export const ROWS = 1000;

const backend = process.env.BACKEND;
const url = process.env.DB_URL;
// The same pool size on both sides: 10 connections (pg.Pool's default max). SQLite has one.
const db = new DatabaseManager(url, {});
const ormDb = backend === 'sqlite' ? db : new DatabaseManager(`${url}${url.includes('?') ? '&' : '?'}pool_size=10&max_overflow=0`);
await db.dropAll([User]);
await db.createAll([User]);
await db.transaction(async (tx) => {
  for (let i = 1; i <= ROWS; i++) await User.create(tx, { name: `User ${i}`, email: `user${i}@example.com` });
});

// The statement the ORM sends for User.get, sent as is through the bare driver.
const q = db.dialect.quote;
const text = `SELECT ${['id', 'name', 'email', 'createdAt'].map(q).join(', ')} FROM ${q('bench_users')} WHERE ${q('id')} = ${db.dialect.numberedPlaceholders ? '$1' : '?'}`;
let bare;
let closeBare;
if (backend === 'sqlite') {
  const Database = require('better-sqlite3');
  const raw = new Database(db.config.database);
  const stmt = raw.prepare(text);
  bare = async (id) => stmt.get(id);
  closeBare = () => raw.close();
} else {
  const pg = require('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  bare = async (id) => (await pool.query(text, [id])).rows[0];
  closeBare = () => pool.end();
}

const app = new CovetApp({ logger: { info() {}, error: console.error } });
app.get('/bare/users/{id:int}', async (req) => {
  const user = await bare(req.params.id);
  if (!user) throw new HTTPException(404, 'User not found');
  return user;
});
app.get('/orm/users/{id:int}', async (req) => {
  const user = await User.get(ormDb, req.params.id);
  if (!user) throw new HTTPException(404, 'User not found');
  return user;
});
// The bare driver's row with the ORM's types (createdAt as a Date): what typing alone costs.
app.get('/typed/users/{id:int}', async (req) => {
  const user = await bare(req.params.id);
  if (!user) throw new HTTPException(404, 'User not found');
  return { ...user, createdAt: user.createdAt instanceof Date ? user.createdAt : new Date(user.createdAt) };
});
// No database at all: the framework's own cost per request, for scale.
app.get('/none/users/{id:int}', (req) => ({ id: req.params.id, name: 'User', email: 'user@example.com', createdAt: '2026-01-01T00:00:00.000Z' }));
app.addDatabase(ormDb);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('READY');
process.on('SIGTERM', async () => {
  await app.close();
  await closeBare();
  await db.close();
  const cleanup = new DatabaseManager(url);
  await cleanup.dropAll([User]);
  await cleanup.close();
  process.exit(0);
});
