import { readFile, stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { findLiteralSecrets, type LiteralSecret } from './literal-secrets.js';
import { stripComments } from './strip-comments.js';

/** A literal secret with the file it is in (relative to the scan's `cwd`, `/`-separated). */
export interface SourceSecret extends LiteralSecret {
  readonly file: string;
}

const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
// `import … from './x.js'`, `export … from './x.js'`, `import './x.js'`, `import('./x.js')`, `require('./x.js')`.
const RELATIVE_IMPORT = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*(['"])(\.{1,2}\/[^'"\n]*)\1/g;
/** Bounds on the walk: an app's own modules, not a bundle or a vendored tree. */
const MAX_FILES = 2000;
const MAX_BYTES = 2 * 1024 * 1024;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The file a relative specifier names, as Node or TypeScript resolves it (`./x.js` may be `./x.ts`). */
async function resolveSpecifier(from: string, specifier: string): Promise<string | null> {
  const base = resolve(dirname(from), specifier.split(/[?#]/, 1)[0] as string);
  const candidates = SOURCE.test(base)
    ? [base, base.replace(/\.([cm]?)js$/, '.$1ts').replace(/\.jsx$/, '.tsx')]
    : ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'].map((ext) => base + ext);
  for (const candidate of candidates) if (await isFile(candidate)) return candidate;
  return null;
}

/**
 * The literal secrets (see `findLiteralSecrets`) in the app's own source: `entry` and every
 * module it imports by a relative path, transitively. Packages (bare specifiers and anything
 * under `node_modules`) are not read.
 *
 * @example
 * await scanSourceSecrets('app.ts') // [{ file: 'auth.ts', line: 3, name: 'JWTAuth', values: ['secret-key'] }]
 */
export async function scanSourceSecrets(entry: string, cwd: string = process.cwd()): Promise<SourceSecret[]> {
  const out: SourceSecret[] = [];
  const seen = new Set<string>();
  const queue = [resolve(cwd, entry)];
  while (queue.length > 0 && seen.size < MAX_FILES) {
    const file = queue.shift() as string;
    if (seen.has(file) || file.split(sep).includes('node_modules')) continue;
    seen.add(file);
    let source: string;
    try {
      if ((await stat(file)).size > MAX_BYTES) continue;
      source = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const name = relative(cwd, file).split(sep).join('/');
    for (const secret of findLiteralSecrets(source)) out.push({ file: name, ...secret });
    for (const m of stripComments(source).matchAll(RELATIVE_IMPORT)) {
      const target = await resolveSpecifier(file, m[2] as string);
      if (target !== null && !seen.has(target)) queue.push(target);
    }
  }
  return out;
}
