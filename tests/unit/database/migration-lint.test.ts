import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintSql, mysqlDialect, postgresDialect, sqliteDialect } from '../../../src/database/index.js';

const rules = (sql: string | string[], dialect = postgresDialect, transaction = true) => lintSql(sql, dialect, { transaction }).map((i) => i.rule);

describe('lintSql', () => {
  it('flags destructive changes with the expand/contract alternative', () => {
    const [issue] = lintSql('ALTER TABLE users DROP COLUMN age', postgresDialect);
    assert.equal(issue?.rule, 'drop-column');
    assert.match(issue?.suggestion ?? '', /Expand\/contract/);
    assert.deepEqual(rules('DROP TABLE users;'), ['drop-table']);
    assert.deepEqual(rules('ALTER TABLE users RENAME COLUMN name TO full_name'), ['rename']);
    assert.deepEqual(rules('ALTER TABLE `users` DROP `age`', mysqlDialect), ['drop-column']);
    assert.deepEqual(rules('ALTER TABLE users DROP CONSTRAINT users_email_key'), []);
  });

  it('flags NOT NULL columns without a default and SET NOT NULL', () => {
    assert.deepEqual(rules('ALTER TABLE users ADD COLUMN age INTEGER NOT NULL'), ['add-not-null-column']);
    assert.deepEqual(rules('ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0'), []);
    assert.deepEqual(rules('ALTER TABLE users ADD COLUMN age INTEGER'), []);
    assert.deepEqual(rules('ALTER TABLE users ALTER COLUMN email SET NOT NULL'), ['set-not-null']);
  });

  it('flags table-locking DDL on PostgreSQL', () => {
    assert.deepEqual(rules('CREATE INDEX ix_users_email ON users (email)'), ['index-not-concurrent']);
    assert.deepEqual(rules('CREATE INDEX CONCURRENTLY ix_users_email ON users (email)', postgresDialect, false), []);
    assert.deepEqual(rules('CREATE INDEX CONCURRENTLY ix ON users (email)'), ['concurrently-in-transaction']);
    assert.equal(lintSql('CREATE INDEX CONCURRENTLY ix ON users (email)', postgresDialect)[0]?.severity, 'error');
    assert.deepEqual(rules('ALTER TABLE users ALTER COLUMN age TYPE BIGINT'), ['alter-type']);
    assert.deepEqual(rules('ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)'), ['foreign-key-not-valid']);
    assert.deepEqual(rules('ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID'), []);
    // SQLite and MySQL build indexes without blocking this way: not flagged there.
    assert.deepEqual(rules('CREATE INDEX ix ON users (email)', sqliteDialect), []);
  });

  it('exempts tables created by the same migration and ignores literals and comments', () => {
    assert.deepEqual(rules(['CREATE TABLE t (a INT)', 'CREATE INDEX ix ON t (a)', 'ALTER TABLE t ADD COLUMN b INT NOT NULL']), []);
    assert.deepEqual(rules("INSERT INTO notes (body) VALUES ('DROP TABLE users; ALTER TABLE x DROP COLUMN y') -- DROP TABLE z"), []);
  });
});
