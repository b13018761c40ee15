// The example REST API: hello world and an in-memory users resource. Later modules (database,
// security, monitoring) grow it; `npm start` serves it, tests/examples/rest-api.test.ts checks it.
import { CovetApp, Depends, HTTPException, type Request } from 'covet';

export interface User {
  id: number;
  name: string;
  email: string;
}

/** A tiny in-memory store; one per app so tests stay independent. */
export class UserStore {
  readonly #users = new Map<number, User>();
  #nextId = 1;

  list(limit: number, offset: number): User[] {
    return [...this.#users.values()].slice(offset, offset + limit);
  }
  get(id: number): User | undefined {
    return this.#users.get(id);
  }
  create(data: Omit<User, 'id'>): User {
    const user = { id: this.#nextId++, ...data };
    this.#users.set(user.id, user);
    return user;
  }
  update(id: number, data: Partial<Omit<User, 'id'>>): User | undefined {
    const user = this.#users.get(id);
    if (!user) return undefined;
    Object.assign(user, data);
    return user;
  }
  delete(id: number): boolean {
    return this.#users.delete(id);
  }
}

function parseUser(body: unknown, partial: boolean): Partial<Omit<User, 'id'>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HTTPException(400, 'Expected a JSON object');
  const { name, email } = body as Record<string, unknown>;
  const errors: Record<string, string[]> = {};
  if (name !== undefined || !partial) {
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) errors.name = ['must be a non-empty string of at most 100 characters'];
  }
  if (email !== undefined || !partial) {
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.email = ['must be an email address'];
  }
  if (Object.keys(errors).length > 0) throw new HTTPException(400, 'Validation failed', { body: { errors } });
  return { ...(name !== undefined ? { name: name as string } : {}), ...(email !== undefined ? { email: email as string } : {}) };
}

export function createApp(): CovetApp {
  const app = new CovetApp();
  const store = new UserStore();
  const users = Depends(() => store);

  app.route('/', async () => ({ message: 'Hello, World!' }));

  const api = app.routeGroup('/api/v1', { deps: { users } });

  api.get('/users', (req: Request, { users }) => {
    const limit = req.queryParams.get('limit', 10, 'int');
    const offset = req.queryParams.get('offset', 0, 'int');
    return { users: users.list(Math.min(limit, 100), offset) };
  });

  api.post('/users', async (req, { users }) => {
    const data = parseUser(await req.json(), false) as Omit<User, 'id'>;
    return [users.create(data), 201];
  });

  api.get('/users/{user_id:int}', { name: 'user' }, (req, { users }) => {
    const user = users.get(req.params.user_id);
    if (!user) throw new HTTPException(404, 'User not found');
    return user;
  });

  api.patch('/users/{user_id:int}', async (req, { users }) => {
    const user = users.update(req.params.user_id, parseUser(await req.json(), true));
    if (!user) throw new HTTPException(404, 'User not found');
    return user;
  });

  api.delete('/users/{user_id:int}', (req, { users }) => {
    if (!users.delete(req.params.user_id)) throw new HTTPException(404, 'User not found');
    return undefined; // 204
  });

  return app;
}

export const app = createApp();
