// createAll() without an argument: "every model defined so far" (API.md). A JavaScript class
// cannot announce its own definition, so the manager enters an "every model" mode in which a
// model first used later gets its table before the manager's next statement. The models are
// defined by factories: each call is a new class that nothing has used yet, as in an app module
// (the model registry is per process, so a module-level class could be "new" only once).
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CovetApp, Depends } from '../../../src/index.js';
import { type DatabaseManager, type ModelLike, type QueryMessage, registeredModels } from '../../../src/database/index.js';
import { modelWatcherCount, registerModel } from '../../../src/database/model-registry.js';
import { Column, ForeignKey, Integer, Model, String } from '../../../src/database/orm/index.js';
import { kQueryRowSync, kQueryValuesSync, NOT_SYNC } from '../../../src/database/queryable.js';
import { TestClient, TestDatabase } from '../../../src/testing/index.js';
import { targets } from './targets.js';

let serial = 0;
/** A table name no other test (or concurrent test process) uses. */
const tableName = (what: string): string => `covet_ca_${what}_${process.pid}_${++serial}`;

/** The seed's User model, defined now and not used. */
function defineUser() {
  return class User extends Model {
    static override tableName = tableName('users');
    static override columns = {
      id: Column(Integer, { primaryKey: true }),
      name: Column(String(100), { nullable: false }),
      email: Column(String(255), { unique: true, nullable: false }),
    };
  };
}

/** An author and a post that references it, defined now and not used. */
function defineBlog() {
  class Author extends Model {
    static override tableName = tableName('authors');
    static override columns = { id: Column(Integer, { primaryKey: true }), name: Column(String(50), { nullable: false }) };
  }
  class Post extends Model {
    static override tableName = tableName('posts');
    static override columns = {
      id: Column(Integer, { primaryKey: true }),
      authorId: Column(ForeignKey(() => Author), { nullable: false }),
      title: Column(String(50), { nullable: false }),
    };
  }
  return { Author, Post };
}

async function tableExists(db: DatabaseManager, table: string): Promise<boolean> {
  const sql =
    db.dialect.name === 'sqlite'
      ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = %s"
      : db.dialect.name === 'postgresql'
        ? 'SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = %s'
        : 'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s';
  return Number(await db.fetchVal(sql, table)) === 1;
}

/** The statements a database runs while `fn` runs (the covet:db:query channel). */
async function statementsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (m: unknown): void => {
    seen.push((m as QueryMessage).sql);
  };
  subscribe('covet:db:query', listener);
  try {
    await fn();
  } finally {
    unsubscribe('covet:db:query', listener);
  }
  return seen;
}

