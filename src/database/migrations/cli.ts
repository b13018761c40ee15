import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseArgsMessage } from '../../internal/parse-args-message.js';
import { DatabaseManager } from '../database-manager.js';
import { driverName } from '../database-config.js';
import { mysqlDialect } from '../drivers/mysql-dialect.js';
import { postgresDialect } from '../drivers/postgres-dialect.js';
import { sqliteDialect } from '../drivers/sqlite-dialect.js';
import { Model } from '../orm/model.js';
import type { ModelClass } from '../orm/types.js';
import { createMigration } from './migration-files.js';
import { formatLintIssues, lintMigrations } from './migration-lint.js';
import { makeMigration } from './make-migration.js';
import { migrate, migrationFiles, migrationStatus } from './migrator.js';

const HELP = `covet migrate — database migrations

Usage:
  covet migrate up      [--steps N] [--allow-changed]
                                                apply pending migrations (--allow-changed: even
                                                when an applied migration's file was edited)
  covet migrate down    [--steps N]             revert the last N (default 1)
  covet migrate status                          list migrations and whether they are applied
  covet migrate create  NAME [--js]             write an empty migrations/NNNN_name.ts
  covet migrate make    NAME --models FILE [--js]
                                                write a migration from the difference between the
                                                models exported by FILE and the live schema
  covet migrate lint    [--dialect postgresql]  flag destructive or table-locking DDL

Options:
  --database URL     default: $DATABASE_URL (sqlite:///…, postgresql://…, mysql://…)
  --directory DIR    default: migrations

TypeScript migrations and models load through tsx when it is installed (npm i -D tsx), as
for covet run; or start with a loader: node --import tsx $(which covet) migrate up
`;

/** Options of `runMigrateCommand`. */
export interface MigrateCommandOptions {
  /**
   * Makes `import()` of a `.ts` file work before one is loaded (the CLI registers tsx, as
   * `covet run` does). Without it, TypeScript files need Node started with a loader.
   */
  readonly loadTypeScript?: (file: string) => Promise<void>;
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

/** Model classes exported by a module. */
async function loadModels(file: string): Promise<ModelClass[]> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const models = Object.values(mod).filter((v): v is ModelClass => typeof v === 'function' && v.prototype instanceof Model);
  if (models.length === 0) throw new Error(`${file} exports no Model classes`);
  return models;
}

const COMMANDS = new Set(['up', 'down', 'status', 'create', 'make', 'lint']);

function parseMigrateArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      database: { type: 'string' },
      directory: { type: 'string', default: 'migrations' },
      steps: { type: 'string' },
      models: { type: 'string' },
      dialect: { type: 'string' },
      js: { type: 'boolean', default: false },
      'allow-changed': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

/** Reports bad usage on stderr; exit code 2. */
function usage(message: string): number {
  process.stderr.write(`covet: ${message}\nRun "covet migrate --help" for usage.\n`);
  return 2;
}

/**
 * `covet migrate …`: the CLI's migration commands. Returns the exit code.
 *
 * @example
 * process.exitCode = await runMigrateCommand(['up', '--database', 'sqlite:///app.db']);
 */
export async function runMigrateCommand(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  options: MigrateCommandOptions = {},
): Promise<number> {
  let parsed: ReturnType<typeof parseMigrateArgs>;
  try {
    parsed = parseMigrateArgs(argv);
  } catch (err) {
    return usage(parseArgsMessage(err));
  }
  const { values, positionals } = parsed;
  const [command, name] = positionals;
  if (values.help || command === undefined) {
    out(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  // Bad usage is exit code 2, found before anything is loaded or connected.
  if (!COMMANDS.has(command)) return usage(`unknown command "${command}"`);
  if (positionals.length > (command === 'create' || command === 'make' ? 2 : 1)) return usage(`unexpected argument "${positionals.at(-1)}"`);
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  // `--steps 0` would do nothing and report success: a slip, not a request.
  if (steps !== undefined && !(values.steps !== '' && Number.isInteger(steps) && steps >= 1)) return usage(`--steps takes a positive integer, got ${values.steps}`);
  if (values['allow-changed'] && command !== 'up') return usage('--allow-changed goes with covet migrate up');
  if (command === 'make' && name === undefined) return usage('covet migrate make needs a NAME');
  if (command === 'make' && values.models === undefined) return usage('covet migrate make needs --models FILE (a module exporting the Model classes)');
  const directory = values.directory;
  const language = values.js ? 'js' : 'ts';
  if (command === 'create') {
    if (name === undefined) return usage('covet migrate create needs a NAME (covet migrate create "add users")');
    out(`created ${await createMigration(name, { directory, language })}\n`);
    return 0;
  }
  if (options.loadTypeScript !== undefined) {
    // Every other command imports the migrations (and `make` the models module).
    const typescript = (await migrationFiles(directory)).find((f) => TYPESCRIPT.test(f));
    if (typescript !== undefined) await options.loadTypeScript(resolve(directory, typescript));
    if (command === 'make' && values.models !== undefined && TYPESCRIPT.test(values.models)) await options.loadTypeScript(values.models);
  }
  if (command === 'lint') {
    const url = values.database ?? process.env.DATABASE_URL;
    const dialectName = driverName(values.dialect ?? (url === undefined ? 'postgresql' : (/^([a-z0-9]+)/i.exec(url)?.[1] ?? 'postgresql')));
    const dialect = dialectName === 'postgresql' ? postgresDialect : dialectName === 'mysql' ? mysqlDialect : sqliteDialect;
    const issues = await lintMigrations({ directory, dialect });
    out(issues.length === 0 ? `no issues (${dialect.title})\n` : `${formatLintIssues(issues)}\n`);
    return issues.some((i) => i.severity === 'error') ? 1 : 0;
  }
  const url = values.database ?? process.env.DATABASE_URL;
  if (url === undefined) throw new Error('Give --database URL or set DATABASE_URL');
  const db = new DatabaseManager(url);
  try {
    switch (command) {
      case 'up':
      case 'down': {
        const result = await migrate(command, {
          db,
          directory,
          ...(steps === undefined ? {} : { steps }),
          ...(values['allow-changed'] ? { allowChanged: true } : {}),
          log: (line) => out(`${line}\n`),
        });
        if (result.migrations.length === 0) out(command === 'up' ? 'nothing to apply\n' : 'nothing to revert\n');
        return 0;
      }
      case 'status': {
        const rows = await migrationStatus({ db, directory });
        if (rows.length === 0) out(`no migrations in ${directory}\n`);
        for (const r of rows) {
          const state = r.missing
            ? 'applied, file missing'
            : r.changed
              ? 'applied, CHANGED since'
              : r.applied
                ? `applied (batch ${r.batch})`
                : 'pending';
          out(`${r.applied ? '[x]' : '[ ]'} ${r.name}  ${state}\n`);
        }
        return 0;
      }
      case 'make': {
        const made = await makeMigration({ db, models: await loadModels(values.models as string), name: name as string, directory, language });
        if (made === null) {
          out('the models match the database: nothing to do\n');
          return 0;
        }
        out(`created ${made.file}\n`);
        if (made.issues.length > 0) out(`${formatLintIssues(made.issues)}\n`);
        for (const note of made.notes) out(`note: ${note}\n`);
        return 0;
      }
      default:
        // `lint` and `create` returned above; COMMANDS holds nothing else.
        throw new Error(`unhandled command ${command}`);
    }
  } finally {
    await db.close();
  }
}
