import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mysqlDialect, postgresDialect, sql, sqliteDialect } from '../../../src/database/index.js';
import { bindParams, compileSql, insertKind, splitStatements } from '../../../src/database/sql-tokenizer.js';

const pg = postgresDialect;
const lite = sqliteDialect;
const my = mysqlDialect;

describe('compileSql', () => {
  it('rewrites %s, ? and $1 to each dialect', () => {
    assert.equal(compileSql('SELECT * FROM t WHERE a = %s AND b = %s', pg).text, 'SELECT * FROM t WHERE a = $1 AND b = $2');
    assert.equal(compileSql('SELECT * FROM t WHERE a = %s AND b = %s', lite).text, 'SELECT * FROM t WHERE a = ? AND b = ?');
    assert.equal(compileSql('SELECT * FROM t WHERE a = ? AND b = ?', pg).text, 'SELECT * FROM t WHERE a = $1 AND b = $2');
    assert.equal(compileSql('SELECT * FROM t WHERE a = $1 AND b = $2', my).text, 'SELECT * FROM t WHERE a = ? AND b = ?');
    assert.equal(compileSql('SELECT * FROM t WHERE a = $1 AND b = $2', pg).text, 'SELECT * FROM t WHERE a = $1 AND b = $2');
  });

  it('reorders and repeats $n parameters for ? dialects', () => {
    const c = compileSql('SELECT $2, $1, $2', lite);
    assert.equal(c.text, 'SELECT ?, ?, ?');
    assert.deepEqual(bindParams(c, ['a', 'b']), ['b', 'a', 'b']);
    const p = compileSql('SELECT $2, $1, $2', pg);
    assert.equal(p.text, 'SELECT $2, $1, $2');
    assert.deepEqual(bindParams(p, ['a', 'b']), ['a', 'b']);
  });

  it('says the values are separate arguments when one array comes for several placeholders', () => {
    const c = compileSql('SELECT * FROM t WHERE a = %s AND b = %s', lite);
    assert.throws(() => bindParams(c, [[1, 2]]), {
      name: 'TypeError',
      message:
        'The statement has 2 placeholder(s) but 1 parameter(s) were given (pass the values as separate arguments, fetchAll(sql, a, b), not as one array)',
    });
    assert.throws(() => bindParams(c, [1]), { message: 'The statement has 2 placeholder(s) but 1 parameter(s) were given' });
    // One placeholder, one array: a legitimate array value (PostgreSQL's = ANY(%s)).
    assert.deepEqual(bindParams(compileSql('SELECT * FROM t WHERE a = ANY(%s)', pg), [[1, 2]]), [[1, 2]]);
  });

  it('leaves placeholders inside string literals, quoted identifiers and comments alone', () => {
    const text = `SELECT '%s ? $1', "a?b", \`c?\`, x -- is it %s?\n FROM t /* $1 ? */ WHERE y = %s`;
    const c = compileSql(text, my);
    assert.equal(c.expected, 1);
    assert.equal(c.text, `SELECT '%s ? $1', "a?b", \`c?\`, x -- is it %s?\n FROM t /* $1 ? */ WHERE y = ?`);
    assert.equal(compileSql("SELECT 'it''s %s' WHERE a = %s", pg).text, "SELECT 'it''s %s' WHERE a = $1");
    assert.equal(compileSql('SELECT [a?] FROM t WHERE b = ?', lite).text, 'SELECT [a?] FROM t WHERE b = ?');
  });

  it('knows backslash escapes (MySQL, PostgreSQL E strings) and nested comments (PostgreSQL)', () => {
    assert.equal(compileSql("SELECT 'a\\' %s' WHERE b = %s", my).expected, 1);
    assert.equal(compileSql("SELECT E'a\\' %s' WHERE b = %s", pg).expected, 1);
    // Without E, a PostgreSQL backslash is an ordinary character: the literal ends at the second quote.
    assert.equal(compileSql("SELECT 'a\\', %s", pg).expected, 1);
    assert.equal(compileSql('SELECT 1 /* a /* nested %s */ still comment %s */ WHERE c = %s', pg).expected, 1);
    assert.equal(compileSql('SELECT 1 # comment %s\n WHERE c = %s', my).expected, 1);
  });

  it('skips dollar-quoted bodies on PostgreSQL', () => {
    const body = "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1 WHERE 'x' = '%s' OR $1 IS NULL $body$ LANGUAGE sql; SELECT $$ ? $$, %s";
    const c = compileSql(body, pg);
    assert.equal(c.expected, 1);
    assert.ok(c.text.endsWith('SELECT $$ ? $$, $1'));
  });

  it('turns %% into % and keeps a lone %', () => {
    assert.equal(compileSql('SELECT 10 %% 3, %s', pg).text, 'SELECT 10 % 3, $1');
    assert.equal(compileSql('SELECT 10 %% 3', pg).text, 'SELECT 10 % 3');
    assert.equal(compileSql('SELECT 10 % 3', pg).text, 'SELECT 10 % 3');
  });

  it('turns %% inside literals into % in a statement with %s placeholders (psycopg), and only there', () => {
    assert.equal(compileSql("SELECT 'a%%' AS lit, %s AS p", pg).text, "SELECT 'a%' AS lit, $1 AS p");
    assert.equal(compileSql("SELECT * FROM t WHERE a LIKE '100%%' AND b = %s", lite).text, "SELECT * FROM t WHERE a LIKE '100%' AND b = ?");
    // A lone % in a literal stays (psycopg would refuse it; Covet keeps LIKE 'a%' working).
    assert.equal(compileSql("SELECT * FROM t WHERE a LIKE 'a%' AND b = %s", pg).text, "SELECT * FROM t WHERE a LIKE 'a%' AND b = $1");
    // '%%s' is a literal %s; a %s inside a literal is still no placeholder.
    const c = compileSql("SELECT '%%s', '%s', %s", pg);
    assert.equal(c.text, "SELECT '%s', '%s', $1");
    assert.equal(c.expected, 1);
    // Every quoted run: identifiers, E'' strings, comments and $$ bodies (psycopg does not parse SQL).
    assert.equal(
      compileSql('SELECT "pct%%", E\'x%%\', $$y%%$$ /* 5%% */ FROM t WHERE a = %s', pg).text,
      'SELECT "pct%", E\'x%\', $$y%$$ /* 5% */ FROM t WHERE a = $1',
    );
    assert.equal(compileSql("SELECT `a%%`, \"b%%\", 'c\\'%%' FROM t WHERE a = %s", my).text, "SELECT `a%`, \"b%\", 'c\\'%' FROM t WHERE a = ?");
    // Without %s placeholders nothing in a literal changes (psycopg substitutes only with parameters).
    assert.equal(compileSql("SELECT 'a%%'", pg).text, "SELECT 'a%%'");
    assert.equal(compileSql("SELECT 'a%%', ?", pg).text, "SELECT 'a%%', $1");
    assert.equal(compileSql("SELECT 'a%%', $1", lite).text, "SELECT 'a%%', ?");
    // The pieces used to renumber fragments carry the same text.
    assert.deepEqual(compileSql("SELECT 'a%%', %s, 'b%%'", pg).pieces, ["SELECT 'a%', ", ", 'b%'"]);
  });

  it('keeps ? as an operator next to %s or $1 placeholders (PostgreSQL jsonb)', () => {
    const c = compileSql("SELECT data ? 'key' FROM t WHERE id = %s", pg);
    assert.equal(c.text, "SELECT data ? 'key' FROM t WHERE id = $1");
    assert.equal(c.expected, 1);
  });

  it('rewrites ILIKE where LIKE is already case-insensitive, and only the keyword', () => {
    assert.equal(compileSql("SELECT * FROM t WHERE name ILIKE %s AND note NOT ilike 'ILIKE'", lite).text, "SELECT * FROM t WHERE name LIKE ? AND note NOT LIKE 'ILIKE'");
    assert.equal(compileSql('SELECT ilike_col, "ILIKE" FROM t WHERE a ILIKE ?', my).text, 'SELECT ilike_col, "ILIKE" FROM t WHERE a LIKE ?');
    assert.equal(compileSql('SELECT * FROM t WHERE a ILIKE $1', pg).text, 'SELECT * FROM t WHERE a ILIKE $1');
  });

  it('refuses mixed %s/$1 styles, wrong parameter counts and undefined values', () => {
    assert.throws(() => compileSql('SELECT %s, $1', pg), /cannot mix/);
    assert.throws(() => bindParams(compileSql('SELECT %s, %s', pg), [1]), /2 placeholder\(s\) but 1 parameter/);
    assert.throws(() => bindParams(compileSql('SELECT 1', pg), [1]), /0 placeholder\(s\) but 1 parameter/);
    assert.throws(() => bindParams(compileSql('SELECT %s', pg), [undefined]), /undefined; pass null/);
    assert.throws(() => bindParams(compileSql('SELECT $3', pg), [1]), /up to \$3/);
  });
});

