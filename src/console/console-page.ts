// The console's single page: markup, style and script inline (no CDN, no web fonts), so it
// works offline and under a strict Content-Security-Policy with a per-response nonce. Data is
// only ever inserted with `textContent`/attributes, never as HTML.

const STYLE = `
:root{--bg:#0f1115;--panel:#171a21;--line:#262b36;--text:#d8dee9;--muted:#8a93a6;--accent:#5aa9ff;--ok:#3fb97a;--warn:#e0a93b;--bad:#e5534b;--p50:#5aa9ff;--p90:#b48cff;--p99:#e5534b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;align-items:center;gap:16px;padding:10px 18px;border-bottom:1px solid var(--line);background:var(--panel);position:sticky;top:0;z-index:2}
header h1{font-size:15px;margin:0;font-weight:600}
header .stat{color:var(--muted)} header .stat b{color:var(--text);font-weight:600}
#live{width:9px;height:9px;border-radius:50%;background:var(--muted);display:inline-block}
#live.on{background:var(--ok)} #live.off{background:var(--bad)}
main{padding:14px 18px;display:grid;gap:14px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
.card h2{font-size:12px;font-weight:600;margin:0 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;display:flex;justify-content:space-between}
.card h2 .now{color:var(--text);text-transform:none;letter-spacing:0}
svg.chart{width:100%;height:84px;display:block}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart path{fill:none;stroke-width:1.6;vector-effect:non-scaling-stroke}
.legend{display:flex;gap:10px;color:var(--muted);font-size:11px}
.legend i{display:inline-block;width:10px;height:2px;vertical-align:middle;margin-right:4px}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:14px}
@media (max-width:1100px){.cols{grid-template-columns:1fr}}
table{width:100%;border-collapse:collapse;font-size:12px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:340px}
th{color:var(--muted);font-weight:600}
tbody tr{cursor:pointer} tbody tr:hover{background:#1d212b} tr.sel{background:#213047}
.num{text-align:right;font-variant-numeric:tabular-nums}
.s2{color:var(--ok)} .s3{color:var(--accent)} .s4{color:var(--warn)} .s5{color:var(--bad)}
.badge{display:inline-block;padding:0 6px;border-radius:9px;font-size:11px;background:#3a2a12;color:var(--warn);margin-left:4px}
.badge.bad{background:#3b1716;color:var(--bad)} .badge.ok{background:#12301f;color:var(--ok)}
.scroll{max-height:420px;overflow:auto}
pre{white-space:pre-wrap;word-break:break-all;background:#11141a;border:1px solid var(--line);border-radius:6px;padding:8px;margin:4px 0 10px;max-height:240px;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted{color:var(--muted)} .empty{color:var(--muted);padding:8px 0}
.wf{position:relative;height:18px;margin:2px 0}
.wf .bar{position:absolute;top:3px;height:12px;border-radius:3px;background:var(--accent);min-width:2px}
.wf .bar.error{background:var(--bad)}
.wf .label{position:absolute;left:0;top:0;font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;width:38%}
.wf .track{position:absolute;left:40%;right:70px;top:0;bottom:0}
.wf .dur{position:absolute;right:0;top:0;font-size:11px;color:var(--muted)}
.meter{height:6px;background:var(--line);border-radius:3px;overflow:hidden;min-width:80px}
.meter span{display:block;height:100%;background:var(--ok)}
.sql{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.flag{color:var(--warn)}
.k50{background:var(--p50)} .k90{background:var(--p90)} .k99{background:var(--p99)} h2.gap{margin-top:12px}
`;

