/**
 * Set on `globalThis` by the `covet` command while it imports an app module. The seed's Quick
 * Start ends its module with `app.run()` (Python guards it with `if __name__ == "__main__"`,
 * which has no ESM equivalent on Node 20): while this is set, `app.run()` leaves serving to the
 * command, which runs the app itself with its own `--host`/`--port`. A `Symbol.for` key, so a
 * global `covet` command and the app's own copy of the package agree.
 */
export const kCliLoading: unique symbol = Symbol.for('covet.cli.loading');

/**
 * The apps whose `run()`/`listen()` was skipped while the command imported the module, so a
 * module that does not export its app (the README's example: `const app = …; await
 * app.listen(…)`) can still be served. Also a `Symbol.for` key, for the same reason.
 */
export const kCliSkippedApps: unique symbol = Symbol.for('covet.cli.skippedApps');

type CliGlobal = { [kCliLoading]?: boolean; [kCliSkippedApps]?: unknown[] };

/** Whether the `covet` command is importing an app module right now. */
export function cliLoading(): boolean {
  return (globalThis as CliGlobal)[kCliLoading] === true;
}

/** Notes an app whose `run()`/`listen()` the command skipped (see `whileCliLoading`). */
export function noteSkippedApp(app: unknown): void {
  const apps = (globalThis as CliGlobal)[kCliSkippedApps];
  if (apps !== undefined && !apps.includes(app)) apps.push(app);
}

/**
 * Runs `load` (the module import) with `cliLoading()` true; returns its result and the apps
 * whose `run()`/`listen()` was skipped meanwhile.
 */
export async function whileCliLoading<T>(load: () => Promise<T>): Promise<{ readonly value: T; readonly skippedApps: readonly unknown[] }> {
  const global = globalThis as CliGlobal;
  const skippedApps: unknown[] = [];
  global[kCliLoading] = true;
  global[kCliSkippedApps] = skippedApps;
  try {
    return { value: await load(), skippedApps };
  } finally {
    delete global[kCliLoading];
    delete global[kCliSkippedApps];
  }
}
