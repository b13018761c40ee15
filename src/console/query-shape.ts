// Literals, comments and quoted names, matched left to right so that a `--` inside a string
// is not taken for a comment, nor a quote inside a comment for a string.
const TOKENS = /'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"]|"")*"|`[^`]*`/g;
// Numbers that stand alone (not the `1` of `t1`), and every placeholder style the database
// layer accepts: `$1`, `?`, `%s`, `:name` (but not a `::type` cast).
const NUMBERS = /(?<![\w$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])/gi;
const PLACEHOLDERS = /\$\d+|%s|(?<!:):[A-Za-z_]\w*/g;
// `IN (?, ?, ?)` and `VALUES (?, ?)` become `(?)`; then `(?), (?)` rows become one.
const LIST = /\(\s*\?(?:\s*,\s*\?)*\s*\)/g;
const ROWS = /\(\?\)(?:\s*,\s*\(\?\))+/g;
const SPACE = /\s+/g;

const MEMO_LIMIT = 2048;
const memo = new Map<string, string>();

function normalise(sql: string): string {
  return sql
    .replace(TOKENS, (token) => {
      const first = token[0];
      if (first === "'") return '?';
      if (first === '"' || first === '`') return token;
      return ' ';
    })
    .replace(PLACEHOLDERS, '?')
    .replace(NUMBERS, '?')
    .replace(LIST, '(?)')
    .replace(ROWS, '(?)')
    .replace(SPACE, ' ')
    .trim()
    .toLowerCase();
}

/**
 * The shape of a SQL statement: literals and parameters replaced by `?`, lists of them
 * collapsed, comments and extra whitespace removed, lower-cased. Two statements that differ
 * only in their values have the same shape — the key of N+1 detection.
 *
 * @example
 * queryShape("SELECT * FROM posts WHERE author_id = 7") // 'select * from posts where author_id = ?'
 * queryShape('SELECT * FROM posts WHERE author_id = $1') // the same
 */
export function queryShape(sql: string): string {
  let shape = memo.get(sql);
  if (shape === undefined) {
    shape = normalise(sql);
    // Apps run a bounded set of statement texts; a burst of ad-hoc SQL just restarts the memo.
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(sql, shape);
  }
  return shape;
}
