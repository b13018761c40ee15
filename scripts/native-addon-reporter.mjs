// A `node --test` reporter used by scripts/run-tests.mjs on a Node whose ABI differs from the one
// better-sqlite3 was built for: it sorts failed tests into those that failed only because the
// native addon cannot load there and the others, and writes both lists as JSON at the end.
import { inspect } from 'node:util';

const NATIVE_LOAD = /NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|was compiled against a different Node\.js version/;

export default async function* nativeAddonReporter(source) {
  const native = [];
  const other = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    const error = details?.error;
    // A suite fails because its tests did: those are counted themselves.
    if (details?.type === 'suite' || error?.failureType === 'subtestsFailed') continue;
    const where = `${file ?? ''} › ${name}`;
    if (NATIVE_LOAD.test(inspect(error, { depth: 6 }))) native.push(where);
    else other.push(where);
  }
  yield `${JSON.stringify({ native, other })}\n`;
}
