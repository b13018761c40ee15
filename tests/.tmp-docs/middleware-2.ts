// runnable
import assert from 'node:assert/strict';
import { CovetApp, definePlugin } from '/work/main/src/index.ts';
import { TestClient } from '/work/main/src/testing/index.ts';

const order: string[] = [];
const database = definePlugin('database', async (app, options: { url: string }) => {
  await new Promise((resolve) => setTimeout(resolve, 5)); // e.g. load a driver
  order.push(`database ${options.url}`);
  app.onStartup(() => {
    order.push('database connected');
  });
});
const users = definePlugin('users', (app) => {
  app.register(database, { url: 'sqlite:///:memory:' });
  app.get('/users', () => ({ order }));
});

const app = new CovetApp();
app.onStartup(() => {
  order.push('app startup');
});
app.register(database, { url: 'sqlite:///app.db' });
app.register(users);
app.register(users);
assert.equal(app.hasPlugin('database'), true);

await using client = new TestClient(app);
assert.deepEqual((await client.get('/users')).json(), {
  order: ['database sqlite:///app.db', 'app startup', 'database connected'],
});
