// Rows → instances → JSON: the compiled row mapper keeps the semantics of plain own properties,
// `Date`s for timestamps, and a JSON form identical to `toISOString` for every date, whatever
// was done to the instance; `Model.get`'s synchronous SQLite path behaves like the generic one.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { DatabaseError, type DatabaseManager } from '../../../src/database/index.js';
import {
  Column,
  ColumnType,
  DateTime,
  ForeignKey,
  func,
  hasMany,
  Integer,
  Model,
  type RowOf,
  String,
} from '../../../src/database/orm/index.js';
import { targets } from './targets.js';

class Upper extends ColumnType<string> {
  constructor() {
    super('string', 50);
  }
  override fromDb(value: unknown): string {
    return typeof value === 'string' ? value.toUpperCase() : (value as string);
  }
}

class Author extends Model {
  static override tableName = 'row_authors';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    name: Column(String(100), { nullable: false }),
    code: Column(new Upper()),
    createdAt: Column(DateTime, { default: func.now() }),
    seenAt: Column(DateTime),
  };
  static override relations = { books: hasMany(() => Book) };
}
interface Author extends RowOf<typeof Author.columns> {}

class Book extends Model {
  static override tableName = 'row_books';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    authorId: Column(ForeignKey(() => Author), { nullable: false, name: 'author_id' }),
    title: Column(String(100), { nullable: false }),
  };
}

/** What `toJSON` gave before it was compiled: every enumerable property, dates through `toISOString`. */
function reference(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in obj) {
    const v = (obj as Record<string, unknown>)[key];
    out[key] = v instanceof Date ? (Number.isNaN(v.getTime()) ? null : v.toISOString()) : v;
  }
  return out;
}

function sameJson(obj: object): void {
  assert.equal(JSON.stringify(obj), JSON.stringify(reference(obj)));
}

