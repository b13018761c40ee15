// The ORM means the same on SQLite, PostgreSQL and MySQL: count() of a page, large texts,
// integer ranges and where NULLs sort.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import { type DatabaseManager, diffSchema, QueryBuilder } from '../../../src/database/index.js';
import { BigInteger, Binary, Column, Integer, Json, Model, String, Text } from '../../../src/database/orm/index.js';
import { recordStatements } from './record-statements.js';
import { targets } from './targets.js';

class Entry extends Model {
  static override tableName = 'entries';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    name: Column(String(50), { nullable: false }),
    score: Column(Integer),
    views: Column(BigInteger),
    body: Column(Text),
  };
}


describe('ORM orderBy types', () => {
  it('takes { nulls } with or without a direction', () => {
    const q = (db: DatabaseManager) => Entry.query(db);
    expectTypeOf(q).returns.toHaveProperty('orderBy').toBeCallableWith('-score', { nulls: 'last' });
    expectTypeOf(q).returns.toHaveProperty('orderBy').toBeCallableWith('score', 'desc', { nulls: 'first' });
    // @ts-expect-error: nulls is 'first' or 'last'
    void ((db: DatabaseManager) => Entry.query(db).orderBy('score', { nulls: 'middle' }));
  });
});

for (const target of targets) {
  describe(`ORM portability on ${target.name}`, { skip: target.skip }, () => {
    async function withEntries(fn: (db: DatabaseManager) => Promise<void>): Promise<void> {
      await using db = target.open();
      await db.createAll([Entry]);
      try {
        await fn(db);
      } finally {
        await db.dropAll([Entry]);
      }
    }

    it('counts the rows of a page, as Django counts qs[a:b]: count() and exists() honour limit and offset', () =>
      withEntries(async (db) => {
        for (const name of ['a', 'b', 'c', 'd', 'e']) await Entry.create(db, { name, score: name === 'e' ? null : 1 });
        const all = () => Entry.query(db).orderBy('name');
        assert.equal(await all().count(), 5);
        assert.equal(await all().limit(2).count(), 2);
        assert.equal(await all().limit(10).count(), 5);
        assert.equal(await all().offset(3).count(), 2);
        assert.equal(await all().limit(2).offset(4).count(), 1);
        assert.equal(await all().offset(5).count(), 0);
        assert.equal(await all().limit(0).count(), 0);
        assert.equal(await all().where({ score: 1 }).limit(3).offset(2).count(), 2);
        // count() is always how many rows all() gives.
        for (const [limit, offset] of [[2, 0], [3, 3], [1, 9]] as const) {
          const q = all().limit(limit).offset(offset);
          assert.equal(await q.count(), (await q.all()).length);
        }
        assert.equal(await all().offset(4).exists(), true);
        assert.equal(await all().offset(5).exists(), false);
        assert.equal(await all().limit(0).exists(), false);
        assert.equal(await all().limit(1).exists(), true);
        // The page is counted on the server over at most offset + limit rows.
        const seen = recordStatements(db);
        await all().limit(2).offset(1).count();
        await all().count();
        const q = db.dialect.quote;
        assert.equal(
          seen[0],
          `SELECT COUNT(*) AS count FROM (SELECT 1 AS one FROM ${q('entries')} ORDER BY ${q('name')} ASC${db.dialect.limitOffset(2, 1)}) AS covet_count`,
        );
        assert.equal(seen[1], `SELECT COUNT(*) AS count FROM ${q('entries')}`);
        // The query builder's count() stays the total behind a page; { paged: true } counts the page.
        const qb = new QueryBuilder(db);
        assert.equal(await qb.select('entries').limit(2).offset(1).count(), 5);
        assert.equal(await qb.select('entries').limit(2).offset(1).count({ paged: true }), 2);
        assert.equal(await qb.select('entries').offset(4).count({ paged: true }), 1);
        assert.equal(await qb.select('entries').limit(0).exists(), false);
      }));

    it('stores texts larger than 64 KB in a Text column (LONGTEXT on MySQL)', () =>
      withEntries(async (db) => {
        const body = `${'é'.repeat(100_000)}${'x'.repeat(100_000)}`; // 300,000 bytes of UTF-8
        const entry = await Entry.create(db, { name: 'big', body });
        assert.equal((await Entry.get(db, entry.id))?.body, body);
        const type = (await db.dialect.columnsOf(db, 'entries'))?.find((c) => c.name === 'body')?.type;
        assert.equal(type, target.name === 'mysql' ? 'longtext' : 'text');
        // The tables createAll() makes are what the models say: no migration to make.
        assert.deepEqual(await diffSchema({ db, models: [Entry] }), { up: [], down: [], notes: [], issues: [], rebuilt: [] });
      }));

    it('makes no migration for a TEXT column on SQLite and PostgreSQL; MODIFY … LONGTEXT on MySQL', async () => {
      await using db = target.open();
      const q = db.dialect.quote;
      // A table from before: Text was TEXT on every database.
      await db.execute(`CREATE TABLE ${q('notes')} (${q('id')} INTEGER PRIMARY KEY, ${q('body')} TEXT)`);
      class Note extends Model {
        static override tableName = 'notes';
        static override columns = { id: Column(Integer, { primaryKey: true, autoIncrement: false }), body: Column(Text) };
      }
      try {
        const diff = await diffSchema({ db, models: [Note] });
        if (target.name !== 'mysql') {
          assert.deepEqual(diff, { up: [], down: [], notes: [], issues: [], rebuilt: [] });
          return;
        }
        assert.deepEqual(diff.up, [`ALTER TABLE ${q('notes')} MODIFY COLUMN ${q('body')} LONGTEXT NULL`]);
        assert.deepEqual(diff.down, [`ALTER TABLE ${q('notes')} MODIFY COLUMN ${q('body')} text NULL DEFAULT NULL`]);
        assert.deepEqual(
          diff.issues.map((i) => i.rule),
          ['alter-type'],
        );
        await db.execute('INSERT INTO notes (id, body) VALUES (1, %s)', 'kept');
        for (const statement of diff.up) await db.execute(statement);
        assert.deepEqual((await diffSchema({ db, models: [Note] })).up, []);
        const body = 'y'.repeat(70_000);
        await Note.create(db, { id: 2, body });
        assert.deepEqual(
          (await Note.query(db).orderBy('id').all()).map((n) => n.body),
          ['kept', body],
        );
      } finally {
        await db.execute(`DROP TABLE ${q('notes')}`);
      }
    });

    it('gives Text, Json and Binary columns database defaults (MySQL 8 takes them only as expressions)', async () => {
      class Defaults extends Model {
        static override tableName = 'with_defaults';
        static override columns = {
          id: Column(Integer, { primaryKey: true }),
          note: Column(Text, { nullable: false, default: "it's" }),
          meta: Column(Json, { default: { tags: ['a'] } }),
          raw: Column(Binary, { default: 'ab' }),
          label: Column(String(10), { default: 'x' }),
        };
      }
      await using db = target.open();
      const seen = recordStatements(db);
      await db.createAll([Defaults]);
      try {
        const q = db.dialect.quote;
        const ddl = seen.join(';');
        if (target.name === 'mysql') {
          // The parenthesized form MySQL 8.0.13+ requires on TEXT, JSON and BLOB; VARCHAR keeps the literal.
          assert.match(ddl, new RegExp(`${q('note')} LONGTEXT NOT NULL DEFAULT \\('it''s'\\)`));
          assert.match(ddl, new RegExp(`${q('raw')} LONGBLOB DEFAULT \\('ab'\\)|${q('raw')} BLOB DEFAULT \\('ab'\\)`));
          assert.match(ddl, new RegExp(`${q('label')} VARCHAR\\(10\\) DEFAULT 'x'`));
        } else assert.doesNotMatch(ddl, /DEFAULT \(/);
        // Rows inserted by raw SQL, not the ORM, get the database's defaults.
        await db.execute(`INSERT INTO ${q('with_defaults')} (${q('id')}) VALUES (1)`);
        const row = await Defaults.get(db, 1);
        assert.equal(row?.note, "it's");
        assert.deepEqual(row?.meta, { tags: ['a'] });
        assert.deepEqual(Buffer.from(row?.raw ?? []).toString(), 'ab');
        assert.equal(row?.label, 'x');
        assert.deepEqual((await diffSchema({ db, models: [Defaults] })).up, []);
      } finally {
        await db.dropAll([Defaults]);
      }
    });

    it('refuses integers out of the column type range before they reach the database', () =>
      withEntries(async (db) => {
        const max = await Entry.create(db, { name: 'max', score: 2147483647, views: Number.MAX_SAFE_INTEGER });
        const min = await Entry.create(db, { name: 'min', score: -2147483648, views: -Number.MAX_SAFE_INTEGER });
        assert.equal((await Entry.get(db, max.id))?.score, 2147483647);
        assert.equal((await Entry.get(db, min.id))?.score, -2147483648);
        assert.equal((await Entry.get(db, max.id))?.views, Number.MAX_SAFE_INTEGER);
        const tooBig = {
          name: 'TypeError',
          message: 'Expected an integer from -2147483648 to 2147483647 for this integer column, got 2147483648 (use BigInteger for larger values)',
        };
        await assert.rejects(Entry.create(db, { name: 'x', score: 2147483648 }), tooBig);
        await assert.rejects(Entry.create(db, { name: 'x', score: -2147483649 }), {
          name: 'TypeError',
          message: 'Expected an integer from -2147483648 to 2147483647 for this integer column, got -2147483649 (use BigInteger for larger values)',
        });
        await assert.rejects(Entry.create(db, { name: 'x', score: '2147483648' as unknown as number }), {
          name: 'TypeError',
          message: 'Expected an integer from -2147483648 to 2147483647 for this integer column, got "2147483648" (use BigInteger for larger values)',
        });
        await assert.rejects(Entry.create(db, { name: 'x', views: 2 ** 63 }), {
          name: 'TypeError',
          message: 'Expected an integer from -9223372036854775808 to 9223372036854775807 for this bigint column, got 9223372036854776000',
        });
        await assert.rejects(Entry.create(db, { name: 'x', views: 2n ** 63n as unknown as number }), {
          name: 'TypeError',
          message: 'Expected an integer from -9223372036854775808 to 9223372036854775807 for this bigint column, got 9223372036854775808n',
        });
        await assert.rejects(Entry.create(db, { name: 'x', score: 2n ** 31n as unknown as number }), {
          name: 'TypeError',
          message: 'Expected an integer from -2147483648 to 2147483647 for this integer column, got 2147483648n (use BigInteger for larger values)',
        });
        // Every write path: save() of a loaded row, update by id, a query's update.
        const loaded = (await Entry.get(db, max.id)) as Model & { score: number | null };
        loaded.score = 2 ** 31;
        await assert.rejects(loaded.save(db), tooBig);
        await assert.rejects(Entry.update(db, max.id, { score: 2 ** 31 }), tooBig);
        await assert.rejects(Entry.query(db).where({ name: 'max' }).update({ score: 2 ** 31 }), tooBig);
        const session = db.session();
        session.add(new Entry({ name: 'x', score: 2 ** 31 }));
        await assert.rejects(session.commit(), tooBig);
        // Nothing reached the database.
        assert.deepEqual(
          (await Entry.query(db).orderBy('id').all()).map((e) => [e.name, e.score]),
          [
            ['max', 2147483647],
            ['min', -2147483648],
          ],
        );
        // A key or a filter value that no row can hold matches no row, as in Django (a client's
        // /entries/3000000000 is a 404, not a 500); a fraction is still refused.
        assert.equal(await Entry.get(db, 2 ** 31), null);
        assert.equal(await Entry.update(db, 2 ** 31, { name: 'y' }), null);
        assert.equal(await Entry.delete(db, 2 ** 31), false);
        assert.deepEqual(await Entry.query(db).where({ score: 2 ** 31 }).all(), []);
        assert.equal(await Entry.query(db).where({ score: -(2 ** 31) - 1 }).count(), 0);
        assert.equal(await Entry.query(db).where({ id: 2n ** 64n as unknown as number }).first(), null);
        assert.deepEqual((await Entry.query(db).where({ score: [2 ** 31, 2147483647] }).all()).map((e) => e.name), ['max']);
        assert.deepEqual((await Entry.query(db).where({ name: 'min' }).orWhere({ score: 2 ** 40 }).all()).map((e) => e.name), ['min']);
        assert.equal(await Entry.query(db).where({ score: 2 ** 31 }).update({ name: 'z' }), 0);
        assert.equal(await Entry.query(db).where({ score: [2 ** 31] }).delete(), 0);
        assert.throws(() => Entry.query(db).where({ score: 1.5 }), { name: 'TypeError', message: /an integer for this integer column, got 1\.5/ });
        assert.equal(await Entry.query(db).count(), 2);
      }));

    it('puts NULLs first or last on request, the same on every database', () =>
      withEntries(async (db) => {
        for (const [name, score] of [
          ['two', 2],
          ['none', null],
          ['one', 1],
        ] as const)
          await Entry.create(db, { name, score });
        const names = async (q: PromiseLike<{ name: string }[]>) => (await q).map((e) => e.name);
        // Without { nulls }, where the database puts them: PostgreSQL sorts NULL as the largest value.
        assert.deepEqual(
          await names(Entry.query(db).orderBy('score')),
          target.name === 'postgresql' ? ['one', 'two', 'none'] : ['none', 'one', 'two'],
        );
        assert.deepEqual(await names(Entry.query(db).orderBy('score', { nulls: 'last' })), ['one', 'two', 'none']);
        assert.deepEqual(await names(Entry.query(db).orderBy('score', { nulls: 'first' })), ['none', 'one', 'two']);
        assert.deepEqual(await names(Entry.query(db).orderBy('-score', { nulls: 'last' })), ['two', 'one', 'none']);
        assert.deepEqual(await names(Entry.query(db).orderBy('-score', { nulls: 'first' })), ['none', 'two', 'one']);
        assert.deepEqual(await names(Entry.query(db).orderBy('score', 'desc', { nulls: 'last' })), ['two', 'one', 'none']);
        assert.deepEqual(await names(Entry.query(db).orderBy('score', { nulls: 'last' }).orderBy('name').limit(2)), ['one', 'two']);
        const q = db.dialect.quote;
        assert.equal(
          Entry.query(db).orderBy('-score', { nulls: 'last' }).toSQL().sql.split(' ORDER BY ')[1],
          target.name === 'mysql' ? `${q('score')} IS NULL ASC, ${q('score')} DESC` : `${q('score')} DESC NULLS LAST`,
        );
        // The query builder takes the same option.
        const qb = new QueryBuilder(db);
        assert.deepEqual(
          (await qb.select<{ name: string }>('entries', 'name').orderBy('-score', { nulls: 'first' })).map((r) => r.name),
          ['none', 'two', 'one'],
        );
        assert.throws(() => Entry.query(db).orderBy('score', { nulls: 'middle' as 'first' }), {
          name: 'TypeError',
          message: 'orderBy() nulls must be "first" or "last", got "middle"',
        });
        assert.throws(() => qb.select('entries').orderBy('score', 'asc', { nulls: 'NULLS FIRST; DROP' as 'first' }), TypeError);
      }));
  });
}
