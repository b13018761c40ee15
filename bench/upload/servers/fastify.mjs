// Fastify + @fastify/multipart upload server for bench/upload/run.mjs.
//   MODE=disk   (default) req.saveRequestFiles(): files to temp files, removed after the response
//   MODE=memory (await req.file()).toBuffer()
// Prints {"port": n} once listening.
import { stat } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';

const MiB = 1024 * 1024;
const memory = process.env.MODE === 'memory';
const app = Fastify({ logger: false });
await app.register(multipart, { limits: { fileSize: 256 * MiB, files: 10 } });
app.post('/upload', async (req) => {
  if (memory) {
    const data = await req.file();
    return { size: (await data.toBuffer()).length };
  }
  const { files } = await req.saveRequestFiles();
  return { size: (await stat(files[0].filepath)).size };
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