describe('insertKind', () => {
  it('finds INSERT and REPLACE statements, also after comments, a parenthesis or a WITH list', () => {
    for (const text of [
      'INSERT INTO t (a) VALUES (1)',
      '  /* note */ -- more\n insert into t values (1)',
      'REPLACE INTO t (a) VALUES (1)',
      'INSERT OR IGNORE INTO t (a) VALUES (1)',
      "INSERT INTO t (a) VALUES ('do update') ON CONFLICT DO NOTHING",
      'WITH v (a) AS (SELECT 1 UNION SELECT 2) INSERT INTO t SELECT a FROM v',
      'WITH RECURSIVE v AS NOT MATERIALIZED (UPDATE x SET a = 1 RETURNING a) INSERT INTO t SELECT a FROM v',
    ]) {
      assert.equal(insertKind(text, pg), 'insert', text);
    }
  });

  it('tells upserts, which may update instead of inserting', () => {
    assert.equal(insertKind('INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET n = n + 1', lite), 'upsert');
    assert.equal(insertKind('INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE n = n + 1', my), 'upsert');
  });

  it('returns null for statements that insert nothing', () => {
    for (const text of [
      'SELECT 1',
      '(SELECT 1)',
      "UPDATE t SET a = 'INSERT'",
      'DELETE FROM t',
      'CREATE TABLE insert_log (id INTEGER)',
      '-- INSERT\nSELECT 1',
      'WITH v AS (INSERT INTO t VALUES (1) RETURNING id) SELECT * FROM v',
      '',
    ]) {
      assert.equal(insertKind(text, pg), null, text);
    }
  });
});

