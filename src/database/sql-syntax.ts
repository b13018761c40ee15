/**
 * What the SQL tokenizer must know about a dialect's lexical rules and placeholder style.
 * Each dialect (`drivers/*-dialect.ts`) provides one.
 */
export interface SqlSyntax {
  /** `'it\'s'` is one literal (MySQL), as in PostgreSQL's `E'…'` strings. */
  readonly backslashEscapes: boolean;
  /** `$tag$ … $tag$` bodies (PostgreSQL). */
  readonly dollarQuotes: boolean;
  /** Block comments nest (PostgreSQL). */
  readonly nestedComments: boolean;
  /** `# comment` to end of line (MySQL). */
  readonly hashComments: boolean;
  /** `` `name` `` quotes an identifier (MySQL, SQLite). */
  readonly backtickIdentifiers: boolean;
  /** `[name]` quotes an identifier (SQLite). */
  readonly bracketIdentifiers: boolean;
  /** Placeholders are written `$1, $2…` (PostgreSQL); otherwise `?`. */
  readonly numberedPlaceholders: boolean;
  /** What `ILIKE` becomes: itself on PostgreSQL, `LIKE` where `LIKE` is case-insensitive. */
  readonly ilike: string;
}
