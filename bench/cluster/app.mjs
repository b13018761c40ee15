// The app `covet run` serves in the cluster benchmark (dist/ from `npm run build`).
import { CovetApp } from '../../dist/index.js';

export const app = new CovetApp({ logger: { info() {}, error() {} } });
app.get('/', () => ({ hello: 'world' }));
