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
