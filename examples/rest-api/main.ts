// Starts the example API: `npm start` (PORT, HOST and DATABASE_URL from the environment; without
// DATABASE_URL the data lives in ./rest-api.db).
import { createApp } from './app.js';

const app = createApp({ databaseUrl: process.env.DATABASE_URL ?? 'sqlite:///rest-api.db' });
await app.run({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
