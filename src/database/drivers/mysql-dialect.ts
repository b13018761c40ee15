import type { ColumnInfo, ColumnKind, Dialect, IndexInfo, RowFetcher, TableInfo } from './dialect.js';
import { groupIndexes, quoteWith } from './dialect.js';

const TYPES: Readonly<Record<ColumnKind, string>> = {
  integer: 'INT',
  bigint: 'BIGINT',
  string: 'VARCHAR(255)',
  text: 'LONGTEXT',
  boolean: 'BOOLEAN',
  float: 'DOUBLE',
  decimal: 'DECIMAL(65, 30)',
  datetime: 'DATETIME(3)',
  date: 'DATE',
  json: 'JSON',
  uuid: 'CHAR(36)',
  binary: 'LONGBLOB',
};

interface MyColumnRow {
  table_name: string;
  column_name: string;
  column_type: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  column_key: string;
}

// information_schema spells its column names in upper case; alias them to one spelling.
const COLUMNS_SQL = `
SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, c.COLUMN_TYPE AS column_type,
       c.IS_NULLABLE AS is_nullable, c.COLUMN_DEFAULT AS column_default, c.COLUMN_KEY AS column_key
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
WHERE c.TABLE_SCHEMA = DATABASE()`;

function toInfo(r: MyColumnRow): ColumnInfo {
  return {
    name: r.column_name,
    type: String(r.column_type).toLowerCase(),
    nullable: r.is_nullable === 'YES',
    primaryKey: r.column_key === 'PRI',
    default: r.column_default,
  };
}

/**
 * MySQL and MariaDB: `?` placeholders, backslash escapes in strings, `` `…` `` identifiers,
 * `#` comments, `LIKE` case-insensitive under the default collations (so `ILIKE` → `LIKE`), DDL
 * commits implicitly (no transactional migrations), `GET_LOCK` for migration locks.
 *
 * @example
 * mysqlDialect.quote('users') // '`users`'
 */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  title: 'MySQL',
  backslashEscapes: true,
  dollarQuotes: false,
  nestedComments: false,
  hashComments: true,
  backtickIdentifiers: true,
  bracketIdentifiers: false,
  numberedPlaceholders: false,
  ilike: 'LIKE',
  // MariaDB has INSERT/DELETE … RETURNING, MySQL has none; the ORM never relies on it here.
  supportsReturning: false,
  transactionalDDL: false,
  now: 'CURRENT_TIMESTAMP(3)',
  quote: (identifier) => quoteWith(identifier, '`'),
  limitOffset(limit, offset) {
    if (limit === null && offset === null) return '';
    // MySQL has no OFFSET without LIMIT; its manual suggests the largest BIGINT UNSIGNED.
    return ` LIMIT ${limit ?? '18446744073709551615'}${offset === null ? '' : ` OFFSET ${offset}`}`;
  },
  columnType: (kind, length) => (kind === 'string' && length !== undefined ? `VARCHAR(${length})` : TYPES[kind]),
  autoIncrementPrimaryKey: (kind) => `${kind === 'bigint' ? 'BIGINT' : 'INT'} AUTO_INCREMENT PRIMARY KEY`,
  begin: (isolation) =>
    isolation === undefined ? ['START TRANSACTION'] : [`SET TRANSACTION ISOLATION LEVEL ${isolation.toUpperCase()}`, 'START TRANSACTION'],
  async introspect(db: RowFetcher): Promise<TableInfo[]> {
    const rows = await db.fetchAll<MyColumnRow>(`${COLUMNS_SQL} ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`);
    const tables = new Map<string, ColumnInfo[]>();
    for (const r of rows) {
      let cols = tables.get(r.table_name);
      if (cols === undefined) tables.set(r.table_name, (cols = []));
      cols.push(toInfo(r));
    }
    return [...tables].map(([name, columns]) => ({ name, columns }));
  },
  async columnsOf(db: RowFetcher, table: string): Promise<ColumnInfo[] | null> {
    const rows = await db.fetchAll<MyColumnRow>(`${COLUMNS_SQL} AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION`, table);
    return rows.length === 0 ? null : rows.map(toInfo);
  },
  async indexesOf(db: RowFetcher, table: string): Promise<IndexInfo[]> {
    const rows = await db.fetchAll<{ name: string; non_unique: number | string; column: string | null; sub_part: unknown }>(
      `SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS \`column\`, SUB_PART AS sub_part
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      table,
    );
    const indexes = groupIndexes(
      // A prefix index (col(10)) is not an index on the column's whole value.
      rows.map((r) => ({ name: r.name, column: r.sub_part === null ? r.column : null, unique: Number(r.non_unique) === 0, origin: 'index' as const })),
    );
    // A column's UNIQUE makes an index named after the column (col_2, … when taken).
    const namedAfter = (name: string, column: string): boolean =>
      name === column || (name.startsWith(`${column}_`) && /^\d+$/.test(name.slice(column.length + 1)));
    return indexes.map((i) =>
      i.name === 'PRIMARY'
        ? { ...i, origin: 'primary' }
        : i.unique && i.columns.length === 1 && namedAfter(i.name, i.columns[0] as string)
          ? { ...i, origin: 'unique' }
          : i,
    );
  },
  lockSql: () => ['SELECT GET_LOCK(?, 600)', 'SELECT RELEASE_LOCK(?)'],
};
