// The shape of `covet/security`: zero runtime dependencies, a curated index, and a core that
// knows nothing of it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as security from '../../../src/security/index.js';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

describe('covet/security module', () => {
  it('imports only node: built-ins and its own or core files (ioredis only lazily, on demand)', () => {
    for (const file of readdirSync(join(SRC, 'security'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(SRC, 'security', file), 'utf8');
      for (const [, spec] of text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
        assert.ok(spec?.startsWith('node:') || spec?.startsWith('./') || spec?.startsWith('../'), `${file} imports ${spec}`);
      }
      for (const [, spec] of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) assert.equal(spec, 'ioredis', `${file} loads ${spec}`);
    }
  });

  it('is not imported by the core', () => {
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
      assert.ok(!/from ['"]\.\/security\//.test(readFileSync(join(SRC, file), 'utf8')), `src/${file} imports covet/security`);
    }
  });

  it('compares secrets with safeEqual: equal contents only, whatever the lengths and types', () => {
    assert.equal(security.safeEqual('abc', 'abc'), true);
    assert.equal(security.safeEqual('abc', 'abd'), false);
    assert.equal(security.safeEqual('abc', 'abcd'), false);
    assert.equal(security.safeEqual('', ''), true);
    assert.equal(security.safeEqual(Buffer.from('abc'), 'abc'), true);
    assert.equal(security.safeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  });

  it('exports the classes of the seed', () => {
    for (const name of ['JWTAuth', 'RoleBasedAccessControl', 'CORSMiddleware', 'CSRFProtection', 'Validator', 'ValidationError', 'InputValidator', 'XSSProtector', 'SQLInjectionProtector', 'SecurityHeaders', 'SecurityConfig']) {
      assert.equal(typeof (security as Record<string, unknown>)[name], 'function', name);
    }
  });
});
