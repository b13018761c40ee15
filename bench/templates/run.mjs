#!/usr/bin/env node
// Template render throughput, Covet against Nunjucks and Eta in the same run: a realistic page
// (a base layout and a child page, a loop over 100 rows with filters, autoescape on) rendered
// to a string, as many times as possible for a few seconds, rounds alternating the engines.
// Targets (issue 10): Covet >= 3x Nunjucks (compiled once, as precompiled templates are) and
// >= 1.0x Eta. One process, pinned to one CPU when `taskset` is there.
//
//   node bench/templates/run.mjs [--rounds=5] [--seconds=2] [--rows=100]
//
// Needs a built checkout (`npm run build`; `npm run bench` does it) for dist/templates, and this
// folder's own dependencies (`npm ci` here; bench/run.sh does it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(process.env.COVET_DIR ?? join(HERE, '..', '..'));
const VIEWS = join(HERE, 'views');
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    rows: { type: 'string', default: '100' },
    pinned: { type: 'boolean', default: false },
  },
});

// Re-run pinned to the last allowed CPU so the engines share one core and nothing else.
if (!opt.pinned) {
  const probe = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  if (probe.status === 0) {
    const cpus = probe.stdout.split(':').pop().trim().split(',').flatMap((part) => {
      const [a, b = a] = part.split('-').map(Number);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
    const cpu = cpus[cpus.length - 1];
    const r = spawnSync('taskset', ['-c', String(cpu), process.execPath, process.argv[1], ...process.argv.slice(2), '--pinned'], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
}

const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
const ROWS = Number(opt.rows);

const { TemplateEngine } = await import(pathToFileURL(join(ROOT, 'dist', 'templates', 'index.js')).href);
const nunjucks = (await import('nunjucks')).default;
const { Eta } = await import('eta');

// ------------------------------------------------------------------ data (deterministic)
const FIRST = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'ken', 'dennis', 'margaret', "o'neil", 'linus'];
const LAST = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'thompson', 'ritchie', 'hamilton', 'smith & co', 'torvalds'];
const rows = Array.from({ length: ROWS }, (_, i) => ({
  id: i + 1,
  name: `${FIRST[i % 10]} ${LAST[(i * 3) % 10]}`,
  email: `User${i}@Example.COM`,
  score: ((i * 7919) % 1000) / 7,
  active: i % 3 !== 0,
  bio: `Writes <code> & reviews pull requests; likes "${FIRST[(i + 4) % 10]}" and long walks number ${i}.`,
  tags: ['dev', i % 2 ? 'ops' : 'db', 'team-<' + (i % 4) + '>'],
}));
const context = {
  title: 'quarterly report: users & scores',
  intro: 'Everything <important> about the people who use the product.',
  site: { name: 'Covet & Co', assets: '/static' },
  nav: [
    { url: '/', label: 'Home' },
    { url: '/users', label: 'Users' },
    { url: '/reports', label: 'Reports' },
    { url: '/settings', label: 'Settings' },
    { url: '/help', label: 'Help & <FAQ>' },
  ],
  current: '/reports',
  user: { name: 'Admin <root>' },
  year: 2026,
  rows,
  total: rows.length * 10,
};

// ------------------------------------------------------------------ engines
// Eta gets the same algorithms as Covet's filters (a loop, not a regex with a callback), so
// the comparison is of the engines, not of the helpers.
function titleCase(s) {
  const lower = String(s).toLowerCase();
  let out = '';
  let last = 0;
  let atStart = true;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c === 32 || c === 45 || c === 40 || c === 91 || c === 123 || c === 60 || (c >= 9 && c <= 13)) {
      atStart = true;
      continue;
    }
    if (atStart) {
      atStart = false;
      const ch = lower[i];
      const up = ch.toUpperCase();
      if (up !== ch) {
        out += lower.slice(last, i) + up;
        last = i + 1;
      }
    }
  }
  return last === 0 ? lower : out + lower.slice(last);
}
function truncate(s, length = 255, end = '...', leeway = 5) {
  if (s.length <= length + leeway) return s;
  const cut = s.slice(0, length - end.length);
  const sp = cut.lastIndexOf(' ');
  return (sp === -1 ? cut : cut.slice(0, sp)) + end;
}
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const covet = new TemplateEngine({ directory: VIEWS });
const njEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS), { autoescape: true });
const njPage = njEnv.getTemplate('page.html', true); // compiled once, like a precompiled template
const eta = new Eta({ autoEscape: true, cache: true });
eta.loadTemplate('@base', readFileSync(join(VIEWS, 'base.eta'), 'utf8'));
eta.loadTemplate('@page', readFileSync(join(VIEWS, 'page.eta'), 'utf8'));
const etaContext = { ...context, f: { title: titleCase, truncate, round: (n, p) => (n < 0 ? -Math.round(-n * 10 ** p) : Math.round(n * 10 ** p)) / 10 ** p, escape: escapeHtml } };

