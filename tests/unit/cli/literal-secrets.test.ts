import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findLiteralSecrets } from '../../../src/cli/literal-secrets.js';

describe('findLiteralSecrets', () => {
  it("finds the seed's positional secret and secret-named properties set to literals, with their lines", () => {
    const source = [
      'const a = new JWTAuth("secret-key");',
      "const b = new JWTAuth({ secretKey: 'changeme' });",
      'const c = new JWTAuth({',
      "  algorithm: 'HS256',",
      '  secretKey: `short`,',
      '});',
      "const d = { 'client_secret': 'x', \"JWT_SECRET\": 'y', token: 'not-a-secret-name' };",
      "const e = new JWTAuth<Claims>('typed');",
    ].join('\n');
    assert.deepEqual(findLiteralSecrets(source), [
      { line: 1, name: 'JWTAuth', values: ['secret-key'] },
      { line: 2, name: 'secretKey', values: ['changeme'] },
      { line: 5, name: 'secretKey', values: ['short'] },
      { line: 7, name: 'client_secret', values: ['x'] },
      { line: 7, name: 'JWT_SECRET', values: ['y'] },
      { line: 8, name: 'JWTAuth', values: ['typed'] },
    ]);
  });

  it('finds secret-named variables, class fields and arrays of literals', () => {
    const source = [
      "const JWT_SECRET = 'dev';",
      'let sessionSecret: string = "s\\x41\\u0042\\n";',
      'class Settings extends Config {',
      "  SECRET_KEY = 'supersecret';",
      "  static readonly secret = 'x';",
      '}',
      "const keys = { secretKey: ['old', \"new\",] };",
    ].join('\n');
    assert.deepEqual(findLiteralSecrets(source), [
      { line: 1, name: 'JWT_SECRET', values: ['dev'] },
      { line: 2, name: 'sessionSecret', values: ['sAB\n'] },
      { line: 4, name: 'SECRET_KEY', values: ['supersecret'] },
      { line: 5, name: 'secret', values: ['x'] },
      { line: 7, name: 'secretKey', values: ['old', 'new'] },
    ]);
  });

  it('finds the literals secret environment variables fall back to, naming the variable', () => {
    const source = [
      "new JWTAuth(process.env.JWT_SECRET ?? 'dev-secret');",
      "const auth = new JWTAuth({ secretKey: process.env.KEY || 'changeme' });",
      'const SESSION_SECRET = process.env[\'SESSION_SECRET\'] ?? "s";',
      "app.use(session(process.env.COOKIE_SECRET || 'keyboard cat'));",
      "const keys = { clientSecret: process.env . CLIENT ?? ['a', 'b'] };",
      "const port = process.env.PORT ?? '8000';",
      "const x = { secret: process.env.A ?? 'a' + b };",
      "const y = { token: process.env.TOKEN ?? 'not-a-secret-name' };",
    ].join('\n');
    assert.deepEqual(findLiteralSecrets(source), [
      { line: 1, name: 'JWTAuth', values: ['dev-secret'], fallback: 'JWT_SECRET' },
      { line: 2, name: 'secretKey', values: ['changeme'], fallback: 'KEY' },
      { line: 3, name: 'SESSION_SECRET', values: ['s'], fallback: 'SESSION_SECRET' },
      { line: 4, name: 'COOKIE_SECRET', values: ['keyboard cat'], fallback: 'COOKIE_SECRET' },
      { line: 5, name: 'clientSecret', values: ['a', 'b'], fallback: 'CLIENT' },
    ]);
  });

  it('leaves out values computed at run time and commented-out code', () => {
    const source = [
      'new JWTAuth(process.env.JWT_SECRET);',
      'new JWTAuth({ secretKey: process.env.JWT_SECRET });',
      "new JWTAuth({ secretKey: 'prefix-' + suffix });",
      'new JWTAuth({ secretKey: `${a}-b` });',
      "const secret = isProd ? env.secret('SECRET_KEY') : 'dev';",
      "const x = isProd ? secret : 'dev';",
      "if (secret === 'changeme') throw new Error('weak');",
      "// new JWTAuth('secret')",
      "/** @example new JWTAuth({ secretKey: 'your-secret-key' }) */",
      'interface O { readonly secretKey: string }',
    ].join('\n');
    assert.deepEqual(findLiteralSecrets(source), []);
  });
});
