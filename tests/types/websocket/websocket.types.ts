// Type tests for WebSocket routes and the websocket/realtime modules: checked by `tsc --noEmit`,
// never executed. Each `@ts-expect-error` line must fail to compile.
import { expectTypeOf } from 'expect-type';
import { CovetApp, Depends, type Request, RouteGroup, type WebSocket, WebSocketDisconnect } from '../../../src/index.js';
import { RealtimeManager } from '../../../src/realtime/index.js';
import { JWTAuth } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';
import { WebSocketManager } from '../../../src/websocket/index.js';

const app = new CovetApp();

// Params are typed from the path, like HTTP routes.
app.websocket('/rooms/{room}/{n:int}', async (ws) => {
  expectTypeOf(ws.params).toEqualTypeOf<{ room: string; n: number }>();
  // @ts-expect-error -- no such parameter in the path
  ws.params.other;
  expectTypeOf(await ws.receive()).toEqualTypeOf<string | Buffer>();
  expectTypeOf(await ws.receiveText()).toEqualTypeOf<string>();
  expectTypeOf(await ws.receiveBytes()).toEqualTypeOf<Buffer>();
  expectTypeOf(await ws.receiveJson<{ a: number }>()).toEqualTypeOf<{ a: number }>();
  for await (const message of ws) expectTypeOf(message).toEqualTypeOf<string | Buffer>();
  expectTypeOf(ws.readyState).toEqualTypeOf<'connecting' | 'open' | 'closing' | 'closed'>();
  expectTypeOf(ws.request).toEqualTypeOf<Request<{ room: string; n: number }>>();
  // @ts-expect-error -- close codes are numbers
  await ws.close('1000');
});

// deps are typed from the dependency functions, with the opening request.
const getUser = async (req: Request) => ({ id: Number(req.headers.get('x-user') ?? 0) });
app.websocket('/deps/{id:int}', { deps: { user: Depends(getUser) }, compression: true, heartbeatInterval: 10_000 }, async (ws, { user }) => {
  expectTypeOf(user).toEqualTypeOf<{ id: number }>();
  expectTypeOf(ws.params.id).toEqualTypeOf<number>();
});

// @ts-expect-error -- unknown option
app.websocket('/bad', { compresion: true }, async () => {});

// requireWebsocketToken keeps the route's typed socket and adds state.user.
const jwt = new JWTAuth({ secretKey: 'type-test-secret-0123456789abcdef' });
app.websocket(
  '/secure/{room}',
  jwt.requireWebsocketToken(async (ws) => {
    expectTypeOf(ws.params.room).toEqualTypeOf<string>();
    expectTypeOf(ws.state.user).not.toBeUndefined();
  }),
);

// Groups: the same overloads; params typed from the full path (the group's prefix too), the
// group's deps typed with the route's.
const org = app.routeGroup('/orgs/{org}', { deps: { user: Depends(getUser) } });
org.websocket('/rooms/{room:int}', async (ws, { user }) => {
  expectTypeOf(ws.params).toEqualTypeOf<{ org: string; room: number }>();
  expectTypeOf(user).toEqualTypeOf<{ id: number }>();
  // @ts-expect-error -- no such parameter in the path
  ws.params.other;
});
org.routeGroup('/v1').websocket('/feed', { deps: { n: Depends(() => 1) }, compression: true }, async (ws, { user, n }) => {
  expectTypeOf(ws.params).toEqualTypeOf<{ org: string }>();
  expectTypeOf(user).toEqualTypeOf<{ id: number }>();
  expectTypeOf(n).toEqualTypeOf<number>();
});
// @ts-expect-error -- unknown option
org.websocket('/bad', { compresion: true }, async () => {});
org.websocket(
  '/secure',
  jwt.requireWebsocketToken(async (ws, { user }) => {
    expectTypeOf(ws.params.org).toEqualTypeOf<string>();
    expectTypeOf(user).toEqualTypeOf<{ id: number }>();
    expectTypeOf(ws.state.user).not.toBeUndefined();
  }),
);
// A free-standing router knows no prefix (`includeRouter` gives it one): its own path types `ws.params`.
const router = new RouteGroup();
expectTypeOf(router.websocket('/live/{id:int}', async (ws) => expectTypeOf(ws.params).toEqualTypeOf<{ id: number }>())).toEqualTypeOf<RouteGroup>();
app.includeRouter(router, { prefix: '/rt' });

// The managers take Covet sockets.
const manager = new WebSocketManager();
const realtime = new RealtimeManager();
app.websocket('/managed', async (ws) => {
  await manager.connect(ws, { userId: 7 });
  manager.join(ws, 'room');
  await manager.broadcastToRoom('room', { hello: 'world' }, { exclude: ws });
  expectTypeOf(realtime.subscribe(ws, ['a'])).toEqualTypeOf<Promise<void>>();
});

// The test client returns the same WebSocket class.
const client = new TestClient(app);
expectTypeOf(client.websocketConnect('/managed')).resolves.toMatchTypeOf<WebSocket<Record<string, never>>>();

// WebSocketDisconnect carries the numeric close code and reason.
expectTypeOf(new WebSocketDisconnect(1001).code).toEqualTypeOf<number>();
expectTypeOf(new WebSocketDisconnect(1001).reason).toEqualTypeOf<string>();
