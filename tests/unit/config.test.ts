import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Config, ConfigError, CovetApp, env, loadDotEnv, parseDotEnv, Secret } from '../../src/index.js';

describe('parseDotEnv', () => {
  it('reads comments, export, quotes, escapes, multi-line values and references', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value # trailing comment',
      'export EXPORTED=yes',
      "SINGLE='lit ${PLAIN} \\n'",
      'DOUBLE="a\\nb \\"q\\""',
      'MULTI="line1',
      'line2"',
      'REF=${PLAIN}-x',
      'EMPTY=',
      'SPACED = padded ',
    ].join('\n');
    assert.deepEqual(parseDotEnv(text), {
      PLAIN: 'value',
      EXPORTED: 'yes',
      SINGLE: 'lit ${PLAIN} \\n',
      DOUBLE: 'a\nb "q"',
      MULTI: 'line1\nline2',
      REF: 'value-x',
      EMPTY: '',
      SPACED: 'padded',
    });
  });

  it('reads values as dotenv does: multi-line single quotes and backquotes, \\$ for a literal $, a __proto__ key kept', () => {
    const text = [
      'PLAIN=v',
      "KEY='-----BEGIN KEY-----",
      "abc ${PLAIN}",
      "-----END KEY-----'",
      'TICK=`say "hi" and \'bye\' ${PLAIN}`',
      'PRICE="\\${PLAIN} costs \\$5"',
      'BARE=\\$HOME',
      '__proto__=polluted',
    ].join('\n');
    const parsed = parseDotEnv(text, '.env', { after: {} });
    assert.equal(parsed.KEY, '-----BEGIN KEY-----\nabc ${PLAIN}\n-----END KEY-----');
    assert.equal(parsed.TICK, 'say "hi" and \'bye\' v');
    assert.equal(parsed.PRICE, '${PLAIN} costs $5');
    assert.equal(parsed.BARE, '$HOME');
    assert.ok(Object.hasOwn(parsed, '__proto__'));
    assert.equal(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, 'polluted');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it('rejects malformed lines with the file and line number', () => {
    assert.throws(() => parseDotEnv('A=1\nnot a pair\n', 'config/.env'), {
      name: 'ConfigError',
      message: 'config/.env:2: expected KEY=value, got "not…"',
    });
    assert.throws(() => parseDotEnv('A="open\nB=2'), /\.env:1: unterminated " quote in the value of A/);
    assert.throws(() => parseDotEnv("A='x' junk"), /\.env:1: unexpected text after the quoted value of A/);
    assert.throws(() => parseDotEnv('1BAD=x'), /\.env:1: expected KEY=value/);
    // The rest of a broken line is never shown: it may be a secret.
    assert.throws(() => parseDotEnv('API_KEY: sk-live-123456'), { message: '.env:1: expected KEY=value, got "API_KEY…"' });
    assert.throws(() => parseDotEnv('oops'), { message: '.env:1: expected KEY=value, got "oops"' });
  });

  it('loadDotEnv fills the environment without replacing set variables; a missing file is fine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-env-'));
    try {
      writeFileSync(join(dir, '.env'), 'A=from-file\nB=from-file\n');
      const target: NodeJS.ProcessEnv = { A: 'real' };
      assert.deepEqual(loadDotEnv(join(dir, '.env'), { env: target }), { A: 'from-file', B: 'from-file' });
      assert.deepEqual(target, { A: 'real', B: 'from-file' });
      assert.deepEqual(loadDotEnv(join(dir, 'missing.env'), { env: target }), {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

class ProductionConfig extends Config {
  DATABASE_URL = env.string('DATABASE_URL');
  PORT = env.integer('PORT', 8000);
  DEBUG = env.boolean('DEBUG', false);
  ALLOWED_HOSTS = env.list('ALLOWED_HOSTS', ['localhost']);
  LOG_LEVEL = env.oneOf('LOG_LEVEL', ['debug', 'info', 'warn'], 'info');
  SECRET_KEY = env.secret('SECRET_KEY');
  CACHE_TTL = 3600;
}

class DevelopmentConfig extends Config {
  DEBUG = env.boolean('DEBUG', true);
}

describe('Config subclasses with typed env fields', () => {
  const good = {
    DATABASE_URL: 'postgresql://app:hunter2@db:5432/app',
    PORT: '9000',
    DEBUG: 'no',
    ALLOWED_HOSTS: 'a.example, b.example',
    SECRET_KEY: 's3cr3t-value-that-is-long-enough',
  };

  it('types the values and works as app.config', () => {
    const config = Config.load(ProductionConfig, { env: good, files: [] });
    assert.equal(config.PORT, 9000);
    assert.equal(config.DEBUG, false);
    assert.deepEqual(config.ALLOWED_HOSTS, ['a.example', 'b.example']);
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.SECRET_KEY.reveal(), 's3cr3t-value-that-is-long-enough');
    const app = new CovetApp({ config });
    assert.equal(app.config.get('CACHE_TTL', 60), 3600);
  });

  it('fails fast naming every missing required variable', () => {
    assert.throws(() => Config.load(ProductionConfig, { env: {}, files: [] }), {
      name: 'ConfigError',
      message: 'ProductionConfig: missing required settings DATABASE_URL, SECRET_KEY: set them in the environment or in .env',
    });
    // Outside Config.load the first missing value throws at once.
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      assert.throws(() => new ProductionConfig(), /DATABASE_URL is required: set it in the environment or in \.env/);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  it('rejects malformed typed values naming the variable', () => {
    assert.throws(() => Config.load(ProductionConfig, { env: { ...good, PORT: 'http' }, files: [] }), /PORT must be a number, got "http"/);
    assert.throws(() => Config.load(ProductionConfig, { env: { ...good, PORT: '80.5' }, files: [] }), /PORT must be an integer/);
    for (const big of ['9007199254740993', '99999999999999999999', '1e300']) {
      assert.throws(() => Config.load(ProductionConfig, { env: { ...good, PORT: big }, files: [] }), {
        message: `PORT must be an integer between -9007199254740991 and 9007199254740991, got "${big}"`,
      });
    }
    assert.equal(Config.load(ProductionConfig, { env: { ...good, PORT: '9007199254740991' }, files: [] }).PORT, 9007199254740991);
    assert.throws(() => Config.load(ProductionConfig, { env: { ...good, DEBUG: 'maybe' }, files: [] }), /DEBUG must be true or false/);
    assert.throws(() => Config.load(ProductionConfig, { env: { ...good, LOG_LEVEL: 'loud' }, files: [] }), /LOG_LEVEL must be one of debug, info, warn/);
    // Decimal numbers only.
    for (const port of ['0x1F90', '1e', ' ', '0b11']) {
      assert.throws(() => Config.load(ProductionConfig, { env: { ...good, PORT: port }, files: [] }), /PORT must be a number/, port);
    }
  });

  it('never quotes the value of a secret-named variable in an error', () => {
    class DbConfig extends Config {
      DB_PASSWORD_LENGTH = env.number('DB_PASSWORD_LENGTH');
      API_TOKEN_TTL = env.integer('API_TOKEN_TTL');
    }
    assert.throws(
      () => Config.load(DbConfig, { env: { DB_PASSWORD_LENGTH: 'hunter2-super-secret', API_TOKEN_TTL: '1' }, files: [] }),
      (err: Error) => err instanceof ConfigError && /^DB_PASSWORD_LENGTH must be a number, got \*+$/.test(err.message) && !err.message.includes('hunter2'),
    );
    assert.throws(
      () => Config.load(DbConfig, { env: { DB_PASSWORD_LENGTH: '3', API_TOKEN_TTL: '2.5' }, files: [] }),
      (err: Error) => /API_TOKEN_TTL must be an integer, got \*+$/.test(err.message) && !err.message.includes('2.5'),
    );
  });

  it('reads .env and .env.<NODE_ENV>, the real environment winning; a malformed file fails clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-config-'));
    try {
      writeFileSync(join(dir, '.env'), 'DATABASE_URL=sqlite:///app.db\nSECRET_KEY=from-dotenv\nPORT=7000\n');
      writeFileSync(join(dir, '.env.production'), 'PORT=7500\n');
      const files = [join(dir, '.env'), join(dir, '.env.production')];
      const config = Config.load(ProductionConfig, { env: { DEBUG: 'true' }, files });
      assert.equal(config.DATABASE_URL, 'sqlite:///app.db');
      assert.equal(config.PORT, 7500);
      assert.equal(config.DEBUG, true);
      assert.equal(Config.load(ProductionConfig, { env: { PORT: '1' }, files }).PORT, 1);
      writeFileSync(join(dir, '.env'), 'GOOD=1\n=oops\n');
      assert.throws(() => Config.load(ProductionConfig, { env: {}, files }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /\.env:2: expected KEY=value/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('${NAME} in a .env file means the value NAME ends up with: the real environment, else the files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'covet-config-'));
    const unset = `COVET_TEST_UNSET_${process.pid}`;
    try {
      writeFileSync(join(dir, '.env'), `HOST=localhost\nURL=postgres://\${HOST}/app\nLEAK=[\${${unset}}]\n`);
      writeFileSync(join(dir, '.env.production'), 'API=http://${HOST}:9000\n');
      const files = [join(dir, '.env'), join(dir, '.env.production')];
      class Urls extends Config {
        HOST = env.string('HOST');
        URL = env.string('URL');
        API = env.string('API');
        LEAK = env.string('LEAK');
      }
      const fromFiles = Config.load(Urls, { env: {}, files });
      assert.deepEqual([fromFiles.HOST, fromFiles.URL, fromFiles.API], ['localhost', 'postgres://localhost/app', 'http://localhost:9000']);
      process.env[unset] = 'from-process-env';
      const real = Config.load(Urls, { env: { HOST: 'db.internal' }, files });
      assert.deepEqual([real.HOST, real.URL, real.API], ['db.internal', 'postgres://db.internal/app', 'http://db.internal:9000']);
      assert.equal(real.LEAK, '[]', 'an explicit env replaces process.env entirely');

      const target: NodeJS.ProcessEnv = { HOST: 'db.internal' };
      loadDotEnv(join(dir, '.env'), { env: target });
      assert.equal(target.URL, 'postgres://db.internal/app');
      const overridden: NodeJS.ProcessEnv = { HOST: 'db.internal' };
      loadDotEnv(join(dir, '.env'), { env: overridden, override: true });
      assert.equal(overridden.URL, 'postgres://localhost/app');
    } finally {
      delete process.env[unset];
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('picks the class for the environment', () => {
    const classes = { development: DevelopmentConfig, production: ProductionConfig };
    assert.ok(Config.forEnvironment(classes, { env: { NODE_ENV: 'development' }, files: [] }) instanceof DevelopmentConfig);
    assert.ok(Config.forEnvironment(classes, { env: { ...good, NODE_ENV: 'production' }, files: [] }) instanceof ProductionConfig);
    assert.throws(() => Config.forEnvironment(classes, { environment: 'staging', files: [] }), /no config for environment "staging"/);
  });

  it('never prints secrets', () => {
    const config = Config.load(ProductionConfig, { env: { ...good, API_TOKEN: 'x' }, files: [] });
    const plain = new Config({ DB_PASSWORD: 'pw', api_key: 'k', name: 'shop', JWT_SECRET: new Secret('j') });
    for (const shown of [JSON.stringify(config), inspect(config), String(config.SECRET_KEY), `${config.SECRET_KEY}`, JSON.stringify(plain), inspect(plain)]) {
      assert.doesNotMatch(shown, /hunter2|s3cr3t|"pw"|'pw'|"k"|'k'/);
    }
    assert.match(JSON.stringify(config), /"DATABASE_URL":"postgresql:\/\/app:\*{8}@db:5432\/app"/);
    assert.match(JSON.stringify(config), /"SECRET_KEY":"\*{8}"/);
    assert.match(inspect(plain), /name: 'shop'/);
    assert.equal(inspect(new Secret('x')), 'Secret(********)');
  });
});
