// Downloads URL N times in a row over one keep-alive connection, discarding the bytes, and
// prints one JSON line: bytes, seconds, and whether every download had the expected length.
//   node download.mjs <url> <n> <expected bytes>
import { Agent, get } from 'node:http';

const [url, n, expected] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const once = () =>
  new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
let total = 0;
let bad = 0;
await once(); // connect and warm the file into the page cache; not timed
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const r = await once();
  total += r.bytes;
  if (r.status !== 200 || r.bytes !== expected) bad++;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
agent.destroy();
console.log(`DOWNLOAD_JSON ${JSON.stringify({ bytes: total, seconds, bad })}`);
