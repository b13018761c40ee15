import { createHash } from 'node:crypto';
import { DOCS_PAGE_SCRIPT } from './docs-page-script.js';

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --bg: #fff; --line: #e4e7ec; --code: #f4f5f7; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ec; --muted: #98a2b3; --bg: #14161b; --line: #2b303b; --code: #1d2129; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 28px; border-bottom: 1px solid var(--line); }
header h1 { display: inline; margin: 0 12px 0 0; font-size: 24px; }
.version { color: var(--muted); font-size: 13px; border: 1px solid var(--line); border-radius: 10px; padding: 1px 8px; }
.layout { display: grid; grid-template-columns: 220px 1fr; }
nav { padding: 20px; border-right: 1px solid var(--line); position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; }
nav a { display: block; padding: 4px 0; color: var(--fg); text-decoration: none; }
main { padding: 12px 28px 60px; min-width: 0; }
h2 { margin: 24px 0 8px; font-size: 19px; text-transform: capitalize; }
h4 { margin: 14px 0 6px; font-size: 13px; text-transform: uppercase; color: var(--muted); }
details.op { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; }
details.op > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: center; list-style: none; }
details.op[open] > summary { border-bottom: 1px solid var(--line); }
details.op > :not(summary) { margin-left: 14px; margin-right: 14px; }
.method { font: 700 12px ui-monospace, monospace; min-width: 64px; text-align: center; padding: 3px 6px; border-radius: 4px; color: #fff; background: #667085; }
.op-get .method { background: #1570ef; } .op-post .method { background: #079455; } .op-put .method { background: #dc6803; }
.op-patch .method { background: #7a5af8; } .op-delete .method { background: #d92d20; }
.path { font: 14px ui-monospace, monospace; } .summary { color: var(--muted); } .lock { margin-left: auto; font-size: 12px; color: var(--muted); } .badge { font-size: 12px; color: var(--muted); border: 1px solid currentColor; border-radius: 4px; padding: 0 4px; } .deprecated .path { text-decoration: line-through; }
.opid, .security { color: var(--muted); font-size: 13px; }
pre, code { background: var(--code); border-radius: 6px; font: 13px ui-monospace, monospace; }
pre { padding: 10px; overflow: auto; max-height: 360px; } code { padding: 1px 4px; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid var(--line); padding: 4px 10px 4px 0; text-align: left; }
.try label { display: block; margin: 6px 0; font-size: 13px; } .try input, .try textarea { display: block; width: 100%; max-width: 560px; font: 13px ui-monospace, monospace; padding: 5px; }
.try button { margin: 8px 0; padding: 5px 16px; } .result:empty { display: none; }
@media (max-width: 720px) { .layout { grid-template-columns: 1fr; } nav { position: static; border-right: 0; } }
`;

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The page and the Content-Security-Policy that allows exactly its inline script and style. */
export interface DocsPage {
  readonly html: string;
  readonly csp: string;
}

/**
 * The self-contained API reference page (no CDN, no external file): it fetches the OpenAPI
 * document from `specUrl` and renders operations grouped by tag, with parameters, schemas,
 * responses and a "try it" form. A strict CSP pins the inline script and style by hash.
 *
 * @example
 * const page = docsPage('API reference', 'openapi.json');
 * return new Response(page.html, { headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp } });
 */
export function docsPage(title: string, specUrl: string): DocsPage {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeAttribute(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<div id="app" data-spec="${escapeAttribute(specUrl)}">Loading the API reference…</div>
<script>${DOCS_PAGE_SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${hash(DOCS_PAGE_SCRIPT)}`,
    `style-src ${hash(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/** The URL of `target` relative to the page at `from` (both absolute paths), so a mounted app's page still finds its document. */
export function relativeUrl(from: string, target: string): string {
  const fromDir = from.split('/').slice(1, -1);
  const to = target.split('/').slice(1);
  let common = 0;
  while (common < fromDir.length && common < to.length - 1 && fromDir[common] === to[common]) common++;
  const up = fromDir.length - common;
  const rest = to.slice(common).join('/');
  return (up === 0 ? './' : '../'.repeat(up)) + rest;
}
