import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError, maxRestartsFrom, parsePort } from '../../../src/cli/run.js';

describe('covet run: the port', () => {
  it('takes --port, else $PORT, else 8000; an empty PORT counts as unset, as in a Config', () => {
    assert.equal(parsePort('9000', '7000'), 9000);
    assert.equal(parsePort(undefined, '7000'), 7000);
    assert.equal(parsePort(undefined, undefined), 8000);
    assert.equal(parsePort(undefined, ''), 8000);
    assert.equal(parsePort('0', undefined), 0);
  });

  it('refuses what is not an integer 0-65535 with exit code 2, naming where it came from', () => {
    const refuses = (flag: string | undefined, env: string | undefined, message: string): void => {
      assert.throws(
        () => parsePort(flag, env),
        (err: unknown) => err instanceof CliError && err.exitCode === 2 && err.message === message,
      );
    };
    refuses('eighty', undefined, '--port must be an integer 0-65535, got eighty');
    refuses('', '7000', '--port must be an integer 0-65535, got ');
    refuses('65536', undefined, '--port must be an integer 0-65535, got 65536');
    refuses(undefined, 'abc', 'PORT (from the environment) must be an integer 0-65535, got abc');
    refuses(undefined, '80.5', 'PORT (from the environment) must be an integer 0-65535, got 80.5');
  });
});

describe('covet run --workers: COVET_MAX_RESTARTS', () => {
  it('defaults to 5 (also when empty) and refuses what would disable crash-loop detection', () => {
    assert.equal(maxRestartsFrom(undefined), 5);
    assert.equal(maxRestartsFrom(''), 5);
    assert.equal(maxRestartsFrom('0'), 0);
    assert.equal(maxRestartsFrom('12'), 12);
    for (const bad of ['abc', '-1', '2.5']) {
      assert.throws(
        () => maxRestartsFrom(bad),
        (err: unknown) => err instanceof CliError && err.exitCode === 2 && err.message === `COVET_MAX_RESTARTS must be a non-negative integer, got ${bad}`,
      );
    }
  });
});
