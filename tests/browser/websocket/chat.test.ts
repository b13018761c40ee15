// The chat example's page in headless Chromium: two pages log in, join a room, see each
// other's join notice and messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestDatabase } from 'covet/testing';
import { createChatApp } from '../../../examples/chat/app.js';
import { browserSkipReason, withBrowser } from '../../helpers/browser.js';

/** A database of the test's own: SQLite in memory, or a throwaway PostgreSQL database when DATABASE_URL is set. */
function freshDb(): TestDatabase {
  return new TestDatabase(process.env.DATABASE_URL ?? 'sqlite:///:memory:', { isolated: true });
}

/** The example runs on the built package (`covet` → dist/), so it gets its own start/stop helper. */
async function withServer<T>(app: ReturnType<typeof createChatApp>['app'], fn: (info: { url: string; port: number }) => Promise<T>): Promise<T> {
  const info = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn(info);
  } finally {
    await app.close();
  }
}

describe('examples/chat page in a real browser', { skip: browserSkipReason() }, () => {
  it('lets two pages chat in a room', { timeout: 60_000 }, async () => {
    const { app } = createChatApp({ secretKey: 'chat-browser-secret-0123456789abcdef', db: freshDb() });
    await withServer(app, async ({ url }) =>
      withBrowser(async (browser) => {
        const join = async (name: string) => {
          const page = await browser.newPage();
          await page.goto(`${url}/`);
          await page.fill('input[name=username]', name);
          await page.fill('input[name=room]', 'browsers');
          await page.click('#join button');
          await page.waitForFunction(() => (globalThis as unknown as { chatReady?: boolean }).chatReady === true, undefined, { timeout: 15_000 });
          return page;
        };
        const one = await join('one');
        const two = await join('two');
        await one.waitForSelector('text=User two joined the room', { timeout: 15_000 });
        await two.fill('input[name=message]', 'hello from two');
        await two.click('#send button');
        await one.waitForSelector('text=two: hello from two', { timeout: 15_000 });
        await two.waitForSelector('text=two: hello from two', { timeout: 15_000 });
        await two.close();
        await one.waitForSelector('text=User two left the room', { timeout: 15_000 });
        const lines = await one.locator('#log p').allTextContents();
        assert.deepEqual(lines, ['joined browsers', 'User two joined the room', 'two: hello from two', 'User two left the room']);
      }),
    );
  });
});
