// The load generator, the same `ws` client for every server:
//   node client.mjs echo <url> <connections> <warmup s> <seconds> <bytes> <compress 0|1>
//     each connection sends a message and waits for its echo, again and again; prints round trips/s.
//   node client.mjs fanout <url> <clients> <messages> <bytes>
//     opens <clients> connections, asks the server for <messages> broadcasts, waits until every
//     client has all of them; prints messages delivered per second.
import { WebSocket } from 'ws';

const [mode, url, ...rest] = process.argv.slice(2);
const DEFLATE = { zlibDeflateOptions: { level: 1, memLevel: 8 }, threshold: 1024 };

function open(target, compress) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, { perMessageDeflate: compress ? DEFLATE : false, maxPayload: 64 * 1024 * 1024 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function payloadOf(bytes) {
  return JSON.stringify({ event: 'echo', data: 'y'.repeat(Math.max(0, bytes - 26)) });
}

if (mode === 'echo') {
  const [connections, warmup, seconds, bytes, compress] = rest.map(Number);
  const payload = payloadOf(bytes);
  const sockets = [];
  for (let i = 0; i < connections; i++) sockets.push(await open(url, compress === 1));
  let counting = false;
  let stopped = false;
  let count = 0;
  let bad = 0;
  for (const ws of sockets) {
    ws.on('message', (data) => {
      if (data.length !== Buffer.byteLength(payload)) bad++;
      if (counting) count++;
      if (!stopped) ws.send(payload);
    });
    ws.send(payload);
  }
  await new Promise((r) => setTimeout(r, warmup * 1000));
  counting = true;
  const cpuStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  stopped = true;
  for (const ws of sockets) ws.terminate();
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(`${JSON.stringify({ roundTrips: count, perSecond: count / elapsed, clientCpuMicrosPerMessage: (cpu.user + cpu.system) / count, errors: bad })}\n`);
  process.exit(0);
} else if (mode === 'fanout') {
  const [clients, messages, bytes] = rest.map(Number);
  const sockets = [];
  // Connect in batches: a burst of 1000 SYNs would only measure the accept backlog.
  for (let i = 0; i < clients; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(clients, i + 50); j++) batch.push(open(url, false));
    sockets.push(...(await Promise.all(batch)));
  }
  const expected = clients * messages;
  let delivered = 0;
  let bad = 0;
  const done = new Promise((resolve) => {
    for (const ws of sockets) {
      ws.on('message', (data) => {
        if (data.length !== bytes && data.length !== Buffer.byteLength(JSON.stringify({ event: 'tick', data: 'x'.repeat(Math.max(0, bytes - 26)) }))) bad++;
        if (++delivered === expected) resolve();
      });
    }
  });
  // Let the server register every socket before asking for the broadcast.
  await new Promise((r) => setTimeout(r, 500));
  const started = process.hrtime.bigint();
  sockets[0].send(`go:${messages}:${bytes}`);
  const timeout = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ delivered, expected, timedOut: true })}\n`);
    process.exit(1);
  }, 120_000);
  await done;
  clearTimeout(timeout);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  for (const ws of sockets) ws.terminate();
  process.stdout.write(`${JSON.stringify({ delivered, perSecond: delivered / elapsed, seconds: elapsed, errors: bad })}\n`);
  process.exit(0);
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
