import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main.js';
import { CliError } from '../../../src/cli/run.js';

/** Runs `covet …args` in process; resolves with the exit code and what went to stdout. */
async function covet(args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await main(args), stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('covet help COMMAND', () => {
  it('prints the help of migrate and fuzz too, as their --help does', async () => {
    const headers: Record<string, string> = { migrate: 'covet migrate — database migrations', fuzz: 'Usage: covet fuzz', run: 'Usage: covet run' };
    for (const [command, header] of Object.entries(headers)) {
      // The test runner reports on stdout too: look for the help in what was captured.
      const viaHelp = await covet(['help', command]);
      const viaFlag = await covet([command, '--help']);
      assert.equal(viaHelp.code, 0, command);
      assert.ok(viaFlag.stdout.includes(header), command);
      assert.ok(viaHelp.stdout.includes(header), `covet help ${command} printed: ${viaHelp.stdout.slice(0, 200)}`);
      assert.ok(!viaHelp.stdout.includes('covet — the Covet command line'), command);
    }
  });

  it('answers an unknown command with exit code 2, as "covet bogus --help" does', async () => {
    await assert.rejects(covet(['help', 'bogus']), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.exitCode, 2);
      assert.equal(err.message, 'unknown command "bogus"\nRun "covet --help" for usage.');
      return true;
    });
    const general = await covet(['help']);
    assert.equal(general.code, 0);
    assert.ok(general.stdout.includes('covet — the Covet command line'));
  });
});
