// Serves the fuzz target so that the curl lines of a `covet fuzz` report can be tried by hand:
// `node --import tsx examples/fuzz-target/main.ts` (FIXED=1 for the corrected app).
import { createApp } from './app.js';

const app = createApp({ fixed: process.env.FIXED === '1' });
await app.run({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
