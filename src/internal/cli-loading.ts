/**
 * Set on `globalThis` by the `covet` command while it imports an app module. The seed's Quick
 * Start ends its module with `app.run()` (Python guards it with `if __name__ == "__main__"`,
 * which has no ESM equivalent on Node 20): while this is set, `app.run()` leaves serving to the
 * command, which runs the app itself with its own `--host`/`--port`. A `Symbol.for` key, so a
 * global `covet` command and the app's own copy of the package agree.
 */
export const kCliLoading: unique symbol = Symbol.for('covet.cli.loading');

/** Whether the `covet` command is importing an app module right now. */
export function cliLoading(): boolean {
  return (globalThis as { [kCliLoading]?: boolean })[kCliLoading] === true;
}

/** Runs `load` (the module import) with `cliLoading()` true. */
export async function whileCliLoading<T>(load: () => Promise<T>): Promise<T> {
  const global = globalThis as { [kCliLoading]?: boolean };
  global[kCliLoading] = true;
  try {
    return await load();
  } finally {
    delete global[kCliLoading];
  }
}
