// Type tests for covet/database and covet/database/orm: checked by `tsc --noEmit` (npm run
// typecheck), never executed. Each `@ts-expect-error` line must fail to compile.
import { expectTypeOf } from 'expect-type';
import { z } from 'zod';
import { CovetApp } from '../../src/index.js';
import { ConnectionPool, DatabaseConfig, type DatabaseConfigOptions, DatabaseManager, type ExecuteResult, migrate, type Row } from '../../src/database/index.js';
import { Column, DateTime, func, Integer, Model, type RowOf, String } from '../../src/database/orm/index.js';

const db = new DatabaseManager('sqlite:///:memory:');
new DatabaseManager(new DatabaseConfig({ driver: 'postgresql', host: 'localhost', port: 5432, database: 'app', username: 'u', password: 'p', poolSize: 20, maxOverflow: 10 }));
// @ts-expect-error -- a misspelt option
new DatabaseConfig({ driver: 'postgresql', poolsize: 20 });

async function queries(name: string, id: number): Promise<void> {
  expectTypeOf(await db.fetchAll('SELECT * FROM users WHERE name = %s', name)).toEqualTypeOf<Row[]>();
  const row = await db.fetchOne('SELECT * FROM users WHERE id = ?', id);
  expectTypeOf(row).toEqualTypeOf<Row | null>();
  // @ts-expect-error -- fetchOne resolves to null when there is no row
  void row.name;
  expectTypeOf(row?.name).toEqualTypeOf<unknown>();
  expectTypeOf(await db.fetchOne<{ id: number }>('SELECT id FROM users')).toEqualTypeOf<{ id: number } | null>();
  expectTypeOf(await db.fetchVal<number>('SELECT COUNT(*) FROM users')).toEqualTypeOf<number | null>();
  const result = await db.execute('UPDATE users SET name = %s', name);
  expectTypeOf(result).toEqualTypeOf<ExecuteResult>();
  expectTypeOf(result.rowCount).toBeNumber();
  // @ts-expect-error -- `rowCount`, not `rowcount`
  void result.rowcount;
  expectTypeOf(await db.sql`SELECT * FROM users WHERE id = ${id}`).toEqualTypeOf<Row[]>();
  await db.fetchOne(db.sql`SELECT * FROM users WHERE id = ${id}`);
  expectTypeOf(await db.transaction(async (tx) => tx.fetchVal<string>('SELECT name FROM users'))).toEqualTypeOf<string | null>();
  await migrate('up', { db, directory: 'migrations' });
  const pool = new ConnectionPool({ databaseUrl: 'sqlite:///:memory:', minConnections: 5, maxConnections: 50, idleTimeout: 300 });
  expectTypeOf(await pool.withConnection(async (conn) => conn.fetch('SELECT * FROM users'))).toEqualTypeOf<Row[]>();
}
void queries;

// A `response` schema checks the handler's value: an untyped row needs a row type.
const app = new CovetApp();
const UserOut = z.object({ id: z.number(), name: z.string() });
// @ts-expect-error -- a Row (Record<string, unknown>) does not fit the schema's type
app.get('/row/{id:int}', { response: UserOut }, async (req) => db.fetchOne('SELECT * FROM users WHERE id = ?', req.params.id));
app.get('/typed-row/{id:int}', { response: UserOut }, async (req) => db.fetchOne<z.input<typeof UserOut>>('SELECT * FROM users WHERE id = ?', req.params.id));

// Models: the API.md model, its rows typed from the columns.
class User extends Model {
  static override tableName = 'users';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    name: Column(String(100), { nullable: false }),
    email: Column(String(255), { unique: true, nullable: false }),
    createdAt: Column(DateTime, { default: func.now() }),
  };
}
// The documented one-line merge types `new User(…)` too.
interface User extends RowOf<typeof User.columns> {}

async function models(): Promise<void> {
  const user = new User({ name: 'Ann', email: 'ann@example.com' });
  db.add(user);
  await db.commit();
  expectTypeOf(user.id).toEqualTypeOf<number>();
  expectTypeOf(user.createdAt).toEqualTypeOf<Date | null>();
  const found = await User.query(db).where({ email: 'ann@example.com' }).first();
  expectTypeOf(found?.name).toEqualTypeOf<string | undefined>();
  expectTypeOf((await User.query(db).orderBy('name').limit(10).all())[0]?.email).toEqualTypeOf<string | undefined>();
  // @ts-expect-error -- not a column
  User.query(db).where({ emial: 'x' });
  // @ts-expect-error -- name and email are required
  User.build({ name: 'Ann' });
  expectTypeOf(User.build({ name: 'Ann', email: 'a@b.c' }).id).toEqualTypeOf<number>();
}
void models;

// API.md's own lines, without the merge: `user.id` compiles, as `unknown` until the class
// declares its row type.
class Post extends Model {
  static override tableName = 'posts';
  static override columns = { id: Column(Integer, { primaryKey: true }), title: Column(String(100)) };
}
async function plainModels(title: string): Promise<void> {
  const post = new Post({ title });
  db.add(post);
  await db.commit();
  expectTypeOf(post.id).toEqualTypeOf<unknown>();
  // @ts-expect-error -- unknown until typed: no string methods
  post.title.toUpperCase();
  // The query API types rows from the columns either way.
  expectTypeOf((await Post.query(db).first())?.title).toEqualTypeOf<string | null | undefined>();
}
void plainModels;

// `driver` suggests the driver names and their aliases; other text is checked at run time.
expectTypeOf<'postgres' | 'mariadb' | 'sqlite3'>().toMatchTypeOf<DatabaseConfigOptions['driver']>();
new DatabaseConfig({ driver: process.env.DB_DRIVER ?? 'sqlite' });
