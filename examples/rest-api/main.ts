// Starts the example API: `npm start` (PORT, HOST, DATABASE_URL, REDIS_URL and JWT_SECRET from the
// environment; without DATABASE_URL the data lives in ./rest-api.db, without REDIS_URL the cache
// in this process). With NODE_ENV=production it refuses to start without JWT_SECRET (exit code 1,
// the reason on stderr).
import { ConfigError } from 'covet';
import type { createApp as CreateApp } from './app.js';

let app: ReturnType<typeof CreateApp> | undefined;
try {
  // Imported here: app.ts also builds a default `app` when loaded, which needs the secret too.
  const { createApp } = await import('./app.js');
  app = createApp({
    databaseUrl: process.env.DATABASE_URL ?? 'sqlite:///rest-api.db',
    ...(process.env.REDIS_URL ? { cacheUrl: process.env.REDIS_URL } : {}),
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`rest-api: ${err.message}\n`);
  process.exitCode = 1;
}
if (app !== undefined) await app.run({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
