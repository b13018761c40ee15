// The ORM means the same on SQLite, PostgreSQL and MySQL: count() of a page.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DatabaseManager, QueryBuilder, type Queryable } from '../../../src/database/index.js';
import { BigInteger, Column, Integer, Model, String, Text } from '../../../src/database/orm/index.js';
import { kExecute, kQueryRowSync, kQueryValuesSync, NOT_SYNC } from '../../../src/database/queryable.js';
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

/** Records every statement the ORM sends (the synchronous SQLite paths turned off, so all go through kExecute). */
function recordStatements(db: Queryable): string[] {
  const seen: string[] = [];
  const original = db[kExecute].bind(db);
  Object.defineProperty(db, kExecute, { value: (text: string, params: readonly unknown[]) => (seen.push(text), original(text, params)) });
  Object.defineProperty(db, kQueryRowSync, { value: () => NOT_SYNC });
  Object.defineProperty(db, kQueryValuesSync, { value: () => NOT_SYNC });
  return seen;
}

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

  });
}
