// The example REST API: the seed's "Complete REST API Example" (users CRUD on raw SQL, the list
// cached, updates and deletes behind JWTAuth), the same resource through the ORM under /api/v1,
// a QueryBuilder search and a health check. SQLite (in memory) by default, PostgreSQL when
// DATABASE_URL is set; the schema comes from migrations/ at startup. `npm start` serves it;
// tests/examples/rest-api.test.ts checks it.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ConfigError, CovetApp, Depends, HTTPException, type Logger, type Request } from 'covet';
import { CacheManager } from 'covet/cache';
import { DatabaseError, DatabaseManager, databaseErrorHandler, migrate, QueryBuilder } from 'covet/database';
import { JWTAuth } from 'covet/security';
import { User } from './models.js';

export { User };

/** Options of `createApp`. */
export interface AppOptions {
  /** The database; default `new DatabaseManager(databaseUrl)`. */
  readonly db?: DatabaseManager;
  /** Default `DATABASE_URL`, else `sqlite:///:memory:`. */
  readonly databaseUrl?: string;
  /**
   * Apply migrations/ at startup. Default `true` (handy in development; production usually runs
   * `covet migrate up` as a deploy step and passes `false`).
   */
  readonly runMigrations?: boolean;
  /** Where the app logs (default `console`). */
  readonly logger?: Logger;
  /**
   * Secret the bearer tokens that PUT/DELETE on /users need are signed with (the seed's
   * `JWTAuth("secret-key")`). Default `JWT_SECRET`; without it, in development, a random secret
   * for this process. In production (`NODE_ENV=production`) one of the two is required.
   */
  readonly secretKey?: string;
  /** The cache of GET /users (the seed's `CacheManager`); default `new CacheManager(cacheUrl)`. */
  readonly cache?: CacheManager;
  /** `redis://…` to share the cache between processes; default an in-process memory cache. */
  readonly cacheUrl?: string;
  /** Where `JWT_SECRET` and `NODE_ENV` are read. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

function parseUser(body: unknown, partial: boolean): { name?: string; email?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HTTPException(400, 'Expected a JSON object');
  const { name, email } = body as Record<string, unknown>;
  const errors: Record<string, string[]> = {};
  if (name !== undefined || !partial) {
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100)
      errors.name = ['must be a non-empty string of at most 100 characters'];
  }
  if (email !== undefined || !partial) {
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) || email.length > 255)
      errors.email = ['must be an email address'];
  }
  if (Object.keys(errors).length > 0) throw new HTTPException(400, 'Validation failed', { body: { errors } });
  return { ...(name !== undefined ? { name: name as string } : {}), ...(email !== undefined ? { email: email as string } : {}) };
}

/**
 * The token secret: the option, else `JWT_SECRET`. Production refuses to start without one (a
 * secret written into the example would sign tokens anyone can forge); development gets a random one.
 */
function tokenSecret(options: AppOptions, env: NodeJS.ProcessEnv): string {
  const configured = options.secretKey || env.JWT_SECRET;
  if (configured) return configured;
  if (env.NODE_ENV === 'production') {
    throw new ConfigError(
      'JWT_SECRET is required in production (NODE_ENV=production): set it to a random secret of at least 32 characters',
    );
  }
  return randomBytes(32).toString('base64url');
}

/** The public fields of a user (the v1 API's shape). */
function publicUser(user: User): { id: number; name: string; email: string } {
  return { id: user.id, name: user.name, email: user.email };
}

export function createApp(options: AppOptions = {}): CovetApp {
  const db = options.db ?? new DatabaseManager(options.databaseUrl ?? process.env.DATABASE_URL ?? 'sqlite:///:memory:');
  const auth = new JWTAuth({ secretKey: tokenSecret(options, options.env ?? process.env), expirationTime: 3600 });
  const cache =
    options.cache ??
    new CacheManager({
      ...(options.cacheUrl === undefined ? {} : { redisUrl: options.cacheUrl }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  const app = new CovetApp(options.logger === undefined ? {} : { logger: options.logger });
  if (options.cache === undefined) app.onShutdown(() => cache.close());
  // Every write to the users table drops the cached GET /users.
  const usersChanged = () => cache.invalidateTags(['users']);

  // Connect at startup (a database that is down is logged; /health reports it), close at shutdown.
  app.addDatabase(db);
  if (options.runMigrations ?? true) app.onStartup(() => migrate('up', { db, directory: MIGRATIONS }));
  // Duplicate email → 409, database unreachable → 503.
  app.onError(DatabaseError, databaseErrorHandler);

  app.route('/', async () => ({ message: 'Hello, World!' }));

  app.get('/health', async () => {
    const database = await db.health();
    return [{ status: database.status, checks: { database } }, database.status === 'healthy' ? 200 : 503];
  });

  // A demo login: a registered email gets a token for PUT/DELETE (a real app checks a password first).
  app.post('/auth/token', async (req) => {
    const body = (await req.json()) as { email?: unknown } | null;
    const email = body?.email;
    if (typeof email !== 'string') throw new HTTPException(400, 'email: expected a string');
    const user = await db.fetchOne<{ id: number }>('SELECT id FROM users WHERE email = %s', email);
    if (!user) throw new HTTPException(401, 'Unknown email');
    return { access_token: await auth.createToken({ id: user.id, email }), token_type: 'bearer' };
  });

  // ---- The seed's complete REST API example: raw SQL with %s placeholders. ----
  app.get(
    '/users',
    cache.cached({ ttl: 300, tags: ['users'] }, async () => {
      const users = await db.fetchAll('SELECT id, name, email FROM users ORDER BY id');
      return { users };
    }),
  );

  app.post('/users', async (req) => {
    const data = parseUser(await req.json(), false) as { name: string; email: string };
    const userId = await db.fetchVal<number>('INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id', data.name, data.email);
    await usersChanged();
    return [{ id: userId, name: data.name }, 201];
  });

  // The seed's Query Builder example: ILIKE works on SQLite too.
  app.get('/users/search', async (req) => {
    const q = req.queryParams.get('q', '');
    const qb = new QueryBuilder(db);
    const users = await qb.select('users', 'id', 'name', 'email').where('name ILIKE %s', `%${q}%`).orderBy('name').limit(100).fetchAll();
    return { users };
  });

  app.get('/users/{user_id:int}', async (req) => {
    const user = await db.fetchOne('SELECT id, name, email FROM users WHERE id = %s', req.params.user_id);
    if (!user) return [{ error: 'User not found' }, 404];
    return { user };
  });

  app.put(
    '/users/{user_id:int}',
    auth.requireToken(async (req) => {
      const data = parseUser(await req.json(), false) as { name: string; email: string };
      const { rowCount } = await db.execute(
        'UPDATE users SET name = %s, email = %s WHERE id = %s',
        data.name,
        data.email,
        req.params.user_id,
      );
      if (rowCount === 0) return [{ error: 'User not found' }, 404];
      await usersChanged();
      return { message: 'User updated' };
    }),
  );

  app.delete(
    '/users/{user_id:int}',
    auth.requireToken(async (req) => {
      const { rowCount } = await db.execute('DELETE FROM users WHERE id = %s', req.params.user_id);
      if (rowCount === 0) return [{ error: 'User not found' }, 404];
      await usersChanged();
      return { message: 'User deleted' };
    }),
  );

  // ---- The same resource through the ORM; one unit of work per request (the seed's get_db). ----
  const session = Depends(() => db.session());
  const api = app.routeGroup('/api/v1', { deps: { db: session } });

  api.get('/users', async (req: Request, { db }) => {
    const limit = req.queryParams.get('limit', 10, 'int');
    const offset = req.queryParams.get('offset', 0, 'int');
    if (limit < 0 || offset < 0) throw new HTTPException(400, 'limit and offset must not be negative');
    const users = await User.query(db).orderBy('id').limit(Math.min(limit, 100)).offset(offset).all();
    return { users: users.map(publicUser) };
  });

  api.post('/users', async (req, { db }) => {
    const data = parseUser(await req.json(), false) as { name: string; email: string };
    const user = new User(data);
    db.add(user);
    await db.commit();
    await usersChanged();
    return [publicUser(user), 201];
  });

  api.get('/users/{user_id:int}', { name: 'user' }, async (req, { db }) => {
    const user = await User.get(db, req.params.user_id);
    if (!user) throw new HTTPException(404, 'User not found');
    return publicUser(user);
  });

  api.patch('/users/{user_id:int}', async (req, { db }) => {
    const user = await User.update(db, req.params.user_id, parseUser(await req.json(), true));
    if (!user) throw new HTTPException(404, 'User not found');
    await usersChanged();
    return publicUser(user);
  });

  api.delete('/users/{user_id:int}', async (req, { db }) => {
    if (!(await User.delete(db, req.params.user_id))) throw new HTTPException(404, 'User not found');
    await usersChanged();
    return undefined; // 204
  });

  return app;
}

export const app = createApp();
