import type { Dialect } from '../drivers/dialect.js';
import type { DriverResult } from '../drivers/driver.js';
import { kExecute, Queryable } from '../queryable.js';
import { skipNonCode, splitStatements } from '../sql-tokenizer.js';

/** The checks of the migration lint. */
export type LintRule =
  | 'drop-table'
  | 'drop-column'
  | 'rename'
  | 'add-not-null-column'
  | 'set-not-null'
  | 'alter-type'
  | 'index-not-concurrent'
  | 'foreign-key-not-valid'
  | 'concurrently-in-transaction';

/** One finding: what is risky, and the expand/contract way to do it instead. */
export interface LintIssue {
  readonly rule: LintRule;
  /** `error` fails for sure; `warning` works but breaks running code or locks a table. */
  readonly severity: 'warning' | 'error';
  readonly statement: string;
  readonly message: string;
  readonly suggestion: string;
  /** The migration's name, when linting files. */
  readonly migration?: string;
}

/** Options of `lintSql`. */
export interface LintOptions {
  /** Whether the statements run inside a transaction (default `true`). */
  readonly transaction?: boolean;
  readonly migration?: string;
}

/** The statement with string literals and comments blanked (identifiers kept), in upper case. */
function codeOnly(statement: string, dialect: Dialect): string {
  let out = '';
  let i = 0;
  while (i < statement.length) {
    const c = statement.charCodeAt(i);
    const end = skipNonCode(statement, i, dialect);
    if (end !== -1) {
      const quoted = c === 34 || c === 96 || c === 91; // identifiers stay
      out += quoted ? statement.slice(i, end) : ' '.repeat(end - i);
      i = end;
      continue;
    }
    out += statement[i];
    i++;
  }
  return out.toUpperCase().replace(/\s+/g, ' ');
}

function unquote(name: string | undefined): string {
  return (name ?? '').replace(/[`"[\]]/g, '').toLowerCase();
}

const TABLE = String.raw`((?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w$.]+))`;

/**
 * Flags DDL that breaks the running version of the app or locks a busy table: dropping or
 * renaming tables and columns, adding a NOT NULL column without a default, `SET NOT NULL`,
 * column type changes, non-concurrent index builds and validating foreign keys on PostgreSQL.
 * Each issue names the expand/contract alternative. Tables created in the same migration are
 * exempt from the locking checks (they are empty).
 *
 * @example
 * lintSql('ALTER TABLE users DROP COLUMN age', postgresDialect)[0]?.rule // 'drop-column'
 */
export function lintSql(sql: string | readonly string[], dialect: Dialect, options: LintOptions = {}): LintIssue[] {
  const statements = (typeof sql === 'string' ? [sql] : sql).flatMap((s) => splitStatements(s, dialect));
  const inTransaction = options.transaction ?? true;
  const created = new Set<string>();
  const issues: LintIssue[] = [];
  const pg = dialect.name === 'postgresql';
  for (const statement of statements) {
    const code = codeOnly(statement, dialect);
    const add = (rule: LintRule, message: string, suggestion: string, severity: LintIssue['severity'] = 'warning'): void => {
      issues.push({
        rule,
        severity,
        statement: statement.trim(),
        message,
        suggestion,
        ...(options.migration === undefined ? {} : { migration: options.migration }),
      });
    };
    const createTable = new RegExp(`^CREATE (?:TEMP(?:ORARY)? )?TABLE (?:IF NOT EXISTS )?${TABLE}`).exec(code);
    if (createTable) {
      created.add(unquote(createTable[1]));
      continue;
    }
    const alter = new RegExp(`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${TABLE}`).exec(code);
    const index = new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?(?:\S+ )?ON (?:ONLY )?${TABLE}`).exec(
      code,
    );
    const target = unquote(alter?.[1] ?? index?.[2]);
    const fresh = target !== '' && created.has(target);

    if (/^DROP TABLE\b/.test(code)) {
      add(
        'drop-table',
        'Dropping a table deletes its data and breaks app instances that still query it.',
        'Expand/contract: deploy code that no longer uses the table, then drop it in a later migration (after a backup).',
      );
    }
    if (alter !== null && !fresh) {
      const rest = code.slice(alter[0].length);
      if (
        /\bDROP COLUMN\b/.test(rest) ||
        /\bDROP (?!COLUMN\b|CONSTRAINT\b|INDEX\b|KEY\b|PRIMARY\b|FOREIGN\b|CHECK\b|DEFAULT\b|NOT\b|IDENTITY\b|EXPRESSION\b)[\w"`]/.test(
          rest,
        )
      ) {
        add(
          'drop-column',
          'Dropping a column breaks app instances that still read or write it, and deletes its data.',
          'Expand/contract: deploy code that stops using the column, then drop it in a later migration.',
        );
      }
      if (/\bRENAME (?:COLUMN )?\S+ TO\b|\bRENAME TO\b|\bCHANGE (?:COLUMN )?\S+ \S+/.test(code)) {
        add(
          'rename',
          'Renaming breaks app instances that use the old name until every one is redeployed.',
          'Expand/contract: add the new column, write both, backfill, switch reads, then drop the old one later.',
        );
      }
      if (
        /\bADD (?:COLUMN )?(?!CONSTRAINT\b|INDEX\b|KEY\b|UNIQUE\b|PRIMARY\b|FOREIGN\b|CHECK\b)[^,]*\bNOT NULL\b/.test(code) &&
        !/\bDEFAULT\b/.test(code)
      ) {
        add(
          'add-not-null-column',
          'Adding a NOT NULL column without a default fails on a table that has rows.',
          'Add it nullable (or with a DEFAULT), backfill, then make it NOT NULL in a later migration.',
        );
      }
      if (pg && /\bALTER (?:COLUMN )?\S+ SET NOT NULL\b/.test(code)) {
        add(
          'set-not-null',
          'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait.',
          'Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in another migration, then SET NOT NULL (PostgreSQL 12+ skips the scan).',
        );
      }
      if (
        (pg && /\bALTER (?:COLUMN )?\S+ (?:SET DATA )?TYPE\b/.test(code)) ||
        (dialect.name === 'mysql' && /\bMODIFY (?:COLUMN )?/.test(code))
      ) {
        add(
          'alter-type',
          'Changing a column type usually rewrites the table while holding a lock.',
          'Add a column of the new type, backfill it in batches, switch the code over, then drop the old column.',
        );
      }
      if (pg && /\bADD (?:CONSTRAINT \S+ )?FOREIGN KEY\b/.test(code) && !/\bNOT VALID\b/.test(code)) {
        add(
          'foreign-key-not-valid',
          'Adding a foreign key checks every row while locking both tables against writes.',
          'Add it with NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT in a later migration.',
        );
      }
    }
    if (pg && index !== null && index[1] === undefined && !fresh) {
      add(
        'index-not-concurrent',
        'CREATE INDEX blocks writes to the table until the index is built.',
        'Use CREATE INDEX CONCURRENTLY in a migration with `transaction = false`.',
      );
    }
    if (pg && inTransaction && /\b(?:INDEX|REINDEX \S+) CONCURRENTLY\b|^REINDEX .*\bCONCURRENTLY\b/.test(code)) {
      add(
        'concurrently-in-transaction',
        'CONCURRENTLY cannot run inside a transaction block.',
        'Set `transaction = false` on this migration (and keep it to that one statement).',
        'error',
      );
    }
  }
  return issues;
}

