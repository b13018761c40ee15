import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CliError, ExitCode } from './run.js';

/** Options of `covet new`. */
export interface NewProjectOptions {
  readonly name: string;
  /** Where to create the folder. Default the current directory. */
  readonly cwd?: string;
  /** The `covet` dependency, e.g. `^0.1.0` (default) or `file:../covet`. */
  readonly covetSpec: string;
}

const APP = `// The app: \`npm run dev\` serves it with reload, \`npm start\` serves the build.
import { CovetApp } from 'covet';

export const app = new CovetApp();

app.get('/', () => ({ message: 'Hello, World!' }));
app.get('/items/{id:int}', { name: 'get_item' }, (req) => ({ id: req.params.id }));
app.get('/health/live', () => ({ status: 'ok' }));
app.get('/health/ready', () => ({ status: 'ok' }));
`;

const TEST = `import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PerformanceTest, TestClient } from 'covet/testing';
import { app } from '../app.js';

describe('app', () => {
  it('says hello', async () => {
    await using client = new TestClient(app);
    const res = await client.get('/');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { message: 'Hello, World!' });
  });

  it('reads path parameters and answers health probes', async () => {
    await using client = new TestClient(app);
    assert.deepEqual((await client.get('/items/7')).json(), { id: 7 });
    assert.equal((await client.get('/items/x')).status, 404);
    assert.equal((await client.get('/health/live')).status, 200);
    assert.equal((await client.get('/health/ready')).status, 200);
  });

  it('stays fast under load', async () => {
    const result = await new PerformanceTest(app).loadTest('/', { concurrentUsers: 5, requestsPerUser: 10 });
    assert.equal(result.errorRate, 0);
    assert.ok(result.avgResponseTime < 1); // seconds
  });
});
`;

const DOCKERFILE = `# Multi-stage build: compile with dev dependencies, ship production dependencies and dist/.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 covet && useradd --system --uid 10001 --gid covet --no-create-home covet
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch('http://127.0.0.1:8000/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node_modules/.bin/covet", "run", "dist/app.js:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "auto"]
`;

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2023",
    "lib": ["ES2023", "ESNext.Disposable"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": ["node"],
    "strict": true,
    "skipLibCheck": true,
    "outDir": "dist"
  },
  "include": ["app.ts"]
}
`;

function readme(name: string): string {
  return `# ${name}

A [Covet](https://www.npmjs.com/package/covet) app.

\`\`\`sh
npm install
npm test          # the tests in tests/
npm run dev       # http://127.0.0.1:8000, restarts on changes
npm run build && npm start
npx covet routes app.ts
npx covet security-scan app.ts
docker build -t ${name} . && docker run -p 8000:8000 ${name}
\`\`\`
`;
}

/** `covet new NAME`: writes a project that passes its own tests after `npm install`. */
export function newProject(o: NewProjectOptions): string {
  // `covet new .` scaffolds into the current (empty) folder, named after it, as `npm create vite .` does.
  const dir = resolve(o.cwd ?? process.cwd(), o.name);
  const name = basename(dir);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name) || name.length > 214) {
    const given = name === o.name ? '' : ` (from "${o.name}")`;
    throw new CliError(`project name must be lowercase letters, digits, ".", "_" or "-", got "${name}"${given}`, ExitCode.usage);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new CliError(`${dir} exists and is not empty`, ExitCode.error);
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      dev: 'covet run app.ts:app --reload',
      build: 'tsc -p tsconfig.json',
      start: 'covet run dist/app.js:app',
      test: 'node --import tsx --test tests/*.test.ts',
    },
    dependencies: { covet: o.covetSpec },
    devDependencies: { '@types/node': '^20.19.0', tsx: '^4.23.15', typescript: '^7.0.2' },
  };
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'app.ts': APP,
    'tests/app.test.ts': TEST,
    'tsconfig.json': TSCONFIG,
    Dockerfile: DOCKERFILE,
    '.dockerignore': 'node_modules\ndist\n.git\n.env\n',
    '.gitignore': 'node_modules\ndist\n.env\n',
    '.env.example': '# Copy to .env for local settings; never commit .env.\nSECRET_KEY=\n',
    'README.md': readme(name),
  };
  for (const [file, text] of Object.entries(files)) {
    const path = join(dir, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}
