/**
 * The message of a `node:util` `parseArgs` error, said the way the `covet` command says its
 * other usage errors. Node's text for an unknown option is a paragraph about positional
 * arguments that start with `-` (with an unbalanced quote); a user who mistyped a flag needs
 * its name. The other `parseArgs` messages (`Option '--port <value>' argument missing`) are kept.
 *
 * @example
 * parseArgsMessage(err) // "unknown option --wrokers"
 */
export function parseArgsMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /^Unknown option '([^']*)'/.exec(err.message);
    if (m !== null) return `unknown option ${m[1]}`;
  }
  return err.message;
}
