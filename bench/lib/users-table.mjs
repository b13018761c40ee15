// The table behind GET /users/{id} in the monitoring benchmark, for Covet and Fastify alike: 1,000
// users in an in-memory SQLite database, one row read by primary key per request, as an API's
// detail endpoint would.
export const CREATE_USERS = 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, created_at TEXT NOT NULL)';
export const INSERT_USER = 'INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)';
export const SELECT_USER = 'SELECT id, name, email, created_at FROM users WHERE id = ?';

/** The rows to insert, as parameter lists of `INSERT_USER`. */
export function userRows() {
  return Array.from({ length: 1000 }, (_, i) => [i + 1, `user ${i + 1}`, `user${i + 1}@example.com`, '2026-01-01T00:00:00Z']);
}
