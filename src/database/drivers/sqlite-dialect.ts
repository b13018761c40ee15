import type { ColumnInfo, ColumnKind, Dialect, IndexInfo, RowFetcher, TableInfo } from './dialect.js';
import { groupIndexes, quoteWith } from './dialect.js';

const TYPES: Readonly<Record<ColumnKind, string>> = {
  integer: 'INTEGER',
  bigint: 'INTEGER',
  string: 'VARCHAR',
  text: 'TEXT',
  boolean: 'BOOLEAN',
  float: 'REAL',
  decimal: 'NUMERIC',
  datetime: 'TIMESTAMP',
  date: 'DATE',
  json: 'JSON',
  uuid: 'CHAR(36)',
  binary: 'BLOB',
};

interface PragmaColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

/**
 * SQLite: `?` placeholders, `"…"`/`` `…` ``/`[…]` identifiers, `LIKE` already ignores ASCII case
 * (so `ILIKE` becomes `LIKE`), transactional DDL, `RETURNING` since 3.35.
 *
 * @example
 * sqliteDialect.quote('users') // '"users"'
 */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  title: 'SQLite',
  backslashEscapes: false,
  dollarQuotes: false,
  nestedComments: false,
  hashComments: false,
  backtickIdentifiers: true,
  bracketIdentifiers: true,
  numberedPlaceholders: false,
  ilike: 'LIKE',
  supportsReturning: true,
  transactionalDDL: true,
  // Millisecond ISO-8601 in UTC, which `new Date()` parses back exactly.
  now: "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  quote: (identifier) => quoteWith(identifier, '"'),
  limitOffset(limit, offset) {
    if (limit === null && offset === null) return '';
    return ` LIMIT ${limit ?? -1}${offset === null ? '' : ` OFFSET ${offset}`}`;
  },
  columnType: (kind, length) => (kind === 'string' && length !== undefined ? `VARCHAR(${length})` : TYPES[kind]),
  autoIncrementPrimaryKey: () => 'INTEGER PRIMARY KEY',
  begin: () => ['BEGIN'],
  async introspect(db: RowFetcher): Promise<TableInfo[]> {
    const tables = await db.fetchAll<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name",
    );
    const out: TableInfo[] = [];
    for (const { name } of tables) out.push({ name, columns: (await this.columnsOf(db, name)) ?? [] });
    return out;
  },
  async columnsOf(db: RowFetcher, table: string): Promise<ColumnInfo[] | null> {
    const rows = await db.fetchAll<PragmaColumn>('SELECT * FROM pragma_table_info(?)', table);
    if (rows.length === 0) return null;
    return rows.map((r) => ({
      name: r.name,
      type: r.type.toLowerCase(),
      // An INTEGER PRIMARY KEY is the rowid: never NULL although the pragma says it may be.
      nullable: r.notnull === 0 && r.pk === 0,
      primaryKey: r.pk > 0,
      default: r.dflt_value,
    }));
  },
  async indexesOf(db: RowFetcher, table: string): Promise<IndexInfo[]> {
    // origin: c = CREATE INDEX, u = a UNIQUE constraint (sqlite_autoindex_…), pk = the primary key.
    const rows = await db.fetchAll<{ name: string; is_unique: number; origin: string; column: string | null }>(
      'SELECT il.name AS name, il."unique" AS is_unique, il.origin AS origin, ii.name AS "column" FROM pragma_index_list(?) il, pragma_index_info(il.name) ii WHERE il.partial = 0 ORDER BY il.name, ii.seqno',
      table,
    );
    return groupIndexes(
      rows.map((r) => ({ ...r, unique: Number(r.is_unique) === 1, origin: r.origin === 'pk' ? 'primary' : r.origin === 'u' ? 'unique' : 'index' })),
    );
  },
  lockSql: () => null,
};
