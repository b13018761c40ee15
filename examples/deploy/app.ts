// The app the deployment example ships: `covet run app.js:app` in the container (Dockerfile),
// liveness on /health/live and readiness on /health/ready (k8s/deployment.yaml).
// tests/integration/deployment/deploy-example.test.ts validates the files and runs the command.
import { CovetApp } from 'covet';

export const app = new CovetApp();
let ready = false;
app.onStartup(() => {
  // Connect databases, warm caches... then report ready.
  ready = true;
});
app.onShutdown(() => {
  ready = false;
});
app.get('/', () => ({ message: 'Hello from Covet', version: process.env.APP_VERSION ?? 'dev' }));
app.get('/health/live', { name: 'health_live' }, () => ({ status: 'ok' }));
app.get('/health/ready', { name: 'health_ready' }, () =>
  ready ? { status: 'ok' } : new Response(JSON.stringify({ status: 'starting' }), { status: 503, headers: { 'content-type': 'application/json' } }),
);
