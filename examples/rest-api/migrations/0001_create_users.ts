// The users table, written with the schema builder so the same migration runs on SQLite and
// PostgreSQL (the seed's raw `CREATE TABLE … SERIAL` would only run on PostgreSQL).
import { Migration, type MigrationContext } from 'covet/database';
// biome-ignore lint/suspicious/noShadowRestrictedNames: `String(100)` is the column type of API.md (SQLAlchemy's name)
import { Column, DateTime, Integer, String, func } from 'covet/database/orm';

export default class CreateUsersTable extends Migration {
  up({ schema }: MigrationContext) {
    return schema.createTable('users', {
      id: Column(Integer, { primaryKey: true }),
      name: Column(String(100), { nullable: false }),
      email: Column(String(255), { unique: true, nullable: false }),
      createdAt: Column(DateTime, { default: func.now() }),
    });
  }

  down({ schema }: MigrationContext) {
    return schema.dropTable('users');
  }
}
