import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { REQUIRE_SERVICES } from './server.js';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why browser tests cannot run here, or `undefined` when they can. With
 * `COVET_REQUIRE_SERVICES=1` (CI) a missing browser is a failure, not a skip.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (REQUIRE_SERVICES) throw new Error(`Chromium is required (COVET_REQUIRE_SERVICES=1) but ${CHROMIUM} does not exist`);
  return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

/** Launches headless Chromium, runs `fn`, always closes it. */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/**
 * Plain JavaScript for `page.evaluate`: opens a WebSocket to `url`, sends `hello`, closes after
 * the first message, and resolves to what happened, e.g. `['open', 'message:echo hello',
 * 'close:1000']`, or `['error', 'close:1006']` for a refused handshake.
 */
export function openSocketScript(url: string): string {
  return `new Promise((resolve) => {
  const events = [];
  const ws = new WebSocket(${JSON.stringify(url)});
  ws.onopen = () => { events.push('open'); ws.send('hello'); };
  ws.onmessage = (e) => { events.push('message:' + e.data); ws.close(1000); };
  ws.onerror = () => events.push('error');
  ws.onclose = (e) => { events.push('close:' + e.code); resolve(events); };
})`;
}