const SCRIPT = `
(function () {
  'use strict';
  var BASE = document.body.getAttribute('data-base');
  var since = 0, requests = [], capacity = 200, selected = null, selectedTrace = null, routesKey = '';
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function ms(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
  function time(t) { var d = new Date(t); return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0'); }
  var NS = 'http://www.w3.org/2000/svg';

  function chart(id, lines, points, total) {
    var svg = $(id), W = 300, H = 80;
    var max = 0;
    lines.forEach(function (l) { l.values.forEach(function (v) { if (v > max) max = v; }); });
    var top = max;
    max = max > 0 ? max * 1.15 : 1;
    var n = points;
    svg.setAttribute('data-points', String(n));
    svg.setAttribute('data-total', String(total));
    lines.forEach(function (l) {
      var path = svg.querySelector('path[data-line="' + l.key + '"]');
      if (!path) { path = document.createElementNS(NS, 'path'); path.setAttribute('data-line', l.key); path.style.stroke = l.color; svg.appendChild(path); }
      var d = '';
      var step = n > 1 ? W / (n - 1) : W;
      l.values.forEach(function (v, i) { d += (i === 0 ? 'M' : 'L') + (i * step).toFixed(1) + ' ' + (H - (v / max) * (H - 4)).toFixed(1) + ' '; });
      path.setAttribute('d', d.trim() || 'M0 ' + H);
    });
    var label = svg.parentNode.querySelector('.max');
    if (label) label.textContent = 'max ' + ms(top);
  }

  function statusClass(s) { return 's' + String(s).charAt(0); }

  function renderRequests() {
    var body = $('requests-body');
    clear(body);
    if (requests.length === 0) { var tr = el('tr'); var td = el('td', { colspan: '8', class: 'empty' }, 'No requests yet.'); tr.appendChild(td); body.appendChild(tr); return; }
    requests.forEach(function (r) {
      var tr = el('tr', { 'data-id': String(r.id) });
      if (selected === r.id) tr.className = 'sel';
      tr.appendChild(el('td', { class: 'muted' }, time(r.time)));
      tr.appendChild(el('td', null, r.method));
      var path = el('td', { class: 'path', title: r.url }, r.url);
      tr.appendChild(path);
      tr.appendChild(el('td', { class: 'muted' }, r.route || '\\u2014'));
      tr.appendChild(el('td', { class: 'num ' + statusClass(r.status) }, r.status));
      tr.appendChild(el('td', { class: 'num' }, ms(r.durationMs)));
      var q = el('td', { class: 'num' }, r.queryCount);
      if (r.nPlusOne.length > 0) q.appendChild(el('span', { class: 'badge', title: r.nPlusOne[0].shape }, 'N+1'));
      tr.appendChild(q);
      tr.appendChild(el('td', { class: 'num muted' }, r.cacheHits + r.cacheMisses > 0 ? r.cacheHits + '/' + (r.cacheHits + r.cacheMisses) : ''));
      tr.addEventListener('click', function () { showRequest(r.id); });
      body.appendChild(tr);
    });
  }

  function kv(title, obj) {
    var box = el('div');
    box.appendChild(el('h3', { class: 'muted' }, title));
    var t = el('table');
    var keys = Object.keys(obj || {});
    if (keys.length === 0) box.appendChild(el('div', { class: 'empty' }, 'none'));
    keys.forEach(function (k) { var tr = el('tr'); tr.appendChild(el('th', null, k)); tr.appendChild(el('td', { title: obj[k] }, obj[k])); t.appendChild(tr); });
    box.appendChild(t);
    return box;
  }

  function showRequest(id) {
    selected = id;
    renderRequests();
    fetch(BASE + '/api/requests/' + id, { headers: { accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    }).then(function (r) {
      var box = $('detail');
      clear(box);
      box.appendChild(el('h2', null, r.method + ' ' + r.url));
      box.appendChild(el('div', { class: 'muted' }, 'status ' + r.status + ' \\u00b7 ' + ms(r.durationMs) + ' ms \\u00b7 route ' + (r.route || 'none') + ' \\u00b7 ' + r.queryCount + ' queries (' + ms(r.queryMs) + ' ms)' + (r.traceId ? ' \\u00b7 trace ' + r.traceId : '')));
      if (r.nPlusOne.length > 0) {
        var warn = el('div', { class: 'flag' });
        warn.appendChild(el('h3', null, 'N+1 queries'));
        r.nPlusOne.forEach(function (f) { warn.appendChild(el('pre', { class: 'sql' }, f.count + '\\u00d7  ' + f.shape)); });
        box.appendChild(warn);
      }
      if (r.queries.length > 0) {
        box.appendChild(el('h3', { class: 'muted' }, 'SQL (' + r.queries.length + (r.queryCount > r.queries.length ? ' of ' + r.queryCount : '') + ')'));
        var t = el('table');
        r.queries.forEach(function (q) {
          var tr = el('tr');
          tr.appendChild(el('td', { class: 'num muted' }, ms(q.durationMs)));
          tr.appendChild(el('td', { class: 'sql' + (q.error ? ' s5' : ''), title: q.sql }, q.sql + (q.error ? '  \\u2014 ' + q.error : '')));
          t.appendChild(tr);
        });
        box.appendChild(t);
      }
      if (!r.detailsKept) box.appendChild(el('div', { class: 'empty' }, 'Headers and bodies are kept for the most recent requests only (maxDetails).'));
      box.appendChild(kv('Request headers', r.requestHeaders));
      if (r.requestBody) { box.appendChild(el('h3', { class: 'muted' }, 'Request body')); box.appendChild(el('pre', null, r.requestBody)); }
      box.appendChild(kv('Response headers', r.responseHeaders));
      if (r.responseBody) { box.appendChild(el('h3', { class: 'muted' }, 'Response body')); box.appendChild(el('pre', null, r.responseBody)); }
    }).catch(function (err) { var box = $('detail'); clear(box); box.appendChild(el('div', { class: 'empty' }, 'Not available: ' + err.message)); });
  }

  function renderRoutes(routes) {
    var key = JSON.stringify(routes);
    if (key === routesKey) return;
    routesKey = key;
    var body = $('routes-body');
    clear(body);
    routes.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', null, r.method));
      tr.appendChild(el('td', null, r.path));
      tr.appendChild(el('td', { class: 'muted' }, r.name || ''));
      tr.appendChild(el('td', { class: 'muted' }, (r.middleware || []).join(', ')));
      tr.appendChild(el('td', { class: 'muted' }, (r.tags || []).join(', ')));
      body.appendChild(tr);
    });
    $('route-count').textContent = String(routes.length);
  }

  function renderTraces(traces) {
    var list = $('traces');
    clear(list);
    if (traces.length === 0) { list.appendChild(el('div', { class: 'empty' }, 'No traces. Add TracingMiddleware (covet/monitoring) to see spans here.')); return; }
    traces.forEach(function (t) {
      var row = el('div', { class: 'trace', 'data-trace': t.traceId });
      var head = el('div', { class: 'muted' });
      head.style.cursor = 'pointer';
      head.textContent = (selectedTrace === t.traceId ? '\\u25be ' : '\\u25b8 ') + t.name + ' \\u00b7 ' + t.spans.length + ' spans \\u00b7 ' + ms(t.durationMs) + ' ms';
      head.addEventListener('click', function () { selectedTrace = selectedTrace === t.traceId ? null : t.traceId; renderTraces(traces); });
      row.appendChild(head);
      if (selectedTrace === t.traceId) row.appendChild(waterfall(t));
      list.appendChild(row);
    });
  }

  function waterfall(t) {
    var box = el('div', { class: 'waterfall' });
    var byId = {};
    t.spans.forEach(function (s) { byId[s.spanId] = s; });
    var depth = function (s) { var d = 0; while (s.parentSpanId && byId[s.parentSpanId] && d < 20) { s = byId[s.parentSpanId]; d++; } return d; };
    var spans = t.spans.slice().sort(function (a, b) { return a.start - b.start; });
    var total = t.durationMs > 0 ? t.durationMs : 1;
    spans.forEach(function (s) {
      var row = el('div', { class: 'wf' });
      var label = el('div', { class: 'label', title: s.name }, s.name);
      label.style.paddingLeft = (depth(s) * 10) + 'px';
      var track = el('div', { class: 'track' });
      var bar = el('div', { class: 'bar' + (s.status === 'error' ? ' error' : '') });
      bar.style.left = ((s.start - t.start) / total * 100).toFixed(2) + '%';
      bar.style.width = Math.max(0.4, s.durationMs / total * 100).toFixed(2) + '%';
      bar.title = s.kind + ' ' + JSON.stringify(s.attributes);
      track.appendChild(bar);
      row.appendChild(label); row.appendChild(track); row.appendChild(el('div', { class: 'dur' }, ms(s.durationMs) + ' ms'));
      box.appendChild(row);
    });
    return box;
  }

  function renderHealth(health) {
    var box = $('health');
    clear(box);
    var names = Object.keys(health);
    if (names.length === 0) { box.appendChild(el('div', { class: 'empty' }, 'No health checks have run (HealthChecker from covet/monitoring).')); return; }
    var t = el('table');
    names.forEach(function (n) {
      var h = health[n];
      var tr = el('tr');
      tr.appendChild(el('td', null, n));
      var s = el('td'); s.appendChild(el('span', { class: 'badge ' + (h.status === 'healthy' ? 'ok' : 'bad') }, h.status)); tr.appendChild(s);
      tr.appendChild(el('td', { class: 'num' }, ms(h.latencyMs) + ' ms'));
      tr.appendChild(el('td', { class: 'muted', title: h.error || '' }, h.error || ''));
      t.appendChild(tr);
    });
    box.appendChild(t);
  }

  function renderCaches(caches) {
    var box = $('caches');
    clear(box);
    if (caches.length === 0) { box.appendChild(el('div', { class: 'empty' }, 'No cache reads yet (covet/cache).')); return; }
    var t = el('table');
    var head = el('tr'); ['cache', 'hits', 'misses', 'hit rate', ''].forEach(function (h) { head.appendChild(el('th', null, h)); }); t.appendChild(head);
    caches.forEach(function (c) {
      var tr = el('tr');
      tr.appendChild(el('td', null, c.name));
      tr.appendChild(el('td', { class: 'num' }, c.hits));
      tr.appendChild(el('td', { class: 'num' }, c.misses));
      tr.appendChild(el('td', { class: 'num' }, (c.hitRate * 100).toFixed(1) + '%'));
      var m = el('td'); var meter = el('div', { class: 'meter' }); var fill = el('span'); fill.style.width = (c.hitRate * 100).toFixed(1) + '%'; meter.appendChild(fill); m.appendChild(meter); tr.appendChild(m);
      t.appendChild(tr);
    });
    box.appendChild(t);
  }

  function render(s) {
    capacity = s.capacity.requests;
    var fresh = s.requests.slice().reverse();
    if (fresh.length > 0) {
      since = Math.max(since, fresh[0].id);
      requests = fresh.concat(requests).slice(0, capacity);
      renderRequests();
    }
    var pts = s.series.slice(-60);
    var last = pts[pts.length - 1] || { requests: 0, p50: 0, p90: 0, p99: 0, errors: 0, loopLagMs: 0 };
    chart('chart-rps', [{ key: 'rps', color: 'var(--accent)', values: pts.map(function (p) { return p.requests; }) }], pts.length, s.totals.requests);
    chart('chart-latency', [
      { key: 'p50', color: 'var(--p50)', values: pts.map(function (p) { return p.p50; }) },
      { key: 'p90', color: 'var(--p90)', values: pts.map(function (p) { return p.p90; }) },
      { key: 'p99', color: 'var(--p99)', values: pts.map(function (p) { return p.p99; }) }
    ], pts.length, s.totals.requests);
    chart('chart-errors', [{ key: 'errors', color: 'var(--bad)', values: pts.map(function (p) { return p.requests > 0 ? p.errors / p.requests * 100 : 0; }) }], pts.length, s.totals.errors);
    chart('chart-lag', [{ key: 'lag', color: 'var(--warn)', values: pts.map(function (p) { return p.loopLagMs; }) }], pts.length, s.totals.requests);
    $('now-rps').textContent = String(last.requests);
    $('now-latency').textContent = ms(last.p99) + ' ms p99';
    $('now-errors').textContent = (last.requests > 0 ? (last.errors / last.requests * 100).toFixed(1) : '0.0') + '%';
    $('now-lag').textContent = ms(last.loopLagMs) + ' ms';
    $('total-requests').textContent = String(s.totals.requests);
    $('total-errors').textContent = String(s.totals.errors);
    $('total-queries').textContent = String(s.totals.queries);
    $('total-nplusone').textContent = String(s.totals.nPlusOne);
    $('uptime').textContent = Math.round((s.now - s.startedAt) / 1000) + ' s';
    renderRoutes(s.routes);
    renderTraces(s.traces);
    renderHealth(s.health);
    renderCaches(s.caches);
  }

  function poll() {
    fetch(BASE + '/api/snapshot?since=' + since, { headers: { accept: 'application/json' } }).then(function (res) {
      if (res.status === 401) { $('live').className = 'off'; $('live').title = 'unauthorized'; throw new Error('unauthorized'); }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    }).then(function (s) { $('live').className = 'on'; render(s); })
      .catch(function () { $('live').className = 'off'; })
      .then(function () { setTimeout(poll, 1000); });
  }
  renderRequests();
  poll();
})();
`;

