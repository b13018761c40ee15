// The server of bench/serializer/run.mjs: the same 16-field user (and a list of 100) served
// without a response schema (JSON.stringify) and with one (filtered, compiled serializer).
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { USER_SCHEMA, user, userRow } from './fixture.mjs';

const ROOT = resolve(process.env.COVET_DIR ?? '.');
const { CovetApp } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);

const one = user(7);
const list = Array.from({ length: 100 }, (_, i) => user(i));
const row = userRow(7);
const rows = Array.from({ length: 100 }, (_, i) => userRow(i));
const listSchema = { type: 'array', items: USER_SCHEMA };

const app = new CovetApp({ logger: { info() {}, error: console.error } });
app.get('/plain', () => one);
app.get('/schema', { response: USER_SCHEMA }, () => one);
app.get('/schema-filter', { response: USER_SCHEMA }, () => row);
app.get('/plain-list', () => list);
app.get('/schema-list', { response: listSchema }, () => list);
app.get('/schema-list-filter', { response: listSchema }, () => rows);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('READY');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
