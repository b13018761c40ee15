// The sanitizer against a real HTML parser: the same payloads, rendered raw, run script in
// Chromium (so they are live); rendered through XSSProtector.sanitizeHtml, none does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp, html } from '../../../src/index.js';
import { XSSProtector } from '../../../src/security/index.js';
import { browserSkipReason, withBrowser } from '../../helpers/browser.js';
import { withServer } from '../../helpers/server.js';

// Each payload reports its index through pwn(i) when it manages to run.
const PAYLOADS = [
  '<script>pwn(0)</script>',
  '<img src=x onerror=pwn(1)>',
  '<svg onload=pwn(2)></svg>',
  '<iframe srcdoc="<script>parent.pwn(3)</script>"></iframe>',
  '<a id="l4" href="javascript:pwn(4)">click</a>',
  '<a id="l5" href="&#106;avascript:pwn(5)">click</a>',
  '<a id="l6" href=" java\tscript:pwn(6)">click</a>',
  '<img src=x onerror="pwn(7)"/>',
  '<body onload=pwn(8)>',
  '<details open ontoggle=pwn(9)>',
  '<scr<script>ipt>pwn(10)</script>',
  '<math><mtext><table><mglyph><style><img src=x onerror=pwn(11)></style></mglyph></table></mtext></math>',
  '<noscript><p title="</noscript><img src=x onerror=pwn(12)>">',
  '<a id="l13" href="jav&#x09;ascript:pwn(13)">click</a>',
  '<input autofocus onfocus=pwn(14)>',
  '<video><source onerror=pwn(15)></video>',
];

function page(body: string): string {
  return `<!doctype html><meta charset="utf-8"><title>xss</title>
<script>window.hits = []; function pwn(i) { window.hits.push(i); }</script>
${body}
<script>for (const a of document.querySelectorAll('a[id^="l"]')) a.click(); window.done = true;</script>`;
}

describe('XSSProtector in a real browser', { skip: browserSkipReason() }, () => {
  it('turns live payloads into markup that runs nothing', async () => {
    const xss = new XSSProtector();
    const app = new CovetApp();
    app.get('/raw', () => html(page(PAYLOADS.map((p) => `<div>${p}</div>`).join('\n'))));
    app.get('/clean', () => html(page(PAYLOADS.map((p) => `<div>${xss.sanitizeHtml(p)}</div>`).join('\n'))));
    await withServer(app, async ({ url }) =>
      withBrowser(async (browser) => {
        const hitsOf = async (path: string): Promise<number[]> => {
          const tab = await browser.newPage();
          await tab.goto(`${url}${path}`);
          await tab.waitForFunction('window.done === true');
          await tab.waitForTimeout(300); // onerror/onload/ontoggle fire asynchronously
          const hits = (await tab.evaluate('window.hits')) as number[];
          await tab.close();
          return [...new Set(hits)].sort((a, b) => a - b);
        };
        const raw = await hitsOf('/raw');
        assert.ok(raw.length >= 8, `the payloads are live when not sanitized (ran: ${raw.join(', ')})`);
        assert.deepEqual(await hitsOf('/clean'), []);
      }),
    );
  });
});
