import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** `"Add age to users"` → `add_age_to_users`. */
export function migrationSlug(name: string): string {
  const slug = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (slug === '') throw new TypeError('A migration needs a name (letters or digits)');
  return slug;
}

/** `add_age_to_users` → `AddAgeToUsers`. */
export function migrationClassName(slug: string): string {
  const name = slug.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
  return /^[0-9]/.test(name) ? `M${name}` : name;
}

/** The next `NNNN` prefix in a directory (`0001` when empty). */
export async function nextMigrationNumber(directory: string): Promise<string> {
  let names: string[] = [];
  try {
    names = await readdir(resolve(directory));
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
  const max = Math.max(0, ...names.map((n) => Number(/^(\d+)_/.exec(n)?.[1] ?? 0)));
  return String(max + 1).padStart(4, '0');
}

/** Options of `createMigration`. */
export interface CreateMigrationOptions {
  /** Default `migrations`. */
  readonly directory?: string;
  /** `ts` (default) or `js`. */
  readonly language?: 'ts' | 'js';
  /** SQL for `up()` / `down()` (empty placeholders by default). */
  readonly up?: readonly string[];
  readonly down?: readonly string[];
  /** Comment lines at the top of the file. */
  readonly header?: readonly string[];
  /** Import `Migration` from here. Default `covet/database`. */
  readonly importFrom?: string;
  /** `false` writes `foreignKeys = false` (SQLite: enforcement off while it runs, checked before commit). */
  readonly foreignKeys?: boolean;
}

function sqlList(statements: readonly string[], indent: string): string {
  if (statements.length === 0) return `${indent}return [];`;
  return `${indent}return [\n${statements.map((s) => `${indent}  ${JSON.stringify(s)},`).join('\n')}\n${indent}];`;
}

/**
 * Writes `migrations/NNNN_name.ts` with a `Migration` class (the CLI's `covet migrate create`).
 * Returns the file's path.
 *
 * @example
 * const file = await createMigration('add age to users', { up: ['ALTER TABLE users ADD COLUMN age INTEGER'] });
 */
export async function createMigration(name: string, options: CreateMigrationOptions = {}): Promise<string> {
  const directory = options.directory ?? 'migrations';
  const slug = migrationSlug(name);
  const language = options.language ?? 'ts';
  const file = join(resolve(directory), `${await nextMigrationNumber(directory)}_${slug}.${language}`);
  const header = (options.header ?? []).map((l) => `// ${l}`.trimEnd()).join('\n');
  const up = options.up ?? [];
  const down = options.down ?? [];
  const body = [
    header,
    `import { Migration } from '${options.importFrom ?? 'covet/database'}';`,
    '',
    `export default class ${migrationClassName(slug)} extends Migration {`,
    ...(options.foreignKeys === false
      ? [
          '  // SQLite: foreign keys off while the tables are rebuilt, checked (PRAGMA foreign_key_check) before commit.',
          `  ${language === 'ts' ? 'override ' : ''}foreignKeys = false;`,
          '',
        ]
      : []),
    '  up() {',
    up.length === 0 && options.up === undefined
      ? "    return ''; // SQL, a list of statements, or run queries with ctx.db"
      : sqlList(up, '    '),
    '  }',
    '',
    '  down() {',
    down.length === 0 && options.down === undefined ? "    return '';" : sqlList(down, '    '),
    '  }',
    '}',
    '',
  ]
    .filter((line, i) => i > 0 || line !== '')
    .join('\n');
  await mkdir(resolve(directory), { recursive: true });
  await writeFile(file, body, { flag: 'wx' });
  return file;
}
