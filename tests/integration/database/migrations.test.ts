import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  DatabaseManager,
  diffSchema,
  makeMigration,
  Migration,
  type MigrationContext,
  MigrationError,
  migrate,
  migrationStatus,
  SchemaBuilder,
} from '../../../src/database/index.js';
import { BigInteger, Column, DateTime, ForeignKey, func, Integer, Model, String, Text } from '../../../src/database/orm/index.js';
import { type DbTarget, targets } from './targets.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SRC_DATABASE = new URL('../../../src/database/index.ts', import.meta.url).href;
const SRC_ORM = new URL('../../../src/database/orm/index.ts', import.meta.url).href;

class CreateUsers extends Migration {
  up({ schema }: MigrationContext) {
    return schema.createTable('users', {
      id: Column(Integer, { primaryKey: true }),
      name: Column(String(100), { nullable: false }),
    });
  }
  down({ schema }: MigrationContext) {
    return schema.dropTable('users');
  }
}

class AddEmail extends Migration {
  up() {
    return 'ALTER TABLE users ADD COLUMN email VARCHAR(255)';
  }
  down() {
    return 'ALTER TABLE users DROP COLUMN email';
  }
}

class SeedUsers extends Migration {
  async up({ db }: MigrationContext) {
    await db.execute('INSERT INTO users (name, email) VALUES (%s, %s)', 'admin', 'admin@example.com');
  }
  async down({ db }: MigrationContext) {
    await db.execute('DELETE FROM users WHERE name = %s', 'admin');
  }
}

const list = [
  { name: '0001_create_users', migration: new CreateUsers() },
  { name: '0002_add_email', migration: new AddEmail() },
  { name: '0003_seed_users', migration: new SeedUsers() },
];

/** The URL of a target's throwaway database (created on first use). */
async function urlOf(target: DbTarget, db: DatabaseManager): Promise<string> {
  await db.ping();
  if (target.name === 'sqlite') throw new Error('use a file');
  const url = new URL(target.url as string);
  url.pathname = `/${db.config.database}`;
  return url.href;
}

function runNode(args: string[], cwd = ROOT): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

