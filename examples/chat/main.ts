// Starts the chat example: `node --import tsx examples/chat/main.ts`, then open http://127.0.0.1:8000/
// in two browser windows. PORT, HOST, DATABASE_URL and CHAT_SECRET come from the environment;
// without DATABASE_URL the messages live in ./chat.db.
import { createChatApp } from './app.js';

const { app } = createChatApp({ databaseUrl: process.env.DATABASE_URL ?? 'sqlite:///chat.db' });
await app.run({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