function chartCard(id: string, title: string, nowId: string, legend = ''): string {
  return `<section class="card"><h2>${title}<span class="now" id="${nowId}">–</span></h2>
<svg class="chart" id="${id}" viewBox="0 0 300 80" preserveAspectRatio="none" data-points="0" data-total="0" role="img" aria-label="${title}">
<line class="grid" x1="0" y1="20" x2="300" y2="20"/><line class="grid" x1="0" y1="40" x2="300" y2="40"/><line class="grid" x1="0" y1="60" x2="300" y2="60"/></svg>
<div class="legend"><span class="max"></span>${legend}</div></section>`;
}

/**
 * The console page for a console mounted at `base`, its script and style allowed by `nonce`.
 * `base` must be a validated path (it is written into an attribute unescaped).
 *
 * @example
 * consolePage('/_covet', randomBytes(16).toString('base64'))
 */
export function consolePage(base: string, nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>Covet Console</title><style nonce="${nonce}">${STYLE}</style></head>
<body data-base="${base}">
<header><span id="live" title="live"></span><h1>Covet Console</h1>
<span class="stat">requests <b id="total-requests">0</b></span><span class="stat">5xx <b id="total-errors">0</b></span>
<span class="stat">SQL <b id="total-queries">0</b></span><span class="stat">N+1 requests <b id="total-nplusone">0</b></span>
<span class="stat">up <b id="uptime">–</b></span></header>
<main>
<div class="charts">
${chartCard('chart-rps', 'Requests / s', 'now-rps')}
${chartCard('chart-latency', 'Latency', 'now-latency', '<span><i class="k50"></i>p50</span><span><i class="k90"></i>p90</span><span><i class="k99"></i>p99</span>')}
${chartCard('chart-errors', 'Error rate (5xx)', 'now-errors')}
${chartCard('chart-lag', 'Event-loop lag', 'now-lag')}
</div>
<div class="cols">
<section class="card"><h2>Recent requests</h2><div class="scroll"><table id="requests">
<thead><tr><th>time</th><th>method</th><th>path</th><th>route</th><th class="num">status</th><th class="num">ms</th><th class="num">SQL</th><th class="num">cache</th></tr></thead>
<tbody id="requests-body"></tbody></table></div></section>
<section class="card"><h2>Request</h2><div id="detail" class="scroll"><div class="empty">Select a request.</div></div></section>
</div>
<div class="cols">
<section class="card"><h2>Traces</h2><div id="traces" class="scroll"></div></section>
<section class="card"><h2>Health</h2><div id="health"></div><h2 class="gap">Cache</h2><div id="caches"></div></section>
</div>
<section class="card"><h2>Routes <span class="now" id="route-count">0</span></h2><div class="scroll"><table>
<thead><tr><th>method</th><th>path</th><th>name</th><th>middleware</th><th>tags</th></tr></thead><tbody id="routes-body"></tbody></table></div></section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body></html>`;
}
