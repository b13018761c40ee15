// Every API that takes a value binds it: the payloads below reach the database as data. Each
// case checks that the value round-trips unchanged, that it matched nothing it should not have,
// and that the `secrets` table survived.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DatabaseManager, QueryBuilder, sql } from '../../../src/database/index.js';
import { Column, Integer, Model, type RowOf, String as Str } from '../../../src/database/orm/index.js';
import { serialPk, targets } from './targets.js';

const PAYLOADS = [
  "' OR '1'='1",
  "'; DROP TABLE secrets; --",
  "\\'; DROP TABLE secrets; -- ",
  '1 OR 1=1',
  '%s ? $1 %% $2',
  '"; DROP TABLE secrets; --',
  "') UNION SELECT secret FROM secrets --",
  '$$; DROP TABLE secrets; $$',
];

class Note extends Model {
  static override tableName = 'notes';
  static override columns = { id: Column(Integer, { primaryKey: true }), body: Column(Str(200), { nullable: false }) };
}
interface Note extends RowOf<typeof Note.columns> {}

for (const target of targets) {
  describe(`SQL injection on ${target.name}`, { skip: target.skip }, () => {
    async function check(name: string, attack: (db: DatabaseManager, payload: string) => PromiseLike<unknown>): Promise<void> {
      await using db = target.open();
      await db.execute(`CREATE TABLE notes (id ${serialPk(target.name)}, body VARCHAR(200) NOT NULL)`);
      await db.execute('CREATE TABLE secrets (secret VARCHAR(50))');
      await db.execute('INSERT INTO secrets (secret) VALUES (%s)', 'hunter2');
      await db.execute('INSERT INTO notes (body) VALUES (%s)', 'hello');
      for (const payload of PAYLOADS) {
        const result = await attack(db, payload);
        assert.equal(await db.fetchVal('SELECT secret FROM secrets'), 'hunter2', `${name}: secrets survived ${payload}`);
        if (Array.isArray(result)) {
          for (const row of result as Record<string, unknown>[]) {
            assert.notEqual(row.body, 'hello', `${name}: ${payload} matched a row it should not have`);
            assert.ok(!Object.values(row).includes('hunter2'), `${name}: ${payload} leaked a secret`);
          }
        }
      }
      // Every stored payload came back exactly as sent.
      const stored = (await db.fetchAll<{ body: string }>('SELECT body FROM notes WHERE body <> %s', 'hello')).map((r) => r.body);
      for (const body of stored) assert.ok(PAYLOADS.includes(body), `${name}: stored ${JSON.stringify(body)} is not one of the payloads`);
    }

    const where = (db: DatabaseManager) => (db.dialect.numberedPlaceholders ? '$1' : '?');

    it('fetchAll with %s', () => check('fetchAll', (db, p) => db.fetchAll('SELECT * FROM notes WHERE body = %s', p)));
    it('fetchOne with ?', () => check('fetchOne', async (db, p) => [await db.fetchOne('SELECT * FROM notes WHERE body = ?', p)].filter(Boolean)));
    it('fetchVal with $1', () => check('fetchVal', async (db, p) => [await db.fetchVal('SELECT body FROM notes WHERE body = $1', p)].filter(Boolean)));
    it('execute (INSERT)', () =>
      check('execute', async (db, p) => {
        await db.execute('INSERT INTO notes (body) VALUES (%s)', p);
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM notes WHERE body = %s', p), 1);
        await db.execute('DELETE FROM notes WHERE body = %s', p);
      }));
    it('sql`…` tagged template', () => check('sql', (db, p) => db.sql`SELECT * FROM notes WHERE body = ${p} OR body ILIKE ${p}`));
    it('sql`…` passed to execute', () =>
      check('sql execute', async (db, p) => {
        await db.execute(sql`INSERT INTO notes (body) VALUES (${p})`);
        assert.equal(await db.fetchVal(sql`SELECT body FROM notes WHERE body = ${p}`), p);
      }));
    it('transaction queries', () => check('transaction', (db, p) => db.transaction((tx) => tx.fetchAll('SELECT * FROM notes WHERE body = %s', p))));
    it('pooled connection fetch', () => check('pool', (db, p) => db.pool.withConnection((conn) => conn.fetch(`SELECT * FROM notes WHERE body = ${where(db)}`, p))));
    it('QueryBuilder raw where with ILIKE', () => check('qb where', (db, p) => new QueryBuilder(db).select('notes').where('body ILIKE %s', `%${p}%`).fetchAll()));
    it('QueryBuilder object where', () => check('qb object', (db, p) => new QueryBuilder(db).select('notes').where({ body: p }).orWhere({ body: [p, `${p}x`] })));
    it('QueryBuilder insert values', () =>
      check('qb insert', async (db, p) => {
        await new QueryBuilder(db).insert('notes').values({ body: p }).execute();
        assert.equal(await new QueryBuilder(db).select('notes', 'body').where({ body: p }).fetchVal(), p);
      }));
    it('QueryBuilder update set and delete where', () =>
      check('qb update', async (db, p) => {
        const qb = new QueryBuilder(db);
        await qb.insert('notes').values({ body: 'tmp' }).execute();
        await qb.update('notes').set({ body: p }).where({ body: 'tmp' }).execute();
        assert.equal((await qb.delete('notes').where('body = %s', p).execute()).rowCount, 1);
      }));
    it('QueryBuilder join and having parameters', () =>
      check('qb join', (db, p) =>
        new QueryBuilder(db)
          .select('notes', 'notes.body')
          .join('secrets', 'secrets.secret = %s', p)
          .groupBy('notes.body')
          .having('COUNT(*) > %s', 0)
          .fetchAll(),
      ));
    it('QueryBuilder identifiers (orderBy, columns, tables) are refused or quoted', () =>
      check('qb identifiers', async (db, p) => {
        const qb = new QueryBuilder(db);
        assert.throws(() => qb.select('notes').orderBy(p).toSQL(), /not a column or table name/);
        assert.throws(() => qb.select(p).toSQL(), /not a column or table name/);
        assert.throws(() => qb.select('notes').where({ [p]: 1 }).toSQL(), /not a column or table name/);
        return [];
      }));
    it('ORM create, get and update', () =>
      check('orm create', async (db, p) => {
        const note = await Note.create(db, { body: p });
        assert.equal((await Note.get(db, note.id))?.body, p);
        await Note.update(db, note.id, { body: p });
        assert.equal(await Note.get(db, p), null); // a payload as the primary key finds nothing
        assert.throws(() => Note.query(db).where({ id: p as unknown as number }), /Expected an integer for this integer column/);
        await note.delete(db);
      }));
    it('ORM query where (object and raw) and query update', () =>
      check('orm where', async (db, p) => {
        const found = await Note.query(db).where({ body: p }).orWhere('body = %s', p).all();
        await Note.query(db).where({ body: p }).update({ body: p });
        return found.map((n) => ({ ...n }));
      }));
    it('QueryBuilder whereIn, fetchOne, fetchVal, count and exists', () =>
      check('qb reads', async (db, p) => {
        const qb = new QueryBuilder(db);
        const rows = await qb.select('notes').whereIn('body', [p, `${p}x`]).fetchAll();
        assert.equal(await qb.select('notes').where({ body: p }).fetchOne(), null);
        assert.equal(await qb.select('notes', 'body').where('body = ?', p).fetchVal(), null);
        assert.equal(await qb.select('notes').where({ body: p }).count(), 0);
        assert.equal(await qb.select('notes').where('body ILIKE $1', p).exists(), false);
        return rows;
      }));
    it('ORM save, count, exists, query delete and Model.delete', () =>
      check('orm writes', async (db, p) => {
        const note = new Note({ body: 'tmp' });
        await note.save(db);
        note.body = p;
        await note.save(db);
        assert.equal((await Note.get(db, note.id))?.body, p);
        assert.equal(await Note.query(db).where({ body: p }).count(), 1);
        assert.equal(await Note.query(db).where('body = %s', p).exists(), true);
        assert.equal(await Note.query(db).where({ body: p }).delete(), 1);
        assert.equal(await Note.query(db).where({ body: p }).exists(), false);
        // A payload as the primary key deletes nothing (or is refused before reaching SQL).
        const deleted = await Note.delete(db, p).catch((err: unknown) => (err instanceof TypeError ? false : Promise.reject(err)));
        assert.equal(deleted, false);
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM notes WHERE body = %s', 'hello'), 1);
      }));
    it('ORM unit of work (add + commit)', () =>
      check('orm session', async (db, p) => {
        const session = db.session();
        const note = new Note({ body: p });
        session.add(note);
        await session.commit();
        assert.equal((await Note.get(db, note.id))?.body, p);
        await note.delete(db);
      }));
  });
}
