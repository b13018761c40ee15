import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectTypeOf } from 'expect-type';
import { QueryBuilder, sql, UnknownColumnError } from '../../../src/database/index.js';
import type { TestDatabase } from '../../../src/testing/index.js';
import { serialPk, targets } from './targets.js';

interface UserRow {
  id: number;
  name: string;
  email: string;
  age: number | null;
}

for (const target of targets) {
  describe(`QueryBuilder on ${target.name}`, { skip: target.skip }, () => {
    async function seeded(fn: (db: TestDatabase, qb: QueryBuilder) => Promise<void>): Promise<void> {
      await using db = target.open();
      await db.execute(`CREATE TABLE users (id ${serialPk(target.name)}, name VARCHAR(100) NOT NULL, email VARCHAR(255) UNIQUE NOT NULL, age INTEGER)`);
      await db.execute(`CREATE TABLE posts (id ${serialPk(target.name)}, user_id INTEGER NOT NULL, title VARCHAR(100) NOT NULL)`);
      const qb = new QueryBuilder(db);
      await qb
        .insert('users')
        .values([
          { name: 'Ann Smith', email: 'ann@example.com', age: 31 },
          { name: 'bob jones', email: 'bob@example.com', age: 25 },
          { name: 'ANNA Lee', email: 'anna@example.com', age: null },
        ])
        .execute();
      await qb.insert('posts').values([{ user_id: 1, title: 'a' }, { user_id: 1, title: 'b' }, { user_id: 2, title: 'c' }]).execute();
      await fn(db, qb);
    }

    it('selects with ILIKE (case-insensitive everywhere), order, limit and offset; typed rows', () =>
      seeded(async (_db, qb) => {
        const q = 'ann';
        const users = await qb.select<UserRow>('users').where('name ILIKE %s', `%${q}%`).orderBy('name').limit(100).fetchAll();
        expectTypeOf(users).toEqualTypeOf<UserRow[]>();
        // Sorted here: collations order 'ANNA' and 'Ann' differently.
        assert.deepEqual(users.map((u) => u.name).sort(), ['ANNA Lee', 'Ann Smith']);
        const page = await qb.select<UserRow>('users', 'id', 'name').orderBy('id', 'desc').limit(1).offset(1);
        assert.deepEqual(page, [{ id: 2, name: 'bob jones' }]);
        assert.equal(await qb.select('users').where({ age: null }).count(), 1);
        assert.equal(await qb.select('users').where({ id: [1, 2] }).orderBy('id').fetchVal(), 1);
        assert.equal(await qb.select('users').where({ id: [] }).exists(), false);
        assert.deepEqual(await qb.select('users', 'email').where({ email: 'nobody' }).fetchOne(), null);
      }));

    it('joins, groups and filters groups', () =>
      seeded(async (_db, qb) => {
        const rows = await qb
          .select('users', 'users.name', sql`COUNT(posts.id) AS posts`)
          .join('posts', 'posts.user_id = users.id')
          .groupBy('users.id', 'users.name')
          .having('COUNT(posts.id) > %s', 1)
          .fetchAll();
        assert.deepEqual(
          rows.map((r) => [r.name, Number(r.posts)]),
          [['Ann Smith', 2]],
        );
        const left = await qb.select('users', 'users.name').leftJoin('posts', 'posts.user_id = users.id').where('posts.id IS NULL').fetchAll();
        assert.deepEqual(left, [{ name: 'ANNA Lee' }]);
        assert.equal(await qb.select('users', 'users.id').join('posts', 'posts.user_id = users.id').groupBy('users.id').count(), 2);
      }));

    it('updates and deletes, with RETURNING where the dialect has it', () =>
      seeded(async (db, qb) => {
        const upd = await qb.update('users').set({ age: sql`age + ${1}` }).where({ name: 'Ann Smith' }).execute();
        assert.equal(upd.rowCount, 1);
        assert.equal(await db.fetchVal('SELECT age FROM users WHERE id = 1'), 32);
        if (db.dialect.supportsReturning) {
          const { rows } = await qb.insert('users').values({ name: 'Cy', email: 'cy@example.com' }).returning('id', 'name').execute();
          assert.deepEqual(rows, [{ id: 4, name: 'Cy' }]);
          const deleted = await qb.delete('users').where({ id: 4 }).returning('email').execute();
          assert.deepEqual(deleted.rows, [{ email: 'cy@example.com' }]);
        } else {
          const res = await qb.insert('users').values({ name: 'Cy', email: 'cy@example.com' }).execute();
          assert.equal(res.lastInsertId, 4);
          assert.equal((await qb.delete('users').where({ id: 4 }).execute()).rowCount, 1);
        }
        assert.equal((await qb.delete('posts').allRows().execute()).rowCount, 3);
      }));

    it('reports an unknown column in object form with the table and its columns', () =>
      seeded(async (_db, qb) => {
        await assert.rejects(qb.select('users').where({ nmae: 'Ann' }).fetchAll(), (err: unknown) => {
          assert.ok(err instanceof UnknownColumnError);
          assert.equal(err.column, 'nmae');
          assert.equal(err.table, 'users');
          assert.match(err.message, /Table "users" has no column "nmae" \(columns: id, name, email, age\)/);
          return true;
        });
        await assert.rejects(qb.update('users').set({ bogus: 1 }).where({ id: 1 }).execute(), UnknownColumnError);
        await assert.rejects(qb.insert('users').values({ name: 'x', email: 'y', bogus: 1 }).execute(), UnknownColumnError);
      }));
  });
}
