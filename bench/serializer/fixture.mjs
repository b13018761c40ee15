// The realistic payload of bench/serializer: a 16-field user record (strings needing no escape
// and some that do, numbers, booleans, a date, a nested object, a string array, a nullable field).

/** JSON Schema of one user, as a route's `response` option or fast-json-stringify take it. */
export const USER_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    uuid: { type: 'string', format: 'uuid' },
    username: { type: 'string' },
    email: { type: 'string', format: 'email' },
    displayName: { type: 'string' },
    bio: { type: 'string' },
    age: { type: 'integer' },
    score: { type: 'number' },
    verified: { type: 'boolean' },
    admin: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    lastLogin: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
    roles: { type: 'array', items: { type: 'string' } },
    address: {
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' }, zip: { type: 'string' }, country: { type: 'string' } },
    },
    followers: { type: 'integer' },
    locale: { type: 'string' },
  },
};

/** One user with exactly the declared fields (so every serializer writes the same bytes). */
export function user(i) {
  return {
    id: i,
    uuid: `3f2c${String(i).padStart(4, '0')}-9a1b-4c2d-8e3f-00000000${String(i % 10000).padStart(4, '0')}`,
    username: `user_${i}`,
    email: `user${i}@example.com`,
    displayName: i % 7 === 0 ? `Zoë "Z" Ångström ${i}` : `User Number ${i}`,
    bio: i % 5 === 0 ? 'Line one\nline two, with a tab\t and a quote "' : 'Writes TypeScript and runs marathons.',
    age: 20 + (i % 50),
    score: 1234.5 + i / 8,
    verified: i % 2 === 0,
    admin: i % 10 === 0,
    createdAt: '2024-03-01T12:34:56.789Z',
    lastLogin: i % 3 === 0 ? null : '2026-11-20T08:00:00.000Z',
    roles: i % 10 === 0 ? ['admin', 'editor', 'viewer'] : ['viewer'],
    address: { street: `${i} Main Street`, city: 'Springfield', zip: '12345', country: 'US' },
    followers: i * 37,
    locale: 'en-US',
  };
}

/** The same record as a database row would give it: with fields the response must not show. */
export function userRow(i) {
  return { ...user(i), passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$abcdefghijklmnopqrstuvwxyz', internalNotes: 'do not ship' };
}
