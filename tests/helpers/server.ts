import { createServer } from 'node:net';
import type { CovetApp, ListenInfo } from '../../src/index.js';

/**
 * Starts `app` on 127.0.0.1 with a free port, runs `fn`, and always closes the app.
 *
 * @example
 * await withServer(app, async ({ url }) => { const res = await fetch(`${url}/`) })
 */
export async function withServer<T>(app: CovetApp, fn: (info: ListenInfo) => Promise<T>): Promise<T> {
  const info = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn(info);
  } finally {
    await app.close();
  }
}

/** Whether tests that need an outside service must fail (CI) rather than skip. */
export const REQUIRE_SERVICES = process.env.COVET_REQUIRE_SERVICES === '1';

/** A logger that records instead of printing, for tests that provoke errors on purpose. */
export function memoryLogger(): { info: (m: string) => void; error: (m: string, meta?: Record<string, unknown>) => void; lines: string[]; errors: unknown[] } {
  const lines: string[] = [];
  const errors: unknown[] = [];
  return {
    lines,
    errors,
    info: (m) => lines.push(m),
    error: (m, meta) => {
      lines.push(m);
      errors.push(meta?.error);
    },
  };
}

/** A TCP port free on 127.0.0.1 right now (for servers that need a fixed port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const address = srv.address();
        srv.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
      });
  });
}
