// The databases the integration tests run against: SQLite always; PostgreSQL when DATABASE_URL
// is set and MySQL/MariaDB when MYSQL_URL is set. With COVET_REQUIRE_SERVICES=1 a missing URL
// makes the test fail instead of skipping (CI starts the servers, so a skip would hide a gap).
import { REQUIRE_SERVICES } from '../../helpers/server.js';
import { TestDatabase } from '../../../src/testing/index.js';

export interface DbTarget {
  readonly name: 'sqlite' | 'postgresql' | 'mysql';
  /** A reason to skip, or `false`. */
  readonly skip: string | false;
  /** The server's URL (undefined for a missing service). */
  readonly url: string | undefined;
  /** A fresh, private database (an in-memory SQLite one, or a throwaway database on the server). */
  open(): TestDatabase;
}

function serverTarget(name: 'postgresql' | 'mysql', variable: string): DbTarget {
  const url = process.env[variable];
  return {
    name,
    url,
    skip: url === undefined && !REQUIRE_SERVICES ? `${variable} is not set` : false,
    open() {
      if (url === undefined) throw new Error(`${variable} is not set, and COVET_REQUIRE_SERVICES=1 says ${name} tests must run`);
      return new TestDatabase(url, { isolated: true });
    },
  };
}

export const sqliteTarget: DbTarget = { name: 'sqlite', skip: false, url: 'sqlite:///:memory:', open: () => new TestDatabase('sqlite:///:memory:') };
export const postgresTarget: DbTarget = serverTarget('postgresql', 'DATABASE_URL');
export const mysqlTarget: DbTarget = serverTarget('mysql', 'MYSQL_URL');

/** Every target, for `for (const t of targets) describe(t.name, { skip: t.skip }, …)`. */
export const targets: readonly DbTarget[] = [sqliteTarget, postgresTarget, mysqlTarget];

/** `INTEGER PRIMARY KEY` that auto-increments, in the target's dialect. */
export function serialPk(name: DbTarget['name']): string {
  return name === 'postgresql' ? 'SERIAL PRIMARY KEY' : name === 'mysql' ? 'INT AUTO_INCREMENT PRIMARY KEY' : 'INTEGER PRIMARY KEY';
}
