// A `node --test` reporter used by scripts/run-tests.mjs beside the one printing to stdout: it
// collects every failed test with the start of its error, sorted into those that failed only
// because the native addon (better-sqlite3) cannot load on this Node and the others, and writes
// both lists as JSON at the end. run-tests.mjs prints the others last, so the end of a long run's
// output names what failed.
import { relative } from 'node:path';
import { inspect } from 'node:util';

const NATIVE_LOAD = /NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|was compiled against a different Node\.js version/;
const MAX_ERROR_LINES = 12;

export default async function* failureReporter(source) {
  const native = [];
  const other = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    const error = details?.error;
    // A suite fails because its tests did: those are counted themselves.
    if (details?.type === 'suite' || error?.failureType === 'subtestsFailed') continue;
    const text = inspect(error?.cause ?? error, { depth: 6 });
    const where = `${file ? relative(process.cwd(), file) : ''} › ${name}`;
    if (NATIVE_LOAD.test(inspect(error, { depth: 6 }))) native.push(where);
    else other.push({ where, error: text.split('\n').slice(0, MAX_ERROR_LINES).join('\n') });
  }
  yield `${JSON.stringify({ native, other })}\n`;
}
