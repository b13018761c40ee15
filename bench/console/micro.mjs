// In-process CPU cost per request of bench/console's apps, without sockets: the app's request
// listener is called with stand-in Node request/response objects, 64 at a time. Prints one JSON
// line: { mode, app, route, cpuUsPerRequest }. run.mjs runs it once per mode and round, in a
// fresh process pinned to one CPU (an AsyncLocalStorage in one app would change the cost of
// promises in the others).
//   MODE=on APP=json ROUTE=/json node bench/console/micro.mjs

const ROUTE = process.env.ROUTE ?? '/json';
const N = Number(process.env.REQUESTS ?? 200_000);
const log = console.log;
console.log = () => {}; // the server's READY line
const { app } = await import(new URL('./server.mjs', import.meta.url).href);
console.log = log;
const listener = app.server.listeners('request')[0];

const headers = { host: '127.0.0.1', 'user-agent': 'bench', accept: '*/*' };
function once() {
  return new Promise((done) => {
    const req = { method: 'GET', url: ROUTE, headers, httpVersionMajor: 1, socket: { remoteAddress: '127.0.0.1', remotePort: 1 }, readableEnded: false };
    const res = {
      headersSent: false,
      destroyed: false,
      writeHead() {
        this.headersSent = true;
        return this;
      },
      end() {
        done();
      },
      write() {
        return true;
      },
      on() {},
      once() {},
      off() {},
    };
    listener(req, res);
  });
}
async function batch(n) {
  for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: 64 }, once));
}
await batch(N / 4); // warm-up
const cpu0 = process.cpuUsage();
await batch(N);
const cpu = process.cpuUsage(cpu0);
log(JSON.stringify({ mode: process.env.MODE ?? 'none', app: process.env.APP ?? 'json', route: ROUTE, cpuUsPerRequest: (cpu.user + cpu.system) / N }));
await app.close();
process.exit(0);
