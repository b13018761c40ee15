// Runs the documentation's examples: every ```ts block in docs/*.md whose first line is
// `// runnable` is written to a temp file, its `covet` imports pointed at src/, and run with
// `node --import tsx`. Each example asserts its own results, so exit code 0 means the docs
// still match the code. The temp folder is tests/.tmp-docs-<pid>/, removed afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = join(ROOT, 'docs');
// One folder per run, so two runs in one checkout never delete each other's files.
const TMP = join(ROOT, 'tests', `.tmp-docs-${process.pid}`);
const MARKER = '// runnable';
const PAGES = ['core.md', 'routing.md', 'middleware.md', 'dependencies.md', 'server.md', 'testing.md'];

/** `covet` → src/index.ts, `covet/<sub>` → src/<sub>/index.ts (the package's subpath exports). */
function entryPoint(name: string): string | undefined {
  if (name === 'covet') return join(ROOT, 'src', 'index.ts');
  const file = join(ROOT, 'src', name.slice('covet/'.length), 'index.ts');
  return existsSync(file) ? file : undefined;
}

interface Example {
  readonly page: string;
  readonly index: number;
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a page whose first line is the runnable marker. */
function runnableExamples(page: string): Example[] {
  const text = readFileSync(join(DOCS, page), 'utf8');
  const out: Example[] = [];
  const fence = /^```ts[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    const code = m[1] ?? '';
    if (code.split('\n', 1)[0]?.trim() !== MARKER) continue;
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ page, index: out.length + 1, line, code });
  }
  return out;
}

/** Points `from 'covet'` and its subpaths at the source files. */
function rewriteImports(code: string): string {
  return code.replace(/(\bfrom\s+)(['"])(covet(?:\/[a-z]+)*)\2/g, (whole, from: string, quote: string, name: string) => {
    const target = entryPoint(name);
    return target === undefined ? whole : `${from}${quote}${target}${quote}`;
  });
}

function run(file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('docs examples', () => {
  before(() => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
  });
  after(() => {
    rmSync(TMP, { recursive: true, force: true });
  });

  it('rewrites covet imports to the source entry points', () => {
    const code = `import { CovetApp } from 'covet';\nimport { TestClient } from "covet/testing";\nimport x from 'covet-other';`;
    assert.equal(
      rewriteImports(code),
      `import { CovetApp } from '${entryPoint('covet')}';\nimport { TestClient } from "${entryPoint('covet/testing')}";\nimport x from 'covet-other';`,
    );
  });

  it('has every documentation page', () => {
    const present = readdirSync(DOCS).filter((name) => name.endsWith('.md'));
    for (const page of PAGES) assert.ok(present.includes(page), `docs/${page} is missing`);
  });

  const pages = readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .sort();
  for (const page of pages) {
    const examples = runnableExamples(page);
    if (PAGES.includes(page)) {
      it(`marks at least two examples of ${page} runnable`, () => {
        assert.ok(examples.length >= 2, `docs/${page} has ${examples.length} runnable example(s)`);
      });
    }
    for (const example of examples) {
      it(`runs docs/${page} example ${example.index} (line ${example.line})`, { timeout: 90_000 }, async () => {
        const file = join(TMP, `${page.replace(/\.md$/, '')}-${example.index}.ts`);
        writeFileSync(file, rewriteImports(example.code));
        // Each file lives only while it runs, so the folder is empty between examples.
        const { code, signal, output } = await run(file).finally(() => rmSync(file, { force: true }));
        assert.equal(signal, null, `docs/${page}:${example.line} was killed by ${signal}\n${output}`);
        assert.equal(code, 0, `docs/${page}:${example.line} exited with ${code}\n${output}`);
      });
    }
  }
});
