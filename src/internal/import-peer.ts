import { CovetError } from '../errors.js';

/**
 * Imports an optional peer dependency, turning "not installed" into an error that says what to
 * install. Other failures (a broken install) are rethrown as they are.
 *
 * @example
 * const { Redis } = (await importPeer('ioredis', 'RedisSessionStore')) as typeof import('ioredis');
 */
export async function importPeer(specifier: string, feature: string): Promise<unknown> {
  try {
    return (await import(specifier)) as unknown;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CovetError(`${feature} needs the "${specifier}" package, which is not installed: npm install ${specifier}`, {
        code: 'ERR_MISSING_DEPENDENCY',
        cause: err,
      });
    }
    throw err;
  }
}
