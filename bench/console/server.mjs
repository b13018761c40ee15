// The server of bench/console/run.mjs (and of micro.mjs, which imports `app`). MODE picks the
// console:
//   none: no console at all;
//   off:  app.console() in production without a token (the console stays off);
//   on:   app.console() with a token (on, recording every request).
// APP picks the app: `json` (one JSON route, nothing else) or `db` (a SQLite database given to
// addDatabase and a route running 1 + 5 queries — the console attributes them to the request).
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const MODE = process.env.MODE ?? 'none';
const APP = process.env.APP ?? 'json';
export const TOKEN = 'bench-console-token-0123456789';
const { CovetApp } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);

export const app = new CovetApp({ logger: { info() {}, error: console.error } });
if (MODE === 'off') app.console('/_covet');
else if (MODE === 'on') app.console('/_covet', { token: TOKEN });
else if (MODE !== 'none') throw new Error(`unknown MODE ${MODE}`);

app.get('/json', () => ({ message: 'Hello, World!', items: [1, 2, 3], ok: true }));
if (APP === 'db') {
  const { DatabaseManager } = await import(pathToFileURL(join(ROOT, 'dist', 'database', 'index.js')).href);
  const db = new DatabaseManager('sqlite:///:memory:');
  app.addDatabase(db);
  app.onStartup(async () => {
    await db.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
    for (let i = 1; i <= 5; i++) await db.execute('INSERT INTO items (name) VALUES (%s)', `item ${i}`);
  });
  app.get('/db', async () => {
    const ids = await db.fetchAll('SELECT id FROM items');
    const items = [];
    for (const { id } of ids) items.push(await db.fetchOne('SELECT id, name FROM items WHERE id = %s', id));
    return { items };
  });
} else if (APP !== 'json') throw new Error(`unknown APP ${APP}`);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log('READY');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
