import type { DatabaseConfig } from '../database-config.js';
import type { Driver } from './driver.js';
import { mysqlDriver } from './mysql-driver.js';
import { postgresDriver } from './postgres-driver.js';
import { sqliteDriver } from './sqlite-driver.js';

/**
 * The driver for a configuration. Nothing is imported until the first connection.
 *
 * @example
 * const driver = createDriver(DatabaseConfig.fromUrl('sqlite:///:memory:'))
 */
export function createDriver(config: DatabaseConfig): Driver {
  switch (config.driver) {
    case 'sqlite':
      return sqliteDriver(config);
    case 'postgresql':
      return postgresDriver(config);
    case 'mysql':
      return mysqlDriver(config);
  }
}
