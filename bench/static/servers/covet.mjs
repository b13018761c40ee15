// Covet serving STATIC_ROOT under /static with app.static (defaults: ETag, Last-Modified,
// Cache-Control, ranges, precompressed siblings when asked for). Loads this checkout's dist/.
import { CovetApp } from '../../../dist/index.js';

const app = new CovetApp();
app.static('/static', process.env.STATIC_ROOT);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