describe('sql tagged template', () => {
  it('binds every value and composes fragments and identifiers', () => {
    const id = 7;
    const where = sql`id = ${id}`;
    const q = sql`SELECT ${sql.id('user name')} FROM ${sql.id('users')} WHERE ${where} AND email ILIKE ${'%a%'} AND id IN (${sql.join([1, 2])})`;
    assert.deepEqual(q.compile(pg), {
      text: 'SELECT "user name" FROM "users" WHERE id = $1 AND email ILIKE $2 AND id IN ($3, $4)',
      params: [7, '%a%', 1, 2],
    });
    assert.equal(q.compile(my).text, 'SELECT `user name` FROM `users` WHERE id = ? AND email LIKE ? AND id IN (?, ?)');
  });

  it('does not treat %s, ? or $1 in the template text as placeholders', () => {
    assert.deepEqual(sql`SELECT '%s', ${1}, 10 %% 3`.compile(pg), { text: "SELECT '%s', $1, 10 %% 3", params: [1] });
  });

  it('refuses a value inside a quoted literal (it would not be bound)', () => {
    const q = 'x';
    assert.throws(() => sql`SELECT * FROM t WHERE a LIKE '%${q}%'`.compile(pg), /inside a quoted string/);
  });

  it('rejects when an unbound query is awaited', async () => {
    await assert.rejects(Promise.resolve(sql`SELECT 1`), /not bound to a database/);
  });
});

describe('splitStatements', () => {
  it('splits at semicolons outside literals, comments and dollar quotes', () => {
    const script = "CREATE TABLE a (x TEXT DEFAULT ';'); -- done; really\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n/* ; */ DROP TABLE b;;";
    assert.deepEqual(splitStatements(script, pg), [
      "CREATE TABLE a (x TEXT DEFAULT ';')",
      '-- done; really\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
      '/* ; */ DROP TABLE b',
    ]);
    assert.deepEqual(splitStatements('-- only a comment\n', pg), []);
  });
});
