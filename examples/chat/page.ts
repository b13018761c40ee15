// The chat page: log in with a name, pick a room, read its history, then talk. The token goes
// to the WebSocket as the `access_token` subprotocol (browsers cannot set headers there).
export const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Covet chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
  #log { border: 1px solid #ccc; height: 20rem; overflow-y: auto; padding: .5rem; margin: .5rem 0; }
  #log p { margin: .2rem 0; } .notice { color: #777; font-style: italic; } .error { color: #b00; }
  form { display: flex; gap: .5rem; } input[name=message] { flex: 1; }
</style>
<h1>Covet chat</h1>
<form id="join">
  <input name="username" placeholder="your name" required pattern="[A-Za-z0-9_.\\-]{1,32}">
  <input name="room" placeholder="room" value="lobby" required pattern="[A-Za-z0-9_.\\-]{1,32}">
  <button>Join</button>
</form>
<div id="log" aria-live="polite"></div>
<form id="send" hidden>
  <input name="message" placeholder="say something" autocomplete="off" required maxlength="2000">
  <button>Send</button>
</form>
<script type="module">
  const log = document.getElementById('log');
  const show = (text, cls) => {
    const p = document.createElement('p');
    p.textContent = text;
    if (cls) p.className = cls;
    log.append(p);
    log.scrollTop = log.scrollHeight;
  };
  let socket = null;
  document.getElementById('join').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const room = form.get('room');
    const login = await fetch('/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: form.get('username') }) });
    if (!login.ok) return show((await login.json()).error, 'error');
    const { access_token: token } = await login.json();
    const history = await fetch('/chat/rooms/' + encodeURIComponent(room) + '/history', { headers: { authorization: 'Bearer ' + token } });
    log.replaceChildren();
    for (const m of (await history.json()).messages.reverse()) show(m.user_id + ': ' + m.message);
    socket?.close();
    socket = new WebSocket('ws://' + location.host + '/ws/chat/' + encodeURIComponent(room), ['access_token', token]);
    socket.onopen = () => { document.getElementById('send').hidden = false; window.chatReady = true; show('joined ' + room, 'notice'); };
    socket.onmessage = (e) => {
      const event = JSON.parse(e.data);
      if (event.type === 'message') show(event.user_id + ': ' + event.message);
      else show(event.message, event.type === 'error' ? 'error' : 'notice');
    };
    socket.onclose = (e) => show('disconnected (' + e.code + ')', 'notice');
  });
  document.getElementById('send').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = event.target.elements.message;
    socket?.send(JSON.stringify({ message: input.value }));
    input.value = '';
  });
</script>
</html>
`;
