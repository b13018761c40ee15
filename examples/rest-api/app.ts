// The example REST API: the seed's "Complete REST API Example" (users CRUD on raw SQL), the same
// resource through the ORM under /api/v1, a QueryBuilder search and a health check. SQLite
// (in memory) by default, PostgreSQL when DATABASE_URL is set; the schema comes from
// migrations/ at startup. `npm start` serves it; tests/examples/rest-api.test.ts checks it.
import { fileURLToPath } from 'node:url';
import { CovetApp, Depends, HTTPException, type Logger, type Request } from 'covet';
import { DatabaseError, DatabaseManager, databaseErrorHandler, migrate, QueryBuilder } from 'covet/database';
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
  /** Bearer token that PUT/DELETE on /users need (the seed's `auth.require_token`). Default `API_TOKEN` or `secret-token`. */
  readonly apiToken?: string;
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

/** The public fields of a user (the v1 API's shape). */
function publicUser(user: User): { id: number; name: string; email: string } {
  return { id: user.id, name: user.name, email: user.email };
}

export function createApp(options: AppOptions = {}): CovetApp {
  const db = options.db ?? new DatabaseManager(options.databaseUrl ?? process.env.DATABASE_URL ?? 'sqlite:///:memory:');
  const apiToken = options.apiToken ?? process.env.API_TOKEN ?? 'secret-token';
  const app = new CovetApp(options.logger === undefined ? {} : { logger: options.logger });

  // Connect at startup (a database that is down is logged; /health reports it), close at shutdown.
  app.addDatabase(db);
  if (options.runMigrations ?? true) app.onStartup(() => migrate('up', { db, directory: MIGRATIONS }));
  // Duplicate email → 409, database unreachable → 503.
  app.onError(DatabaseError, databaseErrorHandler);

  // A stand-in for covet/security's `jwtAuth.requireToken` (the seed's `@auth.require_token`).
  const requireToken = (req: Request): void => {
    if (req.headers.get('authorization') !== `Bearer ${apiToken}`) {
      throw new HTTPException(401, 'Unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
    }
  };

  app.route('/', async () => ({ message: 'Hello, World!' }));

  app.get('/health', async () => {
    const database = await db.health();
    return [{ status: database.status, checks: { database } }, database.status === 'healthy' ? 200 : 503];
  });

  // ---- The seed's complete REST API example: raw SQL with %s placeholders. ----
  app.get('/users', async () => {
    const users = await db.fetchAll('SELECT id, name, email FROM users ORDER BY id');
    return { users };
  });

  app.post('/users', async (req) => {
    const data = parseUser(await req.json(), false) as { name: string; email: string };
    const userId = await db.fetchVal<number>('INSERT INTO users (name, email) VALUES (%s, %s) RETURNING id', data.name, data.email);
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

  app.put('/users/{user_id:int}', async (req) => {
    requireToken(req);
    const data = parseUser(await req.json(), false) as { name: string; email: string };
    const { rowCount } = await db.execute(
      'UPDATE users SET name = %s, email = %s WHERE id = %s',
      data.name,
      data.email,
      req.params.user_id,
    );
    if (rowCount === 0) return [{ error: 'User not found' }, 404];
    return { message: 'User updated' };
  });

  app.delete('/users/{user_id:int}', async (req) => {
    requireToken(req);
    const { rowCount } = await db.execute('DELETE FROM users WHERE id = %s', req.params.user_id);
    if (rowCount === 0) return [{ error: 'User not found' }, 404];
    return { message: 'User deleted' };
  });

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
    return publicUser(user);
  });

  api.delete('/users/{user_id:int}', async (req, { db }) => {
    if (!(await User.delete(db, req.params.user_id))) throw new HTTPException(404, 'User not found');
    return undefined; // 204
  });

  return app;
}

export const app = createApp();