for (const target of targets) {
  describe(`createAll() without an argument on ${target.name}`, { skip: target.skip }, () => {
    it("runs the seed's Database Testing flow with a model defined but not used before createAll()", async () => {
      // As the seed (and an app module) does: the model is declared, nothing has touched it.
      const User = defineUser();
      const table = User.tableName;
      assert.ok(!registeredModels().includes(User));
      if (target.url === undefined) throw new Error(`${target.name} is not configured`);
      const db = new TestDatabase(target.url);
      const app = new CovetApp();
      app.route('/users', { methods: ['POST'], deps: { db: Depends(async () => db) } }, async (req, { db }) => {
        const data = await req.json<{ name: string; email: string }>();
        const user = new User({ name: data.name, email: data.email }) as InstanceType<typeof User> & { id: number; name: string };
        db.add(user);
        await db.commit();
        return [{ id: user.id, name: user.name }, 201];
      });
      const client = new TestClient(app);
      try {
        assert.equal(await db.createAll(), undefined);
        const userData = { name: 'Test User', email: 'test@example.com' };
        const res = await client.post('/users', { json: userData });
        assert.equal(res.status, 201, res.text);
        assert.deepEqual(res.json(), { id: 1, name: 'Test User' });
        assert.deepEqual(await db.fetchOne(`SELECT * FROM ${table} WHERE email = %s`, userData.email), {
          id: 1,
          name: 'Test User',
          email: 'test@example.com',
        });
        assert.equal(await tableExists(db, table), true);
        assert.equal(await db.dropAll(), undefined);
        assert.equal(await tableExists(db, table), false);
      } finally {
        await client.close();
        await db.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
        await db.close();
      }
    });

    it('creates the table of a model nothing has used yet, so raw SQL right after createAll() finds it', async () => {
      const User = defineUser();
      const { Author, Post } = defineBlog();
      // An abstract base between Model and a model declares no table and gets none.
      class Timestamped extends Model {}
      class Event extends Timestamped {
        static override tableName = tableName('events');
        static override columns = { id: Column(Integer, { primaryKey: true }), kind: Column(String(20), { nullable: false }) };
      }
      for (const m of [User, Author, Post, Event]) assert.ok(!registeredModels().includes(m));
      if (target.url === undefined) throw new Error(`${target.name} is not configured`);
      const db = new TestDatabase(target.url);
      try {
        await db.createAll();
        await db.execute(`INSERT INTO ${User.tableName} (name, email) VALUES (%s, %s)`, 'Ann', 'ann@example.com');
        assert.deepEqual(await db.fetchAll(`SELECT name, email FROM ${User.tableName}`), [{ name: 'Ann', email: 'ann@example.com' }]);
        await db.execute(`INSERT INTO ${Author.tableName} (id, name) VALUES (1, 'A')`);
        await db.execute(`INSERT INTO ${Post.tableName} (${db.dialect.quote('authorId')}, title) VALUES (1, 'T')`);
        await db.execute(`INSERT INTO ${Event.tableName} (kind) VALUES ('x')`);
        assert.equal(registeredModels().includes(Timestamped as unknown as ModelLike), false);
        await db.dropAll();
        for (const m of [User, Author, Post, Event]) assert.equal(await tableExists(db, m.tableName), false, m.tableName);
      } finally {
        for (const m of [Post, Author, User, Event]) await db.execute(`DROP TABLE IF EXISTS ${m.tableName}`).catch(() => {});
        await db.close();
      }
    });

    it('creates a model first used after createAll(), and the tables it references first, before the next statement', async () => {
      await using db = target.open();
      await db.createAll();
      const { Author, Post } = defineBlog();
      const statements = await statementsDuring(async () => {
        // Building the query is the first use; the SELECT waits for both CREATE TABLEs.
        assert.deepEqual(await Post.query(db).all(), []);
      });
      const creates = statements.filter((s) => s.startsWith('CREATE TABLE'));
      assert.equal(creates.length, 2, statements.join('\n'));
      assert.ok(creates[0]?.includes(Author.tableName), 'the referenced table comes first');
      assert.ok(creates[1]?.includes(Post.tableName));
      assert.ok(statements.at(-1)?.startsWith('SELECT'), 'the query runs after the creations');
      const ann = await Author.create(db, { name: 'Ann' });
      await Post.create(db, { authorId: ann.id, title: 'Hello' });
      assert.equal(await Post.query(db).count(), 1);
      // Nothing is created twice.
      const again = await statementsDuring(async () => {
        await Author.query(db).all();
      });
      assert.ok(!again.some((s) => s.startsWith('CREATE')));
    });

    it('makes every statement path wait for the creation: execute, fetch, sql, script, transaction, session, ORM', async () => {
      await using db = target.open();
      await db.createAll();
      const [a, b, c, d, e, f, g] = [defineUser(), defineUser(), defineUser(), defineUser(), defineUser(), defineUser(), defineUser()];
      // Each statement is issued in the same tick as the registration: nothing is awaited between.
      Model.register(a);
      const inserted = await db.execute(`INSERT INTO ${a.tableName} (name, email) VALUES (%s, %s)`, 'A', 'a@x');
      assert.equal(inserted.rowCount, 1);
      Model.register(b);
      assert.deepEqual(await db.fetchAll(`SELECT * FROM ${b.tableName}`), []);
      Model.register(c);
      assert.equal(await db.fetchVal(db.sql`SELECT COUNT(*) FROM ${db.sql.id(c.tableName)}`), 0);
      Model.register(d);
      await db.script(`INSERT INTO ${d.tableName} (name, email) VALUES ('D', 'd@x')`);
      Model.register(e);
      await db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${e.tableName} (name, email) VALUES (%s, %s)`, 'E', 'e@x');
      });
      const session = db.session();
      session.add(new f({ name: 'F', email: 'f@x' }));
      await session.commit();
      assert.equal(await g.get(db, 1), null);
      for (const [model, rows] of [
        [a, 1],
        [d, 1],
        [e, 1],
        [f, 1],
      ] as const) {
        assert.equal(Number(await db.fetchVal(`SELECT COUNT(*) FROM ${model.tableName}`)), rows, model.tableName);
      }
    });

    it('surfaces a failed creation to the statements that waited for it, then carries on', async () => {
      await using db = target.open();
      await db.createAll();
      let calls = 0;
      const failing: ModelLike = {
        tableName: tableName('failing'),
        dependencies: () => [],
        async createTable() {
          // Fails once (this registry is shared by the whole file: later createAll() calls see it).
          if (++calls === 1) throw new Error('cannot create the failing table');
        },
        async dropTable() {},
      };
      registerModel(failing);
      await assert.rejects(db.fetchVal('SELECT 1'), /cannot create the failing table/);
      assert.equal(Number(await db.fetchVal('SELECT 1')), 1);
      assert.equal(calls, 1, 'not retried by every statement');
    });

    it('ends the mode with dropAll() without an argument, which drops every registered model', async () => {
      await using db = target.open();
      const before = modelWatcherCount();
      await db.createAll();
      assert.equal(modelWatcherCount(), before + 1);
      const { Author, Post } = defineBlog();
      await Post.query(db).all();
      assert.equal(await tableExists(db, Author.tableName), true);
      await db.dropAll();
      assert.equal(modelWatcherCount(), before);
      assert.equal(await tableExists(db, Author.tableName), false);
      assert.equal(await tableExists(db, Post.tableName), false);
      // Out of the mode: a model used now gets no table.
      const Later = defineUser();
      await assert.rejects(Later.query(db).all());
      assert.equal(await tableExists(db, Later.tableName), false);
    });

    it('creates every model registered so far (Model.register, or used) when called, and not in the mode with a list', async () => {
      await using db = target.open();
      const User = defineUser();
      Model.register(User);
      const Other = defineUser();
      await db.createAll([Other]);
      assert.equal(await tableExists(db, User.tableName), false);
      const Unlisted = defineUser();
      await Unlisted.query(db)
        .all()
        .then(
          () => assert.fail('no table expected'),
          () => {},
        );
      assert.equal(await tableExists(db, Unlisted.tableName), false);
      await db.createAll();
      assert.equal(await tableExists(db, User.tableName), true);
      assert.equal(await tableExists(db, Unlisted.tableName), true, 'used before: registered');
    });
  });
}

describe('createAll() without an argument (SQLite details)', () => {
  it('turns off the synchronous paths while a creation is pending, and back on after', async () => {
    await using db = new TestDatabase('sqlite:///:memory:');
    await db.createAll();
    assert.equal(await db.fetchVal('SELECT 1'), 1); // the connection is open
    assert.deepEqual(db[kQueryRowSync]('SELECT 1', []), [1]);
    const User = defineUser();
    const user = new User({ name: 'Ann', email: 'ann@x' });
    assert.equal(db[kQueryRowSync]('SELECT 1', []), NOT_SYNC);
    assert.equal(db[kQueryValuesSync]('SELECT 1', []), NOT_SYNC);
    // Model.get and ModelQuery.all take those paths: they fall back to the waiting one.
    assert.equal(await User.get(db, 1), null);
    assert.deepEqual(db[kQueryRowSync]('SELECT 1', []), [1]);
    await user.save(db);
    assert.equal((await User.get(db, 1))?.name, 'Ann');
    assert.deepEqual((await User.query(db).all()).map((u) => u.email), ['ann@x']);
  });

  it('creates a model first used inside a transaction once the transaction gives the connection back (no deadlock)', async () => {
    await using db = new TestDatabase('sqlite:///:memory:');
    await db.createAll();
    const User = defineUser();
    await db.transaction(async (tx) => {
      Model.register(User);
      // The creation waits for the only connection, which this transaction holds.
      assert.equal(await tx.fetchVal('SELECT 1'), 1);
    });
    assert.deepEqual(await User.query(db).all(), []);
  });

  it('creates a model on every manager in the mode', async () => {
    await using one = new TestDatabase('sqlite:///:memory:');
    await using two = new TestDatabase('sqlite:///:memory:');
    await one.createAll();
    await two.createAll();
    const User = defineUser();
    await User.create(one, { name: 'Ann', email: 'ann@x' });
    assert.equal(await tableExists(two, User.tableName), true);
    assert.equal(await User.query(two).count(), 0);
  });

  it('ends the mode on close(), and the registry does not keep a manager alive', async () => {
    const before = modelWatcherCount();
    const db = new TestDatabase('sqlite:///:memory:');
    await db.createAll();
    assert.equal(modelWatcherCount(), before + 1);
    await db.close();
    assert.equal(modelWatcherCount(), before);
    // A manager never closed: the registry holds it weakly.
    const exposedHere = typeof (globalThis as { gc?: unknown }).gc !== 'function';
    if (exposedHere) {
      setFlagsFromString('--expose-gc');
      (globalThis as { gc?: unknown }).gc = runInNewContext('gc');
    }
    try {
      const gc = (globalThis as unknown as { gc: () => void }).gc;
      let ref: WeakRef<TestDatabase> | null = null;
      await (async () => {
        const forgotten = new TestDatabase('sqlite:///:memory:');
        await forgotten.createAll();
        ref = new WeakRef(forgotten);
        // Its connection is closed by hand: only the registry could still reach it.
        await forgotten.pool.close();
      })();
      assert.equal(modelWatcherCount(), before + 1);
      for (let i = 0; i < 10 && (ref as WeakRef<TestDatabase> | null)?.deref() !== undefined; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        gc();
      }
      assert.equal((ref as WeakRef<TestDatabase> | null)?.deref(), undefined);
      assert.equal(modelWatcherCount(), before);
    } finally {
      if (exposedHere) delete (globalThis as { gc?: unknown }).gc;
    }
  });
});