for (const target of targets) {
  describe(`ORM rows and JSON on ${target.name}`, { skip: target.skip }, () => {
    async function withSchema(fn: (db: DatabaseManager) => Promise<void>): Promise<void> {
      await using db = target.open();
      await db.createAll([Author, Book]);
      try {
        await fn(db);
      } finally {
        await db.dropAll([Author, Book]);
      }
    }

    it('loads rows as instances with own properties, Dates, and the JSON of toISOString', () =>
      withSchema(async (db) => {
        const seen = new Date('2026-03-04T05:06:07.089Z');
        const created = await Author.create(db, { name: 'Ann', code: 'ab', seenAt: seen });
        const a = (await Author.get(db, created.id)) as Author;
        assert.ok(a instanceof Author);
        assert.equal(Object.getPrototypeOf(a), Author.prototype);
        assert.deepEqual(Object.keys(a), ['id', 'name', 'code', 'createdAt', 'seenAt']);
        assert.ok(a.createdAt instanceof Date && !Number.isNaN(a.createdAt.getTime()));
        assert.deepEqual(a.seenAt, seen);
        assert.equal(a.code, 'AB'); // a custom type's fromDb is honoured
        assert.deepEqual(JSON.parse(JSON.stringify(a)), {
          id: created.id,
          name: 'Ann',
          code: 'AB',
          createdAt: a.createdAt.toISOString(),
          seenAt: '2026-03-04T05:06:07.089Z',
        });
        sameJson(a);
        assert.deepEqual(Object.fromEntries(Object.entries(a)), { id: created.id, name: 'Ann', code: 'AB', createdAt: a.createdAt, seenAt: seen });
        // The same through query(), first() and a session.
        sameJson((await Author.query(db).first()) as Author);
        sameJson((await Author.get(db.session(), created.id)) as Author);
      }));

    it('sends the current instant of a date that was changed, replaced, saved or set back', () =>
      withSchema(async (db) => {
        const { id } = await Author.create(db, { name: 'Ann', seenAt: new Date('2026-01-01T00:00:00.000Z') });
        const a = (await Author.get(db, id)) as Author;
        (a.seenAt as Date).setTime(Date.parse('2027-02-02T02:02:02.222Z'));
        assert.equal(JSON.parse(JSON.stringify(a)).seenAt, '2027-02-02T02:02:02.222Z');
        sameJson(a);
        a.seenAt = new Date('2028-03-03T03:03:03.333Z');
        sameJson(a);
        await a.save(db);
        assert.equal(JSON.parse(JSON.stringify(a)).seenAt, '2028-03-03T03:03:03.333Z');
        a.seenAt = new Date('2026-01-01T00:00:00.000Z'); // back to the instant first read
        sameJson(a);
        assert.equal(JSON.parse(JSON.stringify(a)).seenAt, '2026-01-01T00:00:00.000Z');
        a.seenAt = new Date(Number.NaN);
        assert.equal(JSON.parse(JSON.stringify(a)).seenAt, null);
        a.seenAt = null;
        sameJson(a);
        await a.delete(db);
        sameJson(a);
      }));

    it('keeps loaded relations, extra and deleted properties in the JSON, in property order', () =>
      withSchema(async (db) => {
        const ann = await Author.create(db, { name: 'Ann' });
        await Book.create(db, { authorId: ann.id, title: 'One' });
        const [loaded] = await Author.query(db).include('books').all();
        assert.ok(loaded);
        const json = JSON.parse(JSON.stringify(loaded));
        assert.deepEqual(Object.keys(json), ['id', 'name', 'code', 'createdAt', 'seenAt', 'books']);
        assert.deepEqual(json.books, [{ id: 1, authorId: ann.id, title: 'One' }]);
        sameJson(loaded);
        const a = (await Author.get(db, ann.id)) as Author & { extra?: unknown };
        a.extra = { when: new Date('2026-05-05T05:05:05.555Z') };
        assert.deepEqual(JSON.parse(JSON.stringify(a)).extra, { when: '2026-05-05T05:05:05.555Z' });
        sameJson(a);
        const b = (await Author.get(db, ann.id)) as Partial<Author>;
        delete b.name;
        assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(b))), ['id', 'code', 'createdAt', 'seenAt']);
        sameJson(b);
        // An instance built with new, before and after it is saved.
        const c = new Author({ name: 'Cy', seenAt: new Date('2026-06-06T06:06:06.666Z') });
        sameJson(c);
        await c.save(db);
        sameJson(c);
        assert.equal(JSON.parse(JSON.stringify(c)).seenAt, '2026-06-06T06:06:06.666Z');
      }));

    it('reads Model.get inside transactions and sessions, and reports it on covet:db:query', () =>
      withSchema(async (db) => {
        const { id } = await Author.create(db, { name: 'Ann' });
        await db.transaction(async (tx) => {
          await Author.update(tx, id, { name: 'In tx' });
          assert.equal((await Author.get(tx, id))?.name, 'In tx');
          assert.equal(await Author.get(tx, id + 1), null);
        });
        assert.equal((await Author.get(db, id))?.name, 'In tx');
        assert.equal(await Author.get(db, 'abc'), null);
        assert.equal(await Author.get(db, null), null);
        const messages: { sql: string }[] = [];
        const listener = (m: unknown): void => {
          messages.push(m as { sql: string });
        };
        const listed = JSON.stringify(await Author.query(db).orderBy('id').all());
        await db.transaction(async (tx) => {
          assert.equal(JSON.stringify(await Author.query(tx).orderBy('id').all()), listed);
        });
        subscribe('covet:db:query', listener);
        try {
          assert.equal((await Author.get(db, id))?.name, 'In tx');
          assert.equal((await Author.get(db.session(), id))?.name, 'In tx');
          assert.equal(JSON.stringify(await Author.query(db).orderBy('id').all()), listed);
        } finally {
          unsubscribe('covet:db:query', listener);
        }
        assert.equal(messages.length, 3);
        assert.match(messages[0]?.sql ?? '', /^SELECT .* FROM .row_authors. WHERE .id. = /);
        assert.match(messages[2]?.sql ?? '', /^SELECT .* FROM .row_authors. ORDER BY .id. ASC/i);
      }));

    if (target.name === 'sqlite') {
      it('reads timestamps SQLite wrote in its own forms, and text that is no date', () =>
        withSchema(async (db) => {
          await db.execute(
            `INSERT INTO row_authors (name, "createdAt", "seenAt") VALUES (%s, %s, %s), (%s, %s, %s)`,
            'Cur', '2026-01-02 03:04:05', '2026-01-02T03:04:05.000+01:00',
            'Bad', 'garbage', '2026-13-45T99:99:99.999Z',
          );
          const [cur, bad] = await Author.query(db).orderBy('id').all();
          assert.ok(cur && bad);
          assert.deepEqual(JSON.parse(JSON.stringify(cur)), {
            id: 1, name: 'Cur', code: null, createdAt: '2026-01-02T03:04:05.000Z', seenAt: '2026-01-02T02:04:05.000Z',
          });
          sameJson(cur);
          assert.ok(bad.createdAt instanceof Date && Number.isNaN(bad.createdAt.getTime()));
          assert.equal(JSON.parse(JSON.stringify(bad)).createdAt, null);
          sameJson(bad);
          sameJson((await Author.get(db, 2)) as Author);
        }));
    }

    it('rejects (never throws) when the statement fails', () =>
      withSchema(async (db) => {
        await db.dropAll([Author, Book]);
        const pending = Author.get(db, 1);
        assert.ok(pending instanceof Promise);
        await assert.rejects(pending, DatabaseError);
        await assert.rejects(Author.query(db).where({ name: 'x' }).all(), DatabaseError);
        await db.createAll([Author, Book]);
      }));
  });
}
