// Covet upload server for bench/upload/run.mjs, from the built package (../../../dist).
//   MODE=disk   (default) files past the 1 MiB memoryThreshold are spooled to a temp file
//   MODE=memory files stay in memory and the handler reads them (`await file.read()`)
// Prints {"port": n} once listening.
import { CovetApp, MULTIPART_DEFAULTS } from '../../../dist/index.js';

const MiB = 1024 * 1024;
const memory = process.env.MODE === 'memory';
const app = new CovetApp({
  logger: { info() {}, error: (m, meta) => console.error(m, meta?.error) },
  multipart: {
    maxFileSize: 256 * MiB,
    maxTotalSize: 256 * MiB,
    memoryThreshold: memory ? 256 * MiB : MULTIPART_DEFAULTS.memoryThreshold,
  },
});
app.post('/upload', async (req) => {
  const file = (await req.form()).get('file');
  if (memory) return { size: (await file.read()).length };
  return { size: file.size };
});
const { port } = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