const engines = [
  { name: 'covet', render: () => covet.renderToString('page.html', context) },
  { name: 'nunjucks', render: () => njPage.render(context) },
  { name: 'eta', render: () => eta.render('@page', etaContext) },
];

// Sanity: every engine renders the same page shape, escaped.
for (const e of engines) {
  const out = e.render();
  const trs = (out.match(/<tr class=/g) ?? []).length;
  if (trs !== ROWS) throw new Error(`${e.name}: ${trs} rows rendered, expected ${ROWS}`);
  if (!/smith &amp; co/i.test(out) || out.includes('<code>') || !out.includes('Help &amp; &lt;FAQ&gt;')) throw new Error(`${e.name}: output is not escaped as expected`);
  e.bytes = Buffer.byteLength(out);
}

function measure(fn, seconds) {
  const warmEnd = performance.now() + (seconds * 1000) / 4;
  while (performance.now() < warmEnd) fn();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let sink = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) sink += fn().length;
    n += 20;
  }
  if (sink === 0) throw new Error('no output');
  return n / ((performance.now() - start) / 1000);
}

const results = Object.fromEntries(engines.map((e) => [e.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the order each round so no engine always runs first (or right after GC pressure).
  const order = engines.map((_, i) => engines[(i + r) % engines.length]);
  for (const e of order) results[e.name].push(measure(e.render, SECONDS));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratio = (a, b) => {
  // Median of per-round ratios: both engines ran in the same round, under the same conditions.
  return median(results[a].map((x, i) => x / results[b][i]));
};

console.log(`Template render throughput: ${ROWS}-row page (extends, loop, filters, autoescape), ${ROUNDS} rounds x ${SECONDS}s, Node ${process.version}`);
console.log('');
console.log('| engine   | renders/s | MB/s  | page bytes | vs nunjucks | vs eta |');
console.log('| -------- | --------: | ----: | ---------: | ----------: | -----: |');
for (const e of engines) {
  const rps = median(results[e.name]);
  console.log(
    `| ${e.name.padEnd(8)} | ${Math.round(rps).toLocaleString('en-US').padStart(9)} | ${((rps * e.bytes) / 1e6).toFixed(1).padStart(5)} | ${String(e.bytes).padStart(10)} | ${ratio(e.name, 'nunjucks').toFixed(2).padStart(10)}x | ${ratio(e.name, 'eta').toFixed(2).padStart(5)}x |`,
  );
}
const vsNj = ratio('covet', 'nunjucks');
const vsEta = ratio('covet', 'eta');
console.log('');
console.log(`covet vs nunjucks: ${vsNj.toFixed(2)}x (target >= 3.0x) ${vsNj >= 3 ? 'PASS' : 'MISS'}`);
console.log(`covet vs eta:      ${vsEta.toFixed(2)}x (target >= 1.0x) ${vsEta >= 1 ? 'PASS' : 'MISS'}`);
