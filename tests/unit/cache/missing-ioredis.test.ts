// ioredis is an optional peer: importing covet/cache never loads it, and the first Redis
// operation without it installed fails with an error naming the package. Proved by running a
// copy of src/ from a temp folder, where `ioredis` cannot be resolved.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const SCRIPT = `
import { CacheManager, MultiLevelCache, cachePage } from './src/cache/index.ts';
const out = {};
const memory = new CacheManager();
await memory.set('k', 1);
out.memory = await memory.get('k');
const cache = new CacheManager('redis://127.0.0.1:6379');
try { await cache.get('k'); out.get = 'no error'; } catch (e) { out.get = { code: e.code, message: e.message }; }
const multi = new MultiLevelCache([{ type: 'memory', size: 10 }, { type: 'redis', url: 'redis://127.0.0.1:6379' }]);
try { await multi.set('k', 1); out.multi = 'no error'; } catch (e) { out.multi = e.code; }
out.page = typeof cachePage({ ttl: 1 }, () => 1);
console.log(JSON.stringify(out));
`;

describe('covet/cache without ioredis installed', { timeout: 60_000 }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'covet-no-ioredis-'));
    await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'check.mts'), SCRIPT);
  });
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('loads, works in memory, and names the missing package on the first Redis use', async () => {
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    const { stdout } = await run(process.execPath, ['--import', tsx, join(dir, 'check.mts')], { cwd: dir });
    const out = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    assert.equal(out.memory, 1);
    assert.equal(out.page, 'function');
    const get = out.get as { code: string; message: string };
    assert.equal(get.code, 'ERR_MISSING_DEPENDENCY');
    assert.match(get.message, /"ioredis" package.*npm install ioredis/);
    assert.equal(out.multi, 'ERR_MISSING_DEPENDENCY');
  });
});
