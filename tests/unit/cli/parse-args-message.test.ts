import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { parseArgsMessage } from '../../../src/internal/parse-args-message.js';

/** The message `covet` prints for a `parseArgs` failure on `args`. */
function messageFor(args: string[]): string {
  try {
    parseArgs({ args, allowPositionals: true, options: { host: { type: 'string' }, json: { type: 'boolean' } } });
  } catch (err) {
    return parseArgsMessage(err);
  }
  throw new Error(`parseArgs accepted ${args.join(' ')}`);
}

describe('parseArgsMessage', () => {
  it('names an unknown option, long or short, without Node\'s paragraph about positionals', () => {
    assert.equal(messageFor(['app.ts', '--wrokers', '2']), 'unknown option --wrokers');
    assert.equal(messageFor(['-x']), 'unknown option -x');
  });

  it("keeps Node's other messages, which already say what is wrong", () => {
    assert.equal(messageFor(['--host']), "Option '--host <value>' argument missing");
    assert.equal(messageFor(['--json=yes']), "Option '--json' does not take an argument");
  });

  it('passes other errors and values through', () => {
    assert.equal(parseArgsMessage(new Error('boom')), 'boom');
    assert.equal(parseArgsMessage('text'), 'text');
  });
});
