import { DriverNotInstalledError } from '../errors.js';

const cache = new Map<string, Promise<unknown>>();

/**
 * Imports an optional peer dependency on first use. A missing package becomes a
 * `DriverNotInstalledError` naming what to install; the specifier is a variable so that neither
 * TypeScript nor a bundler pulls the package in statically.
 *
 * @example
 * const pg = await loadDriverModule('pg', 'pg', 'PostgreSQL')
 */
export function loadDriverModule(specifier: string, packageName: string, database: string): Promise<unknown> {
  let loading = cache.get(specifier);
  if (loading === undefined) {
    loading = import(specifier).then(
      (mod: { default?: unknown }) => mod.default ?? mod,
      (err: unknown) => {
        cache.delete(specifier);
        const code = (err as { code?: unknown } | null)?.code;
        if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new DriverNotInstalledError(packageName, database, err);
        throw err;
      },
    );
    cache.set(specifier, loading);
  }
  return loading;
}