/** Issues as text, one block per issue. */
export function formatLintIssues(issues: readonly LintIssue[]): string {
  return issues
    .map(
      (i) =>
        `${i.severity.toUpperCase()} [${i.rule}]${i.migration ? ` ${i.migration}` : ''}: ${i.message}\n  ${i.statement.split('\n')[0]}\n  → ${i.suggestion}`,
    )
    .join('\n');
}

/** A query runner that records statements instead of running them (for linting `up()`). */
class RecordingQueryable extends Queryable {
  readonly #dialect: Dialect;
  readonly statements: string[] = [];

  constructor(dialect: Dialect) {
    super();
    this.#dialect = dialect;
  }

  get dialect(): Dialect {
    return this.#dialect;
  }

  async [kExecute](text: string): Promise<DriverResult> {
    this.statements.push(text);
    return { rows: [], rowCount: 0, lastInsertId: null };
  }
}

/**
 * Lints every migration of a directory for a dialect: runs each `up()` against a recorder (no
 * database needed) and checks the SQL it returns or runs.
 *
 * @example
 * const issues = await lintMigrations({ directory: 'migrations', dialect: postgresDialect });
 */
export async function lintMigrations(options: { readonly directory?: string; readonly dialect: Dialect }): Promise<LintIssue[]> {
  const { loadMigrations } = await import('./migrator.js');
  const { SchemaBuilder } = await import('./schema-builder.js');
  const issues: LintIssue[] = [];
  for (const entry of await loadMigrations(options.directory ?? 'migrations')) {
    const recorder = new RecordingQueryable(options.dialect);
    const returned = await entry.migration.up({ db: recorder, dialect: options.dialect, schema: new SchemaBuilder(options.dialect) });
    const sql = [...recorder.statements, ...(returned === undefined ? [] : typeof returned === 'string' ? [returned] : returned)];
    const transaction = options.dialect.transactionalDDL && entry.migration.transaction !== false;
    issues.push(...lintSql(sql, options.dialect, { transaction, migration: entry.name }));
  }
  return issues;
}
