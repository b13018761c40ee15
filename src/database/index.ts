export { ConnectionPool, type ConnectionPoolOptions, type PoolStats } from './connection-pool.js';
export { DatabaseConfig, type DatabaseConfigOptions, type DriverAlias, type DriverName, redactUrl } from './database-config.js';
export { databaseErrorHandler } from './database-error-handler.js';
export { type DatabaseHealth, DatabaseManager, type DatabaseManagerOptions } from './database-manager.js';
export { createDriver } from './drivers/create-driver.js';
export type { ColumnInfo, ColumnKind, Dialect, IndexInfo, IsolationLevel, TableInfo } from './drivers/dialect.js';
export type { Driver, DriverConnection, DriverResult } from './drivers/driver.js';
export { mysqlDialect } from './drivers/mysql-dialect.js';
export { postgresDialect } from './drivers/postgres-dialect.js';
export { sqliteDialect } from './drivers/sqlite-dialect.js';
export {
  ConnectionError,
  DatabaseError,
  type DatabaseErrorOptions,
  DriverNotInstalledError,
  IntegrityError,
  type IntegrityErrorOptions,
  type IntegrityKind,
  MigrationError,
  PoolTimeoutError,
  TransactionAbortedError,
  UnknownColumnError,
} from './errors.js';
export { type ModelLike, registeredModels } from './model-registry.js';
export { PooledConnection } from './pooled-connection.js';
export { type ExecuteResult, Queryable, type Row, type Statement } from './queryable.js';
export { type Persistable, Session } from './session.js';
export { sql, SqlQuery, type SqlTag } from './sql-query.js';
export type { SqlSyntax } from './sql-syntax.js';
export { type CompiledSql, compileSql, splitStatements } from './sql-tokenizer.js';
export { Transaction, type TransactionOptions } from './transaction.js';
export { BuiltQuery, type BuiltSql } from './built-query.js';
export { DeleteQuery } from './delete-query.js';
export { InsertQuery } from './insert-query.js';
export { QueryBuilder } from './query-builder.js';
export { PreparedStatement, QueryOptimizer } from './query-optimizer.js';
export { type OrderByOptions, SelectQuery } from './select-query.js';
export { UpdateQuery } from './update-query.js';
export type { WhereObject } from './where-clause.js';
export { createMigration, type CreateMigrationOptions } from './migrations/migration-files.js';
export {
  diffSchema,
  makeMigration,
  type MakeMigrationFileOptions,
  type MakeMigrationOptions,
  type SchemaDiff,
} from './migrations/make-migration.js';
export { Migration, type MigrationContext, type MigrationSteps } from './migrations/migration.js';
export { formatLintIssues, type LintIssue, type LintOptions, type LintRule, lintMigrations, lintSql } from './migrations/migration-lint.js';
export {
  loadMigrations,
  MIGRATIONS_TABLE,
  type MigrateOptions,
  type MigrateResult,
  migrate,
  type MigrationDatabase,
  type MigrationEntry,
  type MigrationStatus,
  migrationStatus,
} from './migrations/migrator.js';
export { type IndexOptions, SchemaBuilder } from './migrations/schema-builder.js';
export type { QueryMessage } from './query-channel.js';
