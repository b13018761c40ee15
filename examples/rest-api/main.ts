// Starts the example API: `npm start` (PORT and HOST from the environment).
import { app } from './app.js';

await app.run({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
