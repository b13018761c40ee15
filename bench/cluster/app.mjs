// The app `covet run` serves in the cluster benchmark (dist/ from `npm run build`).
import { CovetApp } from '../../dist/index.js';
import { itemsPage } from '../lib/items.mjs';

export const app = new CovetApp({ logger: { info() {}, error() {} } });
app.get('/', () => ({ hello: 'world' }));
app.get('/items', () => itemsPage());
