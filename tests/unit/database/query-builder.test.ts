import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseManager, mysqlDialect, postgresDialect, QueryBuilder, sql, sqliteDialect } from '../../../src/database/index.js';

// Building SQL needs no connection: the managers below never connect.
const pg = new QueryBuilder(new DatabaseManager('postgresql://u@127.0.0.1:1/x'));
const lite = new QueryBuilder(new DatabaseManager('sqlite:///:memory:'));
const my = new QueryBuilder(new DatabaseManager('mysql://u@127.0.0.1:1/x'));

describe('QueryBuilder (SQL it builds)', () => {
  it('builds the seed\'s search with ILIKE in every dialect', () => {
    const q = (qb: QueryBuilder) => qb.select('users').where('name ILIKE %s', '%ann%').orderBy('name').limit(100).toSQL();
    assert.deepEqual(q(pg), { sql: 'SELECT * FROM "users" WHERE (name ILIKE $1) ORDER BY "name" ASC LIMIT 100', params: ['%ann%'] });
    assert.deepEqual(q(lite), { sql: 'SELECT * FROM "users" WHERE (name LIKE ?) ORDER BY "name" ASC LIMIT 100', params: ['%ann%'] });
    assert.deepEqual(q(my), { sql: 'SELECT * FROM `users` WHERE (name LIKE ?) ORDER BY `name` ASC LIMIT 100', params: ['%ann%'] });
  });

  it('numbers placeholders across raw fragments, objects, joins and having', () => {
    const { sql: text, params } = pg
      .select('users', 'users.id', 'users.name AS author', sql`COUNT(posts.id) AS n`)
      .join('posts', 'posts.user_id = users.id AND posts.published = $1', true)
      .where({ 'users.active': true, 'users.role': ['admin', 'staff'], 'users.deleted_at': null })
      .where('users.age > ? AND users.age < ?', 18, 65)
      .orWhere(sql`users.vip = ${true}`)
      .groupBy('users.id', 'users.name')
      .having('COUNT(posts.id) >= %s', 2)
      .orderBy('-n')
      .limit(10)
      .offset(20)
      .toSQL();
    assert.equal(
      text,
      'SELECT "users"."id", "users"."name" AS "author", COUNT(posts.id) AS n FROM "users" JOIN "posts" ON posts.user_id = users.id AND posts.published = $1' +
        ' WHERE (("users"."active" = $2 AND "users"."role" IN ($3, $4) AND "users"."deleted_at" IS NULL) AND (users.age > $5 AND users.age < $6)) OR (users.vip = $7)' +
        ' GROUP BY "users"."id", "users"."name" HAVING (COUNT(posts.id) >= $8) ORDER BY "n" DESC LIMIT 10 OFFSET 20',
    );
    assert.deepEqual(params, [true, true, 'admin', 'staff', 18, 65, true, 2]);
  });

  it('builds insert, update and delete with RETURNING', () => {
    assert.deepEqual(pg.insert('users').values([{ name: 'A', age: 1 }, { name: 'B', age: 2 }]).returning('id').toSQL(), {
      sql: 'INSERT INTO "users" ("name", "age") VALUES ($1, $2), ($3, $4) RETURNING "id"',
      params: ['A', 1, 'B', 2],
    });
    assert.deepEqual(lite.update('users').set({ name: 'X', visits: sql`visits + ${1}` }).where({ id: 3 }).returning().toSQL(), {
      sql: 'UPDATE "users" SET "name" = ?, "visits" = visits + ? WHERE ("id" = ?) RETURNING *',
      params: ['X', 1, 3],
    });
    assert.deepEqual(my.delete('users').where('id = $1', 9).toSQL(), { sql: 'DELETE FROM `users` WHERE (id = ?)', params: [9] });
    assert.throws(() => my.insert('users').values({ a: 1 }).returning('id'), /MySQL has no INSERT … RETURNING/);
  });

  it('quotes identifiers and refuses expressions where a name is expected', () => {
    assert.equal(pg.select('users', 'users.*').toSQL().sql, 'SELECT "users".* FROM "users"');
    assert.equal(my.select('app.users', 'id').toSQL().sql, 'SELECT `id` FROM `app`.`users`');
    assert.throws(() => pg.select('we"ird').toSQL(), /not a column or table name/);
    assert.throws(() => pg.select('users', 'id; DROP TABLE users').toSQL(), /not a column or table name/);
    assert.throws(() => pg.select('users').orderBy('name; DROP TABLE x').toSQL(), /not a column or table name/);
    assert.throws(() => pg.select('users').orderBy('name', 'sideways' as 'asc'), /direction/);
    assert.throws(() => pg.select('users').limit(-1), /non-negative integer/);
    assert.throws(() => pg.select('users').limit(1.5), /non-negative integer/);
  });

  it('refuses updates and deletes without where() unless allRows()', () => {
    assert.throws(() => pg.update('users').set({ a: 1 }).toSQL(), /allRows/);
    assert.throws(() => pg.delete('users').toSQL(), /allRows/);
    assert.equal(pg.delete('users').allRows().toSQL().sql, 'DELETE FROM "users"');
  });

  it('makes an empty IN list match nothing and refuses undefined values', () => {
    assert.equal(pg.select('t').where({ id: [] }).toSQL().sql, 'SELECT * FROM "t" WHERE (1 = 0)');
    assert.throws(() => pg.select('t').where({ id: undefined }).toSQL(), /undefined; pass null/);
    assert.throws(() => pg.select('t').where('a = %s', 1, 2).toSQL(), /1 placeholder\(s\) but 2/);
  });

  it('writes OFFSET without LIMIT the way each dialect accepts', () => {
    assert.equal(pg.select('t').offset(5).toSQL().sql, 'SELECT * FROM "t" OFFSET 5');
    assert.equal(lite.select('t').offset(5).toSQL().sql, 'SELECT * FROM "t" LIMIT -1 OFFSET 5');
    assert.equal(my.select('t').offset(5).toSQL().sql, 'SELECT * FROM `t` LIMIT 18446744073709551615 OFFSET 5');
    void [postgresDialect, sqliteDialect, mysqlDialect];
  });
});