for (const target of targets) {
  describe(`migrations on ${target.name}`, { skip: target.skip }, () => {
    it('runs a step returned as a nested list of statements (plain JavaScript migrations)', async () => {
      await using db = target.open();
      class Nested extends Migration {
        up({ schema }: MigrationContext) {
          return [schema.createTable('nested', { id: Column(Integer, { primaryKey: true }), name: Column(String(20)) }), [schema.createIndex('nested', ['name'])]] as unknown as string[];
        }
        down({ schema }: MigrationContext) {
          return schema.dropTable('nested');
        }
      }
      const nested = [{ name: '0001_nested', migration: new Nested() }];
      assert.deepEqual((await migrate('up', { db, migrations: nested })).migrations, ['0001_nested']);
      await db.execute('INSERT INTO nested (id, name) VALUES (%s, %s)', 1, 'a');
      assert.equal(await db.fetchVal('SELECT name FROM nested WHERE id = %s', 1), 'a');
      assert.deepEqual((await migrate('down', { db, migrations: nested })).migrations, ['0001_nested']);
    });

    it('applies, reports, reverts and re-applies migrations with a checksum each', async () => {
      await using db = target.open();
      const lines: string[] = [];
      const up = await migrate('up', { db, migrations: list, log: (l) => lines.push(l) });
      assert.deepEqual(up.migrations, ['0001_create_users', '0002_add_email', '0003_seed_users']);
      assert.deepEqual(lines, ['applied 0001_create_users', 'applied 0002_add_email', 'applied 0003_seed_users']);
      assert.equal(await db.fetchVal('SELECT email FROM users WHERE name = %s', 'admin'), 'admin@example.com');
      const rows = await db.fetchAll<{ name: string; checksum: string; batch: number }>('SELECT name, checksum, batch FROM covet_migrations ORDER BY name');
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && Number(r.batch) === 1));
      assert.deepEqual((await migrate('up', { db, migrations: list })).migrations, []);

      assert.deepEqual((await migrate('down', { db, migrations: list })).migrations, ['0003_seed_users']);
      assert.equal(await db.fetchVal('SELECT COUNT(*) FROM users'), 0);
      assert.deepEqual((await migrate('down', { db, migrations: list, steps: 2 })).migrations, ['0002_add_email', '0001_create_users']);
      assert.deepEqual(
        (await migrationStatus({ db, migrations: list })).map((s) => [s.name, s.applied]),
        [
          ['0001_create_users', false],
          ['0002_add_email', false],
          ['0003_seed_users', false],
        ],
      );
      assert.deepEqual((await migrate('up', { db, migrations: list, steps: 2 })).migrations, ['0001_create_users', '0002_add_email']);
      const status = await migrationStatus({ db, migrations: list });
      assert.deepEqual(
        status.map((s) => [s.name, s.applied, s.batch]),
        [
          ['0001_create_users', true, 1],
          ['0002_add_email', true, 1],
          ['0003_seed_users', false, null],
        ],
      );
    });

    it('reverts numbered migrations in the reverse of the numeric order up applied them (10 before 2)', async () => {
      await using db = target.open();
      await db.execute('CREATE TABLE covet_mig_log (event VARCHAR(50))');
      const step = (name: string) =>
        new (class extends Migration {
          up() {
            return `INSERT INTO covet_mig_log (event) VALUES ('up ${name}')`;
          }
          down() {
            return `INSERT INTO covet_mig_log (event) VALUES ('down ${name}')`;
          }
        })();
      const numbered = ['10_tenth', '1_first', '2_second'].map((name) => ({ name, migration: step(name) }));
      assert.deepEqual((await migrate('up', { db, migrations: numbered })).migrations, ['1_first', '2_second', '10_tenth']);
      assert.deepEqual((await migrate('down', { db, migrations: numbered })).migrations, ['10_tenth']);
      assert.deepEqual((await migrate('down', { db, migrations: numbered, steps: 2 })).migrations, ['2_second', '1_first']);
      assert.deepEqual((await migrate('up', { db, migrations: numbered })).migrations, ['1_first', '2_second', '10_tenth']);
      assert.deepEqual((await migrate('down', { db, migrations: numbered, steps: 3 })).migrations, ['10_tenth', '2_second', '1_first']);
      assert.deepEqual(
        (await db.fetchAll<{ event: string }>('SELECT event FROM covet_mig_log')).map((r) => r.event),
        [
          ...['up 1_first', 'up 2_second', 'up 10_tenth', 'down 10_tenth', 'down 2_second', 'down 1_first'],
          ...['up 1_first', 'up 2_second', 'up 10_tenth', 'down 10_tenth', 'down 2_second', 'down 1_first'],
        ],
      );
      await db.execute('DROP TABLE covet_mig_log');
    });

    it('refuses to go on when an applied migration changed, and reports it in status', async () => {
      await using db = target.open();
      await migrate('up', { db, migrations: list.slice(0, 1) });
      class Changed extends Migration {
        up() {
          return 'CREATE TABLE users (id INTEGER PRIMARY KEY, other TEXT)';
        }
        down() {
          return 'DROP TABLE users';
        }
      }
      const changed = [{ name: '0001_create_users', migration: new Changed() }, list[1] as (typeof list)[number]];
      await assert.rejects(migrate('up', { db, migrations: changed }), (err: unknown) => err instanceof MigrationError && /checksum mismatch/.test(err.message));
      assert.equal((await migrationStatus({ db, migrations: changed }))[0]?.changed, true);
      assert.deepEqual((await migrate('up', { db, migrations: changed, allowChanged: true })).migrations, ['0002_add_email']);
    });

    it('rolls a failing migration back where DDL is transactional', async () => {
      await using db = target.open();
      class Broken extends Migration {
        up() {
          return ['CREATE TABLE half (id INTEGER)', 'INSERT INTO no_such_table VALUES (1)'];
        }
        down() {
          return 'DROP TABLE half';
        }
      }
      await assert.rejects(migrate('up', { db, migrations: [{ name: '0001_broken', migration: new Broken() }] }), (err: unknown) => {
        assert.ok(err instanceof MigrationError);
        assert.match(err.message, /Migration 0001_broken up failed/);
        return true;
      });
      const tables = (await db.dialect.introspect(db)).map((t) => t.name);
      assert.equal(tables.includes('half'), !db.dialect.transactionalDDL, `tables: ${tables.join(', ')}`);
      assert.equal(await db.fetchVal('SELECT COUNT(*) FROM covet_migrations'), 0);
    });

    it('lets only one of two processes apply a migration (lock)', async () => {
      let dir = '';
      await using db = target.open();
      let url: string;
      if (target.name === 'sqlite') {
        dir = mkdtempSync(join(tmpdir(), 'covet-mig-'));
        url = `sqlite:///${join(dir, 'app.db')}`;
      } else url = await urlOf(target, db);
      try {
        const script = `
          const { DatabaseManager, Migration, migrate } = await import(${JSON.stringify(SRC_DATABASE)});
          class Slow extends Migration {
            async up({ db }) {
              await db.execute('CREATE TABLE runs (pid INTEGER)');
              await db.execute('INSERT INTO runs (pid) VALUES (%s)', process.pid);
              await new Promise((r) => setTimeout(r, 400));
            }
            down() {}
          }
          const db = new DatabaseManager(${JSON.stringify(url)});
          const res = await migrate('up', { db, migrations: [{ name: '0001_slow', migration: new Slow() }] });
          console.log(JSON.stringify(res.migrations));
          await db.close();
        `;
        const results = await Promise.all([runNode(['--input-type=module', '-e', script]), runNode(['--input-type=module', '-e', script])]);
        for (const r of results) assert.equal(r.code, 0, r.out);
        const applied = results.map((r) => JSON.parse(r.out.trim().split('\n').pop() as string) as string[]);
        assert.deepEqual(applied.flat(), ['0001_slow'], JSON.stringify(applied));
        const check = new DatabaseManager(url);
        assert.equal(await check.fetchVal('SELECT COUNT(*) FROM runs'), 1);
        await check.close();
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lets a second migrator wait while the first runs CREATE INDEX CONCURRENTLY (no deadlock)', { skip: target.name !== 'postgresql' && 'PostgreSQL only' }, async () => {
      await using db = target.open();
      const url = await urlOf(target, db);
      class Items extends Migration {
        up() {
          return 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)';
        }
        down() {
          return 'DROP TABLE items';
        }
      }
      class IndexItems extends Migration {
        override transaction = false;
        up({ schema }: MigrationContext) {
          return schema.createIndex('items', ['name'], { concurrently: true });
        }
        down() {
          return 'DROP INDEX IF EXISTS ix_items_name';
        }
      }
      const migrations = [
        { name: '0001_items', migration: new Items() },
        { name: '0002_index_items', migration: new IndexItems() },
      ];
      const first = new DatabaseManager(url);
      const second = new DatabaseManager(url);
      try {
        // Before the fix the waiting session sat in pg_advisory_lock, which the index build waited for: 40P01.
        const results = await Promise.all([migrate('up', { db: first, migrations }), migrate('up', { db: second, migrations })]);
        assert.deepEqual(results.flatMap((r) => r.migrations).sort(), ['0001_items', '0002_index_items']);
        assert.equal(await first.fetchVal('SELECT COUNT(*) FROM covet_migrations'), 2);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('makes a migration from the difference between models and the live schema', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-'));
      try {
        class UserV1 extends Model {
          static override tableName = 'people';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            name: Column(String(100), { nullable: false }),
            nickname: Column(String(50)),
          };
        }
        await db.createAll([UserV1]);
        class UserV2 extends Model {
          static override tableName = 'people';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            name: Column(String(100), { nullable: false }),
            age: Column(Integer),
          };
        }
        class Pet extends Model {
          static override tableName = 'pets';
          static override columns = { id: Column(Integer, { primaryKey: true }), name: Column(String(50), { nullable: false }) };
        }
        const diff = await diffSchema({ db, models: [UserV2, Pet] });
        const q = db.dialect.quote;
        assert.deepEqual(
          diff.up.map((s) => s.split('\n')[0]),
          [`ALTER TABLE ${q('people')} ADD COLUMN ${q('age')} ${db.dialect.columnType('integer')}`, `ALTER TABLE ${q('people')} DROP COLUMN ${q('nickname')}`, `CREATE TABLE ${q('pets')} (`],
        );
        assert.deepEqual(
          diff.issues.map((i) => i.rule),
          ['drop-column'],
        );
        const made = await makeMigration({ db, models: [UserV2, Pet], name: 'people age and pets', directory: dir, importFrom: SRC_DATABASE });
        assert.ok(made?.file.endsWith('0001_people_age_and_pets.ts'));
        const source = readFileSync(made?.file as string, 'utf8');
        assert.match(source, /WARNING \[drop-column\]/);
        assert.match(source, /export default class PeopleAgeAndPets extends Migration/);
        assert.deepEqual((await migrate('up', { db, directory: dir })).migrations, ['0001_people_age_and_pets']);
        assert.deepEqual((await diffSchema({ db, models: [UserV2, Pet] })).up, []);
        assert.equal(await makeMigration({ db, models: [UserV2, Pet], name: 'again', directory: dir }), null);
        await migrate('down', { db, directory: dir });
        assert.deepEqual(
          (await db.dialect.columnsOf(db, 'people'))?.map((c) => c.name),
          ['id', 'name', 'nickname'],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('makes a migration adding a unique and an indexed column, which applies and reverts (SQLite cannot ADD COLUMN … UNIQUE)', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-unique-'));
      try {
        class PostV1 extends Model {
          static override tableName = 'articles';
          static override columns = { id: Column(Integer, { primaryKey: true }), title: Column(String(100), { nullable: false }) };
        }
        await db.createAll([PostV1]);
        await db.execute('INSERT INTO articles (title) VALUES (%s)', 'old');
        class PostV2 extends Model {
          static override tableName = 'articles';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            title: Column(String(100), { nullable: false }),
            slug: Column(String(100), { unique: true }),
            rank: Column(Integer, { index: true }),
          };
        }
        const q = db.dialect.quote;
        const diff = await diffSchema({ db, models: [PostV2] });
        const unique = target.name === 'sqlite' ? [`CREATE UNIQUE INDEX ${q('ux_articles_slug')} ON ${q('articles')} (${q('slug')})`] : [];
        assert.deepEqual(diff.up.filter((s) => s.startsWith('CREATE')), [...unique, `CREATE INDEX ${q('ix_articles_rank')} ON ${q('articles')} (${q('rank')})`]);
        assert.equal(diff.up.some((s) => / UNIQUE/.test(s) && s.startsWith('ALTER')), target.name !== 'sqlite');
        await makeMigration({ db, models: [PostV2], name: 'slug and rank', directory: dir, importFrom: SRC_DATABASE });
        assert.deepEqual((await migrate('up', { db, directory: dir })).migrations, ['0001_slug_and_rank']);
        await db.execute('INSERT INTO articles (title, slug, rank) VALUES (%s, %s, %s)', 'a', 'same', 1);
        await assert.rejects(db.execute('INSERT INTO articles (title, slug, rank) VALUES (%s, %s, %s)', 'b', 'same', 2), { name: 'IntegrityError' });
        assert.deepEqual((await diffSchema({ db, models: [PostV2] })).up, []);
        await migrate('down', { db, directory: dir });
        assert.deepEqual((await db.dialect.columnsOf(db, 'articles'))?.map((c) => c.name), ['id', 'title']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('makes index and unique changes on existing columns, with the names the ORM gives them; a column UNIQUE counts as unique', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-index-'));
      try {
        class Group extends Model {
          static override tableName = 'tag_groups';
          static override columns = { id: Column(Integer, { primaryKey: true }) };
        }
        class TagV1 extends Model {
          static override tableName = 'tags';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            a: Column(String(20)),
            b: Column(String(20), { unique: true }),
            c: Column(String(20), { index: true }),
            d: Column(String(20), { unique: true }),
            e: Column(String(20)),
            p: Column(ForeignKey('tag_groups.id'), { index: true }),
            g: Column(String(20), { index: true }),
          };
        }
        class TagV2 extends Model {
          static override tableName = 'tags';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            a: Column(String(20), { index: true }), // gains an index
            b: Column(String(20), { unique: true }), // unchanged: the column's UNIQUE is its unique index
            c: Column(String(20)), // loses its index
            d: Column(String(20)), // loses its UNIQUE constraint
            e: Column(String(20), { unique: true }), // becomes unique
            p: Column(ForeignKey('tag_groups.id')), // loses its index (which MySQL's foreign key needs)
            // g is dropped: its index first (SQLite refuses to drop an indexed column), back in down()
          };
        }
        await db.createAll([Group, TagV1]);
        await db.execute('INSERT INTO tags (a, b, c, d, e) VALUES (%s, %s, %s, %s, %s)', 'x', 'b1', 'c', 'd', 'e1');
        const start = async () => (await db.dialect.indexesOf(db, 'tags')).map((i) => [i.name, i.columns.join(','), i.unique, i.origin]).sort();
        const before = await start();
        assert.deepEqual(await diffSchema({ db, models: [TagV1] }), { up: [], down: [], notes: [], issues: [], rebuilt: [] });
        const q = db.dialect.quote;
        const on = target.name === 'mysql' ? ` ON ${q('tags')}` : '';
        const diff = await diffSchema({ db, models: [TagV2] });
        const dropD =
          target.name === 'postgresql'
            ? [`ALTER TABLE ${q('tags')} DROP CONSTRAINT ${q('tags_d_key')}`]
            : target.name === 'mysql'
              ? [`DROP INDEX ${q('d')} ON ${q('tags')}`]
              : []; // SQLite: a note, the constraint is part of the table
        assert.deepEqual(diff.up, [
          `CREATE INDEX ${q('ix_tags_a')} ON ${q('tags')} (${q('a')})`,
          `DROP INDEX ${q('ix_tags_c')}${on}`,
          ...dropD,
          `CREATE UNIQUE INDEX ${q('ux_tags_e')} ON ${q('tags')} (${q('e')})`,
          ...(target.name === 'mysql' ? [] : [`DROP INDEX ${q('ix_tags_p')}`]),
          `DROP INDEX ${q('ix_tags_g')}${on}`,
          `ALTER TABLE ${q('tags')} DROP COLUMN ${q('g')}`,
        ]);
        const restoreD =
          target.name === 'postgresql'
            ? [`ALTER TABLE ${q('tags')} ADD CONSTRAINT ${q('tags_d_key')} UNIQUE (${q('d')})`]
            : target.name === 'mysql'
              ? [`CREATE UNIQUE INDEX ${q('d')} ON ${q('tags')} (${q('d')})`]
              : [];
        assert.ok(diff.down[0]?.startsWith(`ALTER TABLE ${q('tags')} ADD COLUMN ${q('g')} `), diff.down[0]);
        assert.deepEqual(diff.down.slice(1), [
          `CREATE INDEX ${q('ix_tags_g')} ON ${q('tags')} (${q('g')})`,
          ...(target.name === 'mysql' ? [] : [`CREATE INDEX ${q('ix_tags_p')} ON ${q('tags')} (${q('p')})`]),
          `DROP INDEX ${q('ux_tags_e')}${on}`,
          ...restoreD,
          `CREATE INDEX ${q('ix_tags_c')} ON ${q('tags')} (${q('c')})`,
          `DROP INDEX ${q('ix_tags_a')}${on}`,
        ]);
        const note = /^tags\.d: the model no longer says unique, but the column's UNIQUE constraint is part of the table on SQLite \(sqlite_autoindex_tags_\d\); dropping it needs a table rebuild by hand\.$/;
        if (target.name === 'sqlite') assert.match(diff.notes.join('\n'), note);
        else if (target.name === 'mysql') assert.deepEqual(diff.notes, ['tags.p: index ix_tags_p kept: MySQL needs an index on a foreign key column.']);
        else assert.deepEqual(diff.notes, []);

        await makeMigration({ db, models: [TagV2], name: 'tag indexes', directory: dir, importFrom: SRC_DATABASE });
        assert.deepEqual((await migrate('up', { db, directory: dir })).migrations, ['0001_tag_indexes']);
        const after = await diffSchema({ db, models: [TagV2] });
        assert.deepEqual(after.up, []);
        assert.deepEqual(after.notes.length, target.name === 'postgresql' ? 0 : 1);
        await assert.rejects(db.execute('INSERT INTO tags (e) VALUES (%s)', 'e1'), { name: 'IntegrityError' });
        if (target.name !== 'sqlite') await db.execute('INSERT INTO tags (d) VALUES (%s)', 'd'); // d is no longer unique
        await db.execute('DELETE FROM tags WHERE e IS NULL');

        await migrate('down', { db, directory: dir });
        assert.deepEqual(await start(), before);
        assert.deepEqual(await diffSchema({ db, models: [TagV1] }), { up: [], down: [], notes: [], issues: [], rebuilt: [] });
      } finally {
        await db.execute('DROP TABLE IF EXISTS tags');
        await db.execute('DROP TABLE IF EXISTS tag_groups');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('makes a migration adding a column whose default is an expression (func.now()), which SQLite cannot ADD with its default', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-now-'));
      try {
        class EventV1 extends Model {
          static override tableName = 'events';
          static override columns = { id: Column(Integer, { primaryKey: true }), name: Column(String(20)) };
        }
        class EventV2 extends Model {
          static override tableName = 'events';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            name: Column(String(20)),
            created: Column(DateTime, { nullable: false, default: func.now() }),
          };
        }
        await db.createAll([EventV1]);
        await db.execute('INSERT INTO events (name) VALUES (%s)', 'old');
        const q = db.dialect.quote;
        const diff = await diffSchema({ db, models: [EventV2] });
        const type = db.dialect.columnType('datetime');
        if (target.name === 'sqlite') {
          // SQLite cannot ADD COLUMN with a non-constant default: the table is rebuilt with it.
          assert.deepEqual(diff.up, [
            `CREATE TABLE ${q('new_events')} (\n  ${q('id')} INTEGER PRIMARY KEY,\n  ${q('name')} VARCHAR(20) CHECK (length(${q('name')}) <= 20),\n  ${q('created')} TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))\n)`,
            `INSERT INTO ${q('new_events')} (${q('id')}, ${q('name')}) SELECT ${q('id')}, ${q('name')} FROM ${q('events')}`,
            `DROP TABLE ${q('events')}`,
            `ALTER TABLE ${q('new_events')} RENAME TO ${q('events')}`,
          ]);
          assert.deepEqual(diff.rebuilt, ['events']);
          assert.deepEqual(diff.notes, []);
        } else {
          assert.deepEqual(diff.up, [`ALTER TABLE ${q('events')} ADD COLUMN ${q('created')} ${type} NOT NULL DEFAULT ${db.dialect.now}`]);
          assert.deepEqual(diff.notes, []);
        }
        const made = await makeMigration({ db, models: [EventV2], name: 'event created', directory: dir, importFrom: SRC_DATABASE });
        assert.equal(/foreignKeys = false/.test(readFileSync(made?.file as string, 'utf8')), target.name === 'sqlite');
        assert.deepEqual((await migrate('up', { db, directory: dir })).migrations, ['0001_event_created']);
        const old = await db.fetchVal('SELECT created FROM events WHERE name = %s', 'old');
        assert.ok(old !== null && !Number.isNaN(new Date(old as string).getTime()), `the row already there got a time: ${old}`);
        await db.execute('INSERT INTO events (name) VALUES (%s)', 'new');
        const fresh = await db.fetchVal('SELECT created FROM events WHERE name = %s', 'new');
        assert.ok(fresh !== null, 'the database default fills rows inserted later');
        assert.deepEqual((await diffSchema({ db, models: [EventV2] })).up, []);
        await migrate('down', { db, directory: dir });
        assert.deepEqual((await db.dialect.columnsOf(db, 'events'))?.map((c) => c.name), ['id', 'name']);
      } finally {
        await db.execute('DROP TABLE IF EXISTS events');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('makes type changes: ALTER … TYPE / MODIFY (flagged as table-locking), a table rebuild on SQLite', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-type-'));
      try {
        class ItemV1 extends Model {
          static override tableName = 'items';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            code: Column(String(20), { nullable: false, default: 'none' }),
            score: Column(Integer),
            label: Column(String(10)),
          };
        }
        await db.createAll([ItemV1]);
        await db.execute('INSERT INTO items (code, score, label) VALUES (%s, %s, %s)', 'abc', 5, 'x');
        class ItemV2 extends Model {
          static override tableName = 'items';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            code: Column(Text, { nullable: false, default: 'none' }),
            score: Column(BigInteger),
            label: Column(String(40), { nullable: false }),
          };
        }
        const diff = await diffSchema({ db, models: [ItemV2] });
        const q = db.dialect.quote;
        if (target.name === 'sqlite') {
          // Type and nullability changes rebuild the table (once).
          assert.deepEqual(diff.rebuilt, ['items']);
          assert.deepEqual(diff.notes, []);
          assert.equal(diff.up.filter((s) => s.startsWith('CREATE TABLE')).length, 1);
          assert.equal(diff.up[1], `INSERT INTO ${q('new_items')} (${q('id')}, ${q('code')}, ${q('score')}, ${q('label')}) SELECT ${q('id')}, ${q('code')}, ${q('score')}, ${q('label')} FROM ${q('items')}`);
          assert.throws(() => new SchemaBuilder(db.dialect).alterColumnType('items', 'code', Column(Text)), /SQLite cannot change the type of items\.code/);
          await makeMigration({ db, models: [ItemV2], name: 'item types', directory: dir, importFrom: SRC_DATABASE });
          await migrate('up', { db, directory: dir });
          const after = await diffSchema({ db, models: [ItemV2] });
          assert.deepEqual([after.up, after.notes], [[], []]);
          assert.deepEqual((await db.dialect.columnsOf(db, 'items'))?.map((c) => [c.name, c.type, c.nullable]), [
            ['id', 'integer', false],
            ['code', 'text', false],
            ['score', 'integer', true], // BIGINT is INTEGER on SQLite
            ['label', 'varchar(40)', false],
          ]);
          assert.deepEqual(await db.fetchOne('SELECT code, score, label FROM items'), { code: 'abc', score: 5, label: 'x' });
          await migrate('down', { db, directory: dir });
          assert.deepEqual((await diffSchema({ db, models: [ItemV1] })).up, []);
          assert.deepEqual((await db.dialect.columnsOf(db, 'items'))?.map((c) => [c.name, c.type, c.nullable]), [
            ['id', 'integer', false],
            ['code', 'varchar(20)', false],
            ['score', 'integer', true],
            ['label', 'varchar(10)', true],
          ]);
          assert.deepEqual(await db.fetchOne('SELECT code, score, label FROM items'), { code: 'abc', score: 5, label: 'x' });
          return;
        }
        const expected =
          target.name === 'postgresql'
            ? [
                `ALTER TABLE ${q('items')} ALTER COLUMN ${q('code')} TYPE TEXT USING ${q('code')}::TEXT`,
                `ALTER TABLE ${q('items')} ALTER COLUMN ${q('score')} TYPE BIGINT USING ${q('score')}::BIGINT`,
                `ALTER TABLE ${q('items')} ALTER COLUMN ${q('label')} TYPE VARCHAR(40) USING ${q('label')}::VARCHAR(40)`,
                `ALTER TABLE ${q('items')} ALTER COLUMN ${q('label')} SET NOT NULL`,
              ]
            : [
                `ALTER TABLE ${q('items')} MODIFY COLUMN ${q('code')} LONGTEXT NOT NULL DEFAULT ('none')`,
                `ALTER TABLE ${q('items')} MODIFY COLUMN ${q('score')} BIGINT NULL`,
                `ALTER TABLE ${q('items')} MODIFY COLUMN ${q('label')} VARCHAR(40) NOT NULL`, // type and nullability in one
              ];
        assert.deepEqual(diff.up, expected);
        assert.deepEqual(diff.notes, []);
        assert.deepEqual(
          [...new Set(diff.issues.map((i) => i.rule))],
          target.name === 'postgresql' ? ['alter-type', 'set-not-null'] : ['alter-type'],
        );
        assert.match(diff.issues[0]?.message ?? '', /rewrites the table while holding a lock/);
        const made = await makeMigration({ db, models: [ItemV2], name: 'item types', directory: dir, importFrom: SRC_DATABASE });
        assert.match(readFileSync(made?.file as string, 'utf8'), /WARNING \[alter-type\]/);
        await migrate('up', { db, directory: dir });
        assert.deepEqual((await diffSchema({ db, models: [ItemV2] })).up, []);
        assert.deepEqual(await db.fetchOne('SELECT code, score, label FROM items'), { code: 'abc', score: 5, label: 'x' });
        await migrate('down', { db, directory: dir });
        assert.deepEqual((await diffSchema({ db, models: [ItemV1] })).up, []);
        assert.deepEqual(
          (await db.dialect.columnsOf(db, 'items'))?.map((c) => [c.name, c.nullable]),
          [
            ['id', false],
            ['code', false],
            ['score', true],
            ['label', true],
          ],
        );
        // MODIFY restated the default both ways.
        await db.execute('INSERT INTO items (score) VALUES (1)');
        assert.equal(await db.fetchVal('SELECT code FROM items WHERE score = 1'), 'none');
      } finally {
        await db.execute('DROP TABLE IF EXISTS items');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('rebuilds a SQLite table once for several changes, keeping rows, referencing foreign keys and indexes both ways', { skip: target.name !== 'sqlite' && 'SQLite only' }, async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-rebuild-'));
      try {
        class OwnerV1 extends Model {
          static override tableName = 'owners';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            name: Column(String(20), { nullable: false }),
            email: Column(String(50), { unique: true }),
            a: Column(Integer),
            b: Column(Integer),
            nick: Column(String(10), { index: true }),
            note: Column(String(10)),
          };
        }
        class Pet extends Model {
          static override tableName = 'pets';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            owner: Column(ForeignKey('owners.id', { onDelete: 'cascade' }), { nullable: false }),
          };
        }
        class OwnerV2 extends Model {
          static override tableName = 'owners';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            name: Column(Text, { nullable: false }), // type
            a: Column(Integer),
            nick: Column(String(10), { index: true }),
            note: Column(String(10), { nullable: false, default: 'n/a' }), // NOT NULL
            created: Column(DateTime, { nullable: false, default: func.now() }), // non-constant default
            // email (UNIQUE) and b (in the index on a, b) are dropped
          };
        }
        await db.createAll([OwnerV1, Pet]);
        await db.execute('CREATE INDEX ix_owners_a_b ON owners (a, b)');
        await db.execute('CREATE INDEX owners_name_by_hand ON owners (name)');
        await db.execute("INSERT INTO owners (id, name, email, a, b, nick, note) VALUES (1, 'ann', 'a@x', 1, 2, 'an', 'hi'), (2, 'bob', 'b@x', 3, 4, NULL, NULL)");
        await db.execute('INSERT INTO pets (id, owner) VALUES (10, 1), (20, 2)');
        const shape = async () => (await db.dialect.columnsOf(db, 'owners'))?.map((c) => [c.name, c.type, c.nullable, c.default]);
        const indexes = async () => (await db.dialect.indexesOf(db, 'owners')).map((i) => [i.name, i.columns.join(','), i.unique, i.origin]).sort();
        const before = [await shape(), await indexes()];

        const diff = await diffSchema({ db, models: [OwnerV2, Pet] });
        assert.deepEqual(diff.rebuilt, ['owners']);
        assert.deepEqual(diff.notes, []);
        assert.equal(diff.up.filter((s) => s.startsWith('CREATE TABLE')).length, 1);
        const made = await makeMigration({ db, models: [OwnerV2, Pet], name: 'rebuild owners', directory: dir, importFrom: SRC_DATABASE });
        assert.match(readFileSync(made?.file as string, 'utf8'), /\n {2}override foreignKeys = false;\n/);
        assert.match(readFileSync(made?.file as string, 'utf8'), /\n\/\/ NOTE owners: rebuilt \(SQLite cannot ALTER it so\): the rows are copied to "new_owners"/);
        await migrate('up', { db, directory: dir });

        const after = await diffSchema({ db, models: [OwnerV2, Pet] });
        assert.deepEqual([after.up, after.down, after.notes], [[], [], []]);
        assert.deepEqual(
          (await db.fetchAll('SELECT id, name, a, nick, note FROM owners ORDER BY id')).map((r) => Object.values(r)),
          [
            [1, 'ann', 1, 'an', 'hi'],
            [2, 'bob', 3, null, 'n/a'],
          ],
        );
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM owners WHERE created IS NULL'), 0);
        assert.deepEqual(await db.fetchAll('SELECT id, owner FROM pets ORDER BY id'), [
          { id: 10, owner: 1 },
          { id: 20, owner: 2 },
        ]); // ON DELETE CASCADE did not run
        assert.deepEqual(await db.fetchAll('PRAGMA foreign_key_check'), []);
        assert.deepEqual(await indexes(), [
          ['ix_owners_nick', 'nick', false, 'index'],
          ['owners_name_by_hand', 'name', false, 'index'],
        ]);
        await db.execute("INSERT INTO owners (id, name) VALUES (3, 'cy')");
        assert.deepEqual(await db.fetchOne('SELECT note, created IS NOT NULL AS has FROM owners WHERE id = 3'), { note: 'n/a', has: 1 });
        assert.equal(Number(await db.fetchVal('PRAGMA foreign_keys')), 1, 'foreign keys are back on');

        await db.execute('DELETE FROM owners WHERE id = 3');
        await migrate('down', { db, directory: dir });
        assert.deepEqual([await shape(), await indexes()], before);
        assert.deepEqual(
          (await db.fetchAll('SELECT id, name, email, a, b, nick, note FROM owners ORDER BY id')).map((r) => Object.values(r)),
          [
            [1, 'ann', null, 1, null, 'an', 'hi'],
            [2, 'bob', null, 3, null, null, 'n/a'],
          ],
        );
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM pets'), 2);
        assert.deepEqual(await db.fetchAll('PRAGMA foreign_key_check'), []);
        assert.deepEqual((await diffSchema({ db, models: [OwnerV1, Pet] })).up, []);
        assert.equal(Number(await db.fetchVal('PRAGMA foreign_keys')), 1);
      } finally {
        await db.execute('DROP TABLE IF EXISTS pets');
        await db.execute('DROP TABLE IF EXISTS owners');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('fails and rolls back a SQLite migration with foreignKeys = false that leaves a foreign key broken', { skip: target.name !== 'sqlite' && 'SQLite only' }, async () => {
      await using db = target.open();
      try {
        await db.execute('CREATE TABLE fk_parents (id INTEGER PRIMARY KEY)');
        await db.execute('CREATE TABLE fk_children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES fk_parents (id))');
        await db.execute('INSERT INTO fk_parents (id) VALUES (1)');
        class Orphan extends Migration {
          override foreignKeys = false;
          up() {
            return ['INSERT INTO fk_children (id, parent) VALUES (1, 99)'];
          }
          down() {}
        }
        await assert.rejects(migrate('up', { db, migrations: [{ name: '0001_orphan', migration: new Orphan() }] }), (err: unknown) => {
          assert.ok(err instanceof MigrationError);
          assert.match(err.message, /^Migration 0001_orphan up failed: foreign key check failed: fk_children → fk_parents$/);
          return true;
        });
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM fk_children'), 0);
        assert.equal(await db.fetchVal('SELECT COUNT(*) FROM covet_migrations'), 0);
        assert.equal(Number(await db.fetchVal('PRAGMA foreign_keys')), 1);
      } finally {
        await db.execute('DROP TABLE IF EXISTS fk_children');
        await db.execute('DROP TABLE IF EXISTS fk_parents');
      }
    });

    it('makes a nullable column NOT NULL with a default: rows holding NULL get the default first', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-make-not-null-'));
      try {
        class CounterV1 extends Model {
          static override tableName = 'counters';
          static override columns = { id: Column(Integer, { primaryKey: true }), hits: Column(Integer), kind: Column(String(10)) };
        }
        await db.createAll([CounterV1]);
        await db.execute('INSERT INTO counters (hits, kind) VALUES (%s, %s), (NULL, NULL)', 5, 'a');
        class CounterV2 extends Model {
          static override tableName = 'counters';
          static override columns = {
            id: Column(Integer, { primaryKey: true }),
            hits: Column(BigInteger, { nullable: false, default: 0 }), // type and nullability
            kind: Column(String(10), { nullable: false, default: 'plain' }), // nullability only
          };
        }
        const diff = await diffSchema({ db, models: [CounterV2] });
        const q = db.dialect.quote;
        if (target.name === 'sqlite') {
          // One rebuild; the rows holding NULL get the model's default as they are copied.
          assert.equal(
            diff.up[1],
            `INSERT INTO ${q('new_counters')} (${q('id')}, ${q('hits')}, ${q('kind')}) SELECT ${q('id')}, COALESCE(${q('hits')}, 0), COALESCE(${q('kind')}, 'plain') FROM ${q('counters')}`,
          );
          await makeMigration({ db, models: [CounterV2], name: 'counters not null', directory: dir, importFrom: SRC_DATABASE });
          await migrate('up', { db, directory: dir });
          assert.deepEqual((await diffSchema({ db, models: [CounterV2] })).up, []);
          assert.deepEqual(
            (await db.fetchAll('SELECT hits, kind FROM counters ORDER BY id')).map((r) => [Number(r.hits), r.kind]),
            [
              [5, 'a'],
              [0, 'plain'],
            ],
          );
          await migrate('down', { db, directory: dir });
          assert.deepEqual((await db.dialect.columnsOf(db, 'counters'))?.map((c) => [c.name, c.nullable]), [
            ['id', false],
            ['hits', true],
            ['kind', true],
          ]);
          assert.equal(await db.fetchVal('SELECT COUNT(*) FROM counters'), 2);
          return;
        }
        const fill = [
          `UPDATE ${q('counters')} SET ${q('hits')} = 0 WHERE ${q('hits')} IS NULL`,
          `UPDATE ${q('counters')} SET ${q('kind')} = 'plain' WHERE ${q('kind')} IS NULL`,
        ];
        assert.deepEqual(
          diff.up,
          target.name === 'postgresql'
            ? [
                fill[0],
                `ALTER TABLE ${q('counters')} ALTER COLUMN ${q('hits')} TYPE BIGINT USING ${q('hits')}::BIGINT`,
                `ALTER TABLE ${q('counters')} ALTER COLUMN ${q('hits')} SET DEFAULT 0`,
                `ALTER TABLE ${q('counters')} ALTER COLUMN ${q('hits')} SET NOT NULL`,
                fill[1],
                `ALTER TABLE ${q('counters')} ALTER COLUMN ${q('kind')} SET DEFAULT 'plain'`,
                `ALTER TABLE ${q('counters')} ALTER COLUMN ${q('kind')} SET NOT NULL`,
              ]
            : [
                fill[0],
                `ALTER TABLE ${q('counters')} MODIFY COLUMN ${q('hits')} BIGINT NOT NULL DEFAULT 0`,
                fill[1],
                `ALTER TABLE ${q('counters')} MODIFY COLUMN ${q('kind')} VARCHAR(10) NOT NULL DEFAULT 'plain'`,
              ],
        );
        await makeMigration({ db, models: [CounterV2], name: 'counters not null', directory: dir, importFrom: SRC_DATABASE });
        await migrate('up', { db, directory: dir });
        assert.deepEqual((await diffSchema({ db, models: [CounterV2] })).up, []);
        assert.deepEqual(
          (await db.fetchAll('SELECT hits, kind FROM counters ORDER BY id')).map((r) => [Number(r.hits), r.kind]),
          [
            [5, 'a'],
            [0, 'plain'],
          ],
        );
        await db.execute('INSERT INTO counters (id) VALUES (3)'); // the database default, as createAll would have made it
        assert.deepEqual(await db.fetchOne('SELECT kind FROM counters WHERE id = 3'), { kind: 'plain' });
        await migrate('down', { db, directory: dir });
        assert.deepEqual((await diffSchema({ db, models: [CounterV1] })).up, []);
        await db.execute('INSERT INTO counters (id) VALUES (4)');
        assert.deepEqual(await db.fetchOne('SELECT hits, kind FROM counters WHERE id = 4'), { hits: null, kind: null });
      } finally {
        await db.execute('DROP TABLE IF EXISTS counters');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runs migrate("up") / migrate("down") without options: DATABASE_URL and ./migrations, closing the manager it made', async () => {
      await using db = target.open();
      const dir = mkdtempSync(join(tmpdir(), 'covet-mig-noopt-'));
      const url = target.name === 'sqlite' ? `sqlite:///${join(dir, 'app.db')}` : await urlOf(target, db);
      mkdirSync(join(dir, 'migrations'));
      writeFileSync(
        join(dir, 'migrations', '0001_create_things.mjs'),
        "export default class CreateThings { up() { return 'CREATE TABLE things (id INTEGER PRIMARY KEY)'; } down() { return 'DROP TABLE things'; } }\n",
      );
      /** Connections to the database other than `db`'s own (the one migrate() opened must be closed). */
      const others = async (): Promise<number> => {
        if (target.name === 'sqlite') return existsSync(join(dir, 'app.db-wal')) ? 1 : 0; // SQLite removes the WAL file with its last connection
        const sql =
          target.name === 'postgresql'
            ? 'SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'
            : 'SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()';
        // A server notices a closed connection a moment after the client closes it.
        for (let i = 0; ; i++) {
          const n = Number(await db.fetchVal(sql));
          if (n === 0 || i === 50) return n;
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const saved = { url: process.env.DATABASE_URL, cwd: process.cwd() };
      process.env.DATABASE_URL = url;
      process.chdir(dir);
      try {
        assert.deepEqual(await migrate('up'), { direction: 'up', migrations: ['0001_create_things'] });
        assert.equal(await others(), 0);
        assert.deepEqual(
          (await migrationStatus()).map((m) => [m.name, m.applied]),
          [['0001_create_things', true]],
        );
        const check = new DatabaseManager(url);
        assert.deepEqual(await check.fetchAll('SELECT id FROM things'), []);
        await check.close();
        assert.deepEqual(await migrate('down'), { direction: 'down', migrations: ['0001_create_things'] });
        assert.equal(await others(), 0);
        // A db given is the caller's: left open.
        const mine = new DatabaseManager(url);
        await migrate('up', { db: mine });
        assert.equal(Number(await mine.fetchVal('SELECT COUNT(*) FROM things')), 0);
        await migrate('down', { db: mine });
        await mine.close();
      } finally {
        process.chdir(saved.cwd);
        if (saved.url === undefined) delete process.env.DATABASE_URL;
        else process.env.DATABASE_URL = saved.url;
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('migrate() without a database', () => {
  it('throws a MigrationError saying what to pass when DATABASE_URL is not set either', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      for (const call of [() => migrate('up'), () => migrate('down'), () => migrate('up', { directory: 'migrations' }), () => migrationStatus()]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof MigrationError);
          assert.equal(err.code, 'ERR_MIGRATION_NO_DATABASE');
          assert.match(err.message, /^(migrate|migrationStatus)\(\) needs a database: pass \{ db \} \(a DatabaseManager, e\.g\. new DatabaseManager\('sqlite:\/\/\/app\.db'\)\) or set DATABASE_URL$/);
          return true;
        });
      }
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });
});

describe('covet migrate (CLI)', () => {
  // `"type": "module"`, and the package `npm init` makes (no type: a `.ts` file is CommonJS).
  for (const type of ['module', undefined]) {
  it(`loads TypeScript migrations when run as the installed command without a loader: create, up, status, down (package type ${type ?? 'unset'})`, async () => {
    // The built command (npm test builds first), run by plain node as `npx covet` would run it.
    assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'main.js')), 'dist/cli/main.js is missing: run `npm run build` first');
    const project = mkdtempSync(join(tmpdir(), 'covet-migrate-ts-'));
    try {
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type }));
      mkdirSync(join(project, 'node_modules'));
      // covet as installed in the project, and tsx as one of its devDependencies.
      symlinkSync(ROOT, join(project, 'node_modules', 'covet'), 'dir');
      symlinkSync(join(ROOT, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'), 'dir');
      const covet = (...args: string[]): Promise<{ code: number | null; out: string }> =>
        new Promise((resolve) => {
          const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: 'sqlite:///app.db', NODE_OPTIONS: '' };
          delete env.NODE_TEST_CONTEXT;
          const child = spawn(process.execPath, [join(project, 'node_modules', 'covet', 'dist', 'cli', 'main.js'), 'migrate', ...args], {
            cwd: project,
            stdio: ['ignore', 'pipe', 'pipe'],
            env,
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d));
          child.stderr.on('data', (d: Buffer) => (out += d));
          child.on('close', (code) => resolve({ code, out }));
        });
      const created = await covet('create', 'create widgets');
      assert.equal(created.code, 0, created.out);
      const file = join(project, 'migrations', '0001_create_widgets.ts');
      assert.equal(created.out, `created ${file}\n`);
      // The file as written, untouched, loads.
      const pending = await covet('status');
      assert.equal(pending.code, 0, pending.out);
      assert.equal(pending.out, '[ ] 0001_create_widgets  pending\n');
      // Type annotations: this only runs if the file really goes through a TypeScript loader.
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .replace("up() {\n    return ''; // SQL, a list of statements, or run queries with ctx.db", "up(): string {\n    const sql: string = 'CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)';\n    return sql;")
          .replace("down() {\n    return '';", "down(): string {\n    return 'DROP TABLE widgets' as string;"),
      );
      assert.match(readFileSync(file, 'utf8'), /const sql: string = 'CREATE TABLE widgets/);
      const up = await covet('up');
      assert.equal(up.code, 0, up.out);
      assert.equal(up.out, 'applied 0001_create_widgets\n');
      const db = new DatabaseManager(`sqlite:///${join(project, 'app.db')}`);
      assert.deepEqual(await db.fetchAll('SELECT * FROM widgets'), []);
      await db.close();
      const applied = await covet('status');
      assert.equal(applied.code, 0, applied.out);
      assert.equal(applied.out, '[x] 0001_create_widgets  applied (batch 1)\n');
      const down = await covet('down');
      assert.equal(down.code, 0, down.out);
      assert.equal(down.out, 'reverted 0001_create_widgets\n');
      assert.equal((await covet('status')).out, '[ ] 0001_create_widgets  pending\n');
      const check = new DatabaseManager(`sqlite:///${join(project, 'app.db')}`);
      assert.equal(await check.fetchVal("SELECT COUNT(*) FROM sqlite_master WHERE name = 'widgets'"), 0);
      await check.close();
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
  }

  it('creates, applies, lists and reverts migrations from a directory, and makes one from models', async () => {
    const dir = mkdtempSync(join(ROOT, 'tests', '.tmp-cli-'));
    try {
      const url = `sqlite:///${join(dir, 'app.db')}`;
      const cli = (...args: string[]) => runNode([join(ROOT, 'src/cli/main.ts'), 'migrate', ...args, '--database', url, '--directory', join(dir, 'migrations')], dir);
      const created = await cli('create', 'Create Users');
      assert.equal(created.code, 0, created.out);
      assert.match(created.out, /created .*0001_create_users\.ts/);
      assert.match(readFileSync(join(dir, 'migrations', '0001_create_users.ts'), 'utf8'), /export default class CreateUsers extends Migration/);
      // Replace the template with a real migration (importing the source, not the built package).
      writeFileSync(
        join(dir, 'migrations', '0001_create_users.ts'),
        `import { Migration } from ${JSON.stringify(SRC_DATABASE)};\nexport default class CreateUsers extends Migration {\n  up() { return 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)'; }\n  down() { return 'DROP TABLE users'; }\n}\n`,
      );
      assert.match((await cli('status')).out, /\[ \] 0001_create_users {2}pending/);
      const up = await cli('up');
      assert.equal(up.code, 0, up.out);
      assert.match(up.out, /applied 0001_create_users/);
      assert.match((await cli('status')).out, /\[x\] 0001_create_users {2}applied \(batch 1\)/);
      mkdirSync(join(dir, 'app'));
      writeFileSync(
        join(dir, 'app', 'models.ts'),
        `import { Model, Column, Integer, Text } from ${JSON.stringify(SRC_ORM)};\nexport class User extends Model {\n  static tableName = 'users';\n  static columns = { id: Column(Integer, { primaryKey: true }), name: Column(Text, { nullable: false }), bio: Column(Text) };\n}\n`,
      );
      const make = await cli('make', 'add bio', '--models', join(dir, 'app', 'models.ts'));
      assert.equal(make.code, 0, make.out);
      assert.match(make.out, /created .*0002_add_bio\.ts/);
      // The file imports 'covet/database' (the built package); point it at the source for this test.
      const generated = join(dir, 'migrations', '0002_add_bio.ts');
      assert.match(readFileSync(generated, 'utf8'), /import \{ Migration \} from 'covet\/database';/);
      writeFileSync(generated, readFileSync(generated, 'utf8').replace("'covet/database'", JSON.stringify(SRC_DATABASE)));
      const lint = await cli('lint', '--dialect', 'postgresql');
      assert.equal(lint.code, 0, lint.out);
      assert.match((await cli('up')).out, /applied 0002_add_bio/);
      assert.match((await cli('down', '--steps', '2')).out, /reverted 0002_add_bio\nreverted 0001_create_users/);
      assert.match((await cli('down')).out, /nothing to revert/);
      const bad = await cli('frobnicate');
      assert.equal(bad.code, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
