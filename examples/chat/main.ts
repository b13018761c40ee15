// Starts the chat example: `node --import tsx examples/chat/main.ts`, then open http://127.0.0.1:8000/
// in two browser windows. PORT, HOST, DATABASE_URL and CHAT_SECRET come from the environment;
// without DATABASE_URL the messages live in ./chat.db. With NODE_ENV=production it refuses to
// start without CHAT_SECRET (exit code 1, the reason on stderr).
import { ConfigError } from 'covet';
import { createChatApp } from './app.js';

let chat: ReturnType<typeof createChatApp> | undefined;
try {
  chat = createChatApp({ databaseUrl: process.env.DATABASE_URL ?? 'sqlite:///chat.db' });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`chat: ${err.message}\n`);
  process.exitCode = 1;
}
if (chat !== undefined) await chat.app.run({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
