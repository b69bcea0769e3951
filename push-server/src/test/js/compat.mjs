// Compatibility checks of push-server against the real JavaScript clients: pusher-js 8 (node build) and
// Laravel Echo 2, with the official server SDK (pusher-http-node) for HTTP API calls and channel auth signatures.
//
// Usage:  PUSHER_HOST=127.0.0.1 PUSHER_PORT=6001 node compat.mjs
//
// Environment:
//   PUSHER_HOST        server host (default 127.0.0.1)
//   PUSHER_PORT        WebSocket port (default 6001)
//   PUSHER_API_PORT    HTTP API port (default: PUSHER_PORT)
//   PUSHER_APP_ID / PUSHER_APP_KEY / PUSHER_APP_SECRET   (default app-id / app-key / app-secret);
//                      the app must have client events enabled
//   COMPAT_RESTART=1   run the graceful-restart check: the program prints the line "@@compat:restart-server" and
//                      expects whoever runs it to stop the server gracefully and start it again on the same port
//   COMPAT_SUBSCRIPTION_COUNT=1   the app has enable_subscription_count on: check pusher:subscription_count
//   COMPAT_WEBHOOK_PORT=n   the app has a webhook to http://127.0.0.1:n/webhook (channel_occupied, member_added):
//                      receive it here and check it with pusher-http-node's webhook() validation
//   COMPAT_ONLY=regex  run only the checks whose name matches
//   COMPAT_DEBUG=1     print pusher-js's own log
//   COMPAT_STRICT=1    checks marked as a known server bug fail the run too (otherwise they print KNOWN-BUG)
//
// The ping check needs a server started with a small activity_timeout (e.g. 2 s); with a large one it is skipped.
// Prints one line per check (PASS / FAIL / SKIP) and exits with status 1 if any check failed.

import Pusher from 'pusher-js';
import Echo from 'laravel-echo';
import PusherServer from 'pusher';
import { isDeepStrictEqual, inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const versions = ['pusher-js', 'laravel-echo', 'pusher']
  .map((m) => `${m} ${JSON.parse(readFileSync(join(here, 'node_modules', m, 'package.json'), 'utf8')).version}`).join(', ');

const env = process.env;
const HOST = env.PUSHER_HOST || '127.0.0.1';
const PORT = Number(env.PUSHER_PORT || 6001);
const API_PORT = Number(env.PUSHER_API_PORT || PORT);
const APP_ID = env.PUSHER_APP_ID || 'app-id';
const KEY = env.PUSHER_APP_KEY || 'app-key';
const SECRET = env.PUSHER_APP_SECRET || 'app-secret';
const RESTART = env.COMPAT_RESTART === '1';
const ONLY = env.COMPAT_ONLY ? new RegExp(env.COMPAT_ONLY) : null;
const DEBUG = env.COMPAT_DEBUG === '1';
const SUBSCRIPTION_COUNT = env.COMPAT_SUBSCRIPTION_COUNT === '1';
const STRICT = env.COMPAT_STRICT === '1';
const WEBHOOK_PORT = env.COMPAT_WEBHOOK_PORT ? Number(env.COMPAT_WEBHOOK_PORT) : null;

/** How long one step (a connect, an event) may take. */
const STEP_MS = 5000;

// ---- pusher-js logging: kept per check and printed when the check fails ------------------------------------------

let logLines = [];
Pusher.log = (msg) => {
  const line = `[pusher-js] ${msg}`;
  logLines.push(line);
  if (DEBUG) console.error(line);
};

// ---- official server SDK: HTTP API and auth signatures -------------------------------------------------------

/** For end-to-end encrypted channels; only the app backend and the clients know it, never the server. */
const MASTER_KEY = randomBytes(32).toString('base64');
const api = new PusherServer({
  appId: APP_ID, key: KEY, secret: SECRET, host: HOST, port: API_PORT, useTLS: false, timeout: STEP_MS,
  encryptionMasterKeyBase64: MASTER_KEY,
});

/** A channel authorizer like an application backend's /broadcasting/auth, signing with pusher-http-node. */
function sdkAuthorizer(user) {
  return ({ socketId, channelName }, callback) => {
    try {
      callback(null, api.authorizeChannel(socketId, channelName, channelName.startsWith('presence-') ? user : undefined));
    } catch (e) {
      callback(e, null);
    }
  };
}

/** An authorizer whose token has the right key but a wrong HMAC. */
function badSignatureAuthorizer(user = { user_id: 'u1' }) {
  return ({ socketId, channelName }, callback) => {
    const good = api.authorizeChannel(socketId, channelName, channelName.startsWith('presence-') ? user : undefined);
    callback(null, { ...good, auth: `${KEY}:${'0'.repeat(64)}` });
  };
}

// ---- helpers ---------------------------------------------------------------------------------------------------

class CheckFailed extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckFailed(message);
}

function assertEqual(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new CheckFailed(`${what}: expected ${inspect(expected, { depth: 5 })}, got ${inspect(actual, { depth: 5 })}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Records every emission of an event on a pusher-js / Echo dispatcher from the moment it is created, so that
 * nothing is missed between an action and the wait for its effect.
 */
class Recorder {
  constructor(label) {
    this.label = label;
    this.items = [];
    this.read = 0;
    this.waiter = null;
  }

  /** The callback to bind. */
  get fn() {
    return (data, meta) => {
      this.items.push({ data, meta });
      if (this.waiter) this.waiter();
    };
  }

  /** The next unread emission, waiting up to ms. */
  async next(ms = STEP_MS) {
    const deadline = Date.now() + ms;
    while (this.read >= this.items.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new CheckFailed(`timed out after ${ms} ms waiting for ${this.label}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => { clearTimeout(t); resolve(); };
      });
      this.waiter = null;
    }
    return this.items[this.read++];
  }

  /** Asserts nothing new was recorded. */
  assertNone(why) {
    assert(this.read >= this.items.length,
      `${this.label}: unexpected ${inspect(this.items.slice(this.read).map((i) => i.data), { depth: 4 })} (${why})`);
  }
}

function record(dispatcher, event, label) {
  const r = new Recorder(label || `'${event}'`);
  dispatcher.bind(event, r.fn);
  return r;
}

/** Per-check context: creates clients and disconnects them when the check ends. */
class Ctx {
  constructor() {
    this.clients = [];
    this.transcripts = [];
  }

  /** A pusher-js client, configured as a self-hosted Laravel app would (wsHost/wsPort, ws only, no TLS). */
  pusher(name, { user, authorizer, userData, options } = {}) {
    const p = new Pusher(KEY, {
      cluster: 'mt1', // required by pusher-js 8, unused when wsHost is set
      wsHost: HOST,
      wsPort: PORT,
      wssPort: PORT,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: { customHandler: authorizer || sdkAuthorizer(user) },
      // like the app backend's /broadcasting/user-auth, signing with pusher-http-node's authenticateUser
      userAuthentication: {
        customHandler: ({ socketId }, callback) => {
          try {
            callback(null, api.authenticateUser(socketId, userData || { id: 'nobody' }));
          } catch (e) {
            callback(e, null);
          }
        },
      },
      ...options,
    });
    const transcript = [];
    this.transcripts.push({ name, transcript });
    // every message received, and every message sent, for the failure report
    p.connection.bind('message', (m) => transcript.push(`<- ${JSON.stringify(m)}`));
    p.connection.bind('state_change', (s) => transcript.push(`   state ${s.previous} -> ${s.current}`));
    p.connection.bind('error', (e) => transcript.push(`   error ${safeJson(e)}`));
    const sendEvent = p.send_event.bind(p);
    p.send_event = (event, data, channel) => {
      transcript.push(`-> ${safeJson({ event, data, channel })}`);
      return sendEvent(event, data, channel);
    };
    this.clients.push(p);
    return p;
  }

  /** A pusher-js client, connected. */
  async connected(name, opts) {
    const p = this.pusher(name, opts);
    await waitConnected(p);
    return p;
  }

  /** A Laravel Echo instance over a connected pusher-js client ({ broadcaster: 'pusher', client }). */
  async echo(name, opts) {
    const p = await this.connected(name, opts);
    return new Echo({ broadcaster: 'pusher', client: p });
  }

  close() {
    for (const p of this.clients) {
      try {
        p.disconnect();
      } catch {
        // ignore
      }
    }
  }
}

function safeJson(v) {
  try {
    return JSON.stringify(v, (k, x) => (x instanceof Error ? String(x) : x));
  } catch {
    return String(v);
  }
}

function waitState(p, state, ms = STEP_MS) {
  if (p.connection.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      p.connection.unbind('state_change', on);
      reject(new CheckFailed(`connection did not become '${state}' within ${ms} ms (state: ${p.connection.state})`));
    }, ms);
    const on = ({ current }) => {
      if (current === state) {
        clearTimeout(t);
        p.connection.unbind('state_change', on);
        resolve();
      }
    };
    p.connection.bind('state_change', on);
  });
}

function waitConnected(p, ms = STEP_MS) {
  const done = waitState(p, 'connected', ms);
  p.connect();
  return done;
}

/** Subscribes and waits for pusher:subscription_succeeded; returns [channel, its data]. */
async function subscribed(p, name) {
  const ch = p.subscribe(name);
  const ok = record(ch, 'pusher:subscription_succeeded', `subscription_succeeded on ${name}`);
  const err = record(ch, 'pusher:subscription_error', `subscription_error on ${name}`);
  const first = await Promise.race([ok.next().then((x) => ['ok', x]), err.next().then((x) => ['error', x])]);
  if (first[0] === 'error') throw new CheckFailed(`subscribing to ${name} failed: ${safeJson(first[1].data)}`);
  return [ch, first[1].data];
}

/** pusher.signin() and wait until pusher-js accepted pusher:signin_success. */
async function signedIn(p) {
  p.signin();
  let timer;
  await Promise.race([
    p.user.signinDonePromise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new CheckFailed(`signin not done within ${STEP_MS} ms`)), STEP_MS); }),
  ]);
  clearTimeout(timer);
  assert(p.user.user_data && typeof p.user.user_data.id === 'string', `user_data after signin: ${safeJson(p.user.user_data)}`);
}

/** Echo's subscribed() callback as a promise. */
function echoSubscribed(echoChannel, name) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new CheckFailed(`Echo channel ${name}: subscribed() not called within ${STEP_MS} ms`)), STEP_MS);
    echoChannel.subscribed(() => { clearTimeout(t); resolve(); });
    echoChannel.error((e) => { clearTimeout(t); reject(new CheckFailed(`Echo channel ${name}: error() ${safeJson(e)}`)); });
  });
}

async function trigger(channels, event, data, params) {
  const res = await api.trigger(channels, event, data, params);
  assertEqual(res.status, 200, `HTTP API trigger status`);
  return res;
}

/** A unique suffix so that checks never see each other's channels. */
let seq = 0;
const uniq = (base) => `${base}-${process.pid}-${++seq}`;

// ---- check runner ----------------------------------------------------------------------------------------------

const checks = [];
/**
 * @param knownBug a server bug this check is known to hit: its failure is printed as KNOWN-BUG and does not fail the
 *                 run (unless COMPAT_STRICT=1); when it passes, the marker should be removed
 */
function check(name, fn, { timeout = 15000, skip, knownBug } = {}) {
  checks.push({ name, fn, timeout, skip, knownBug });
}

async function runChecks() {
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  let known = 0;
  console.log(`push-server compat: ${versions}; ws://${HOST}:${PORT}, api http://${HOST}:${API_PORT}, app ${APP_ID}/${KEY}`);
  await waitForPort();
  for (const c of checks) {
    if (ONLY && !ONLY.test(c.name)) continue;
    const skip = typeof c.skip === 'function' ? c.skip() : c.skip;
    if (skip) {
      console.log(`SKIP  ${c.name}: ${skip}`);
      skipped++;
      continue;
    }
    const ctx = new Ctx();
    logLines = [];
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([
        c.fn(ctx),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new CheckFailed(`check timed out after ${c.timeout} ms`)), c.timeout); }),
      ]);
      console.log(`PASS  ${c.name} (${Date.now() - t0} ms)${c.knownBug ? ' [marked as a known bug, which seems fixed: remove the marker]' : ''}`);
      passed++;
    } catch (e) {
      const tolerated = c.knownBug && !STRICT;
      if (tolerated) known++;
      else failed++;
      console.log(`${tolerated ? 'KNOWN-BUG' : 'FAIL '} ${c.name} (${Date.now() - t0} ms): ${e instanceof CheckFailed ? e.message : (e && e.stack) || e}${c.knownBug ? `\n      known bug: ${c.knownBug}` : ''}`);
      for (const { name, transcript } of ctx.transcripts) {
        console.log(`      transcript of ${name}:`);
        for (const line of transcript.slice(-40)) console.log(`        ${line}`);
      }
      for (const line of logLines.slice(-20)) console.log(`      ${line}`);
    } finally {
      clearTimeout(timer);
      ctx.close();
    }
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${known ? `, ${known} known bugs` : ''}`);
  return failed;
}

/**
 * Waits until the server accepts TCP connections: pusher-js retries a refused connection only when its 15 s
 * strategy timeout has run out.
 */
async function waitForPort(ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: HOST, port: PORT }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${HOST}:${PORT}`);
    await sleep(200);
  }
}

// ---- webhook receiver: what an application's endpoint does with pusher-http-node -------------------------------

/** Every webhook received: the SDK's verdict, its events, and the exact content type. */
const webhooks = [];
let webhookServer = null;
if (WEBHOOK_PORT) {
  webhookServer = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const hook = api.webhook({ headers: req.headers, rawBody });
      webhooks.push({ valid: hook.isValid(), events: hook.isValid() ? hook.getEvents() : [],
        contentType: req.headers['content-type'], time: hook.isValid() ? hook.getTime() : null });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  webhookServer.listen(WEBHOOK_PORT, '127.0.0.1');
}

// ==== the checks ===============================================================================================

// ---- connection ----------------------------------------------------------------------------------------------

let handshakeActivityMs = null; // the activity timeout pusher-js derived from the server's handshake

check('connect: pusher-js reaches connected; socket_id matches ^\\d+\\.\\d+$', async (ctx) => {
  const p = ctx.pusher('client'); // pusher-js connects from its constructor
  assertEqual(p.connection.state, 'connecting', 'state right after new Pusher()');
  const states = [];
  p.connection.bind('state_change', (s) => states.push(s.current));
  await waitConnected(p);
  const id = p.connection.socket_id;
  assert(typeof id === 'string' && /^\d+\.\d+$/.test(id), `socket_id ${inspect(id)} is not a digits.digits string`);
  assertEqual(states, ['connected'], 'state changes');
  handshakeActivityMs = p.connection.activityTimeout;
  assert(handshakeActivityMs > 0, `activity timeout from the handshake: ${handshakeActivityMs}`);
  // socket ids are unique
  const q = await ctx.connected('client2');
  assert(q.connection.socket_id !== id, 'two connections got the same socket_id');
});

check('connect: Laravel Echo connectionStatus() and socketId()', async (ctx) => {
  const echo = await ctx.echo('echo');
  assertEqual(echo.connectionStatus(), 'connected', 'Echo connectionStatus()');
  assert(/^\d+\.\d+$/.test(echo.socketId()), `Echo socketId() ${inspect(echo.socketId())}`);
  const seen = [];
  echo.connector.onConnectionChange((s) => seen.push(s));
  echo.disconnect();
  assertEqual(echo.connectionStatus(), 'disconnected', 'Echo connectionStatus() after disconnect()');
  assert(seen.includes('disconnected'), `onConnectionChange saw ${inspect(seen)}`);
});

check('connect: unknown app key is refused with 4001 and pusher-js does not retry', async (ctx) => {
  const p = new Pusher(KEY + '-unknown', {
    cluster: 'mt1', wsHost: HOST, wsPort: PORT, forceTLS: false, enabledTransports: ['ws'],
  });
  ctx.clients.push(p);
  const errors = record(p.connection, 'error', 'connection error');
  const states = [];
  p.connection.bind('state_change', (s) => states.push(s.current));
  const e = (await errors.next()).data;
  assert(e.type === 'WebSocketError' && e.error && e.error.data && e.error.data.code === 4001,
    `error event ${safeJson(e)}`);
  await waitState(p, 'disconnected', 2000);
  await sleep(1500); // a backoff retry would come after 1 s
  assertEqual(states, ['disconnected'], 'state changes');
});

// ---- public channels -----------------------------------------------------------------------------------------

check('public: event triggered with pusher-http-node reaches pusher-js (object, string and unicode data)', async (ctx) => {
  const p = await ctx.connected('client');
  const name = uniq('compat-public');
  const [ch, data] = await subscribed(p, name);
  assertEqual(data, {}, 'subscription_succeeded data');
  const got = record(ch, 'news');
  await trigger(name, 'news', { text: 'hello', n: 1, nested: { ok: true } });
  assertEqual((await got.next()).data, { text: 'hello', n: 1, nested: { ok: true } }, 'object data');
  await trigger(name, 'news', 'plain text, not JSON');
  assertEqual((await got.next()).data, 'plain text, not JSON', 'string data');
  await trigger(name, 'news', { text: 'héllo wörld ✓ 🚀 "quoted" \\ back\\slash' });
  assertEqual((await got.next()).data, { text: 'héllo wörld ✓ 🚀 "quoted" \\ back\\slash' }, 'unicode data');
  // the bound global callback sees it too
  const global = record(p, 'news', 'global news');
  await trigger(name, 'news', { g: 1 });
  assertEqual((await global.next()).data, { g: 1 }, 'global binding data');
});

check('public: trigger to several channels, and socket_id excludes the sender (Laravel toOthers())', async (ctx) => {
  const a = await ctx.connected('A');
  const b = await ctx.connected('B');
  const n1 = uniq('compat-multi');
  const n2 = uniq('compat-multi');
  const [a1] = await subscribed(a, n1);
  const [b1] = await subscribed(b, n1);
  const [b2] = await subscribed(b, n2);
  const gotA1 = record(a1, 'ev', 'A on ' + n1);
  const gotB1 = record(b1, 'ev', 'B on ' + n1);
  const gotB2 = record(b2, 'ev', 'B on ' + n2);
  await trigger([n1, n2], 'ev', { i: 1 });
  assertEqual((await gotA1.next()).data, { i: 1 }, 'A ch1');
  assertEqual((await gotB1.next()).data, { i: 1 }, 'B ch1');
  assertEqual((await gotB2.next()).data, { i: 1 }, 'B ch2');
  // excluded: A must not get #2; its next event must be #3 (events on one connection are ordered)
  await trigger(n1, 'ev', { i: 2 }, { socket_id: a.connection.socket_id });
  await trigger(n1, 'ev', { i: 3 });
  assertEqual((await gotB1.next()).data, { i: 2 }, 'B gets the event that excluded A');
  assertEqual((await gotA1.next()).data, { i: 3 }, 'A skipped the event that excluded its socket_id, next');
  assertEqual((await gotB1.next()).data, { i: 3 }, 'B next');
});

check('public: Echo .channel().listen() gets Laravel event names (App\\Events\\X, .custom) and .listenToAll()', async (ctx) => {
  const echo = await ctx.echo('echo');
  const name = uniq('compat-orders');
  const ch = echo.channel(name);
  await echoSubscribed(ch, name);
  const shipped = new Recorder('Echo listen(OrderShipped)');
  const custom = new Recorder('Echo listen(.order.custom)');
  const all = new Recorder('Echo listenToAll');
  ch.listen('OrderShipped', shipped.fn).listen('.order.custom', custom.fn).listenToAll(all.fn);
  await trigger(name, 'App\\Events\\OrderShipped', { order: { id: 7 } });
  assertEqual((await shipped.next()).data, { order: { id: 7 } }, 'App\\Events\\OrderShipped payload');
  await trigger(name, 'order.custom', { x: 1 });
  assertEqual((await custom.next()).data, { x: 1 }, '.order.custom payload');
  const e1 = await all.next();
  assertEqual([e1.data, e1.meta], ['OrderShipped', { order: { id: 7 } }], 'listenToAll first (event, data)');
  const e2 = await all.next();
  assertEqual([e2.data, e2.meta], ['.order.custom', { x: 1 }], 'listenToAll second (event, data)');
  // leave(): the server stops sending
  echo.leave(name);
  await sleep(100);
  await trigger(name, 'App\\Events\\OrderShipped', { order: { id: 8 } });
  await sleep(300);
  shipped.assertNone('after Echo.leave()');
});

// ---- private channels ----------------------------------------------------------------------------------------

check('private: pusher-js subscribes with channelAuthorization.customHandler (pusher-http-node authorizeChannel)', async (ctx) => {
  const p = await ctx.connected('client');
  const name = uniq('private-compat');
  const [ch, data] = await subscribed(p, name);
  assertEqual(data, {}, 'subscription_succeeded data');
  assert(ch.subscribed === true, 'channel.subscribed');
  const got = record(ch, 'secret');
  await trigger(name, 'secret', { s: 1 });
  assertEqual((await got.next()).data, { s: 1 }, 'private event');
});

check('private: Echo .private().subscribed() and .listen()', async (ctx) => {
  const echo = await ctx.echo('echo');
  const base = uniq('compat-echo');
  const ch = echo.private(base);
  await echoSubscribed(ch, 'private-' + base);
  const got = new Recorder('Echo private listen');
  ch.listen('.status', got.fn);
  await trigger('private-' + base, 'status', { up: true });
  assertEqual((await got.next()).data, { up: true }, 'private event through Echo');
});

check('Echo creating pusher-js itself (options.Pusher; broadcasters "pusher" and "reverb")', async (ctx) => {
  for (const broadcaster of ['pusher', 'reverb']) {
    const echo = new Echo({
      broadcaster,
      Pusher,
      key: KEY,
      cluster: 'mt1',
      wsHost: HOST,
      wsPort: PORT,
      wssPort: PORT,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: { customHandler: sdkAuthorizer() },
    });
    ctx.clients.push(echo.connector.pusher);
    const base = uniq('compat-self');
    const ch = echo.private(base);
    await echoSubscribed(ch, 'private-' + base);
    assertEqual(echo.connectionStatus(), 'connected', `${broadcaster}: connectionStatus()`);
    const got = new Recorder(`${broadcaster}: listen`);
    ch.listen('Ping', got.fn);
    await trigger('private-' + base, 'App\\Events\\Ping', { b: broadcaster });
    assertEqual((await got.next()).data, { b: broadcaster }, `${broadcaster}: event`);
  }
});

check('private-encrypted: pusher-js decrypts an event encrypted by pusher-http-node (server relays ciphertext)', async (ctx) => {
  const p = await ctx.connected('client');
  const name = uniq('private-encrypted-compat');
  const raw = [];
  p.connection.bind('message', (m) => { if (m.channel === name) raw.push(m); });
  const [ch, data] = await subscribed(p, name);
  assertEqual(data, {}, 'subscription_succeeded data');
  const got = record(ch, 'secret');
  await trigger(name, 'secret', { card: '4242' });
  assertEqual((await got.next()).data, { card: '4242' }, 'decrypted data');
  const wire = raw.find((m) => m.event === 'secret');
  assert(wire && typeof wire.data === 'object' && wire.data.nonce && wire.data.ciphertext && !JSON.stringify(wire).includes('4242'),
    `event on the wire is not ciphertext: ${safeJson(wire)}`);
  // Echo's encryptedPrivate() over the same kind of client
  const echo = await ctx.echo('echo');
  const base = uniq('compat-enc');
  const ech = echo.encryptedPrivate(base);
  await echoSubscribed(ech, 'private-encrypted-' + base);
  const egot = new Recorder('Echo encryptedPrivate listen');
  ech.listen('.secret', egot.fn);
  await trigger('private-encrypted-' + base, 'secret', { pin: 1 });
  assertEqual((await egot.next()).data, { pin: 1 }, 'Echo decrypted data');
});

// ---- presence channels ---------------------------------------------------------------------------------------

check('presence: members.count/me/each, member_added/member_removed with two pusher-js clients', async (ctx) => {
  const name = uniq('presence-compat');
  const alice = await ctx.connected('alice', { user: { user_id: 'alice', user_info: { name: 'Alice' } } });
  const [chA, members1] = await subscribed(alice, name);
  assertEqual(members1.count, 1, 'count for the first member');
  assertEqual(members1.me, { id: 'alice', info: { name: 'Alice' } }, 'members.me');
  const added = record(chA, 'pusher:member_added');
  const removed = record(chA, 'pusher:member_removed');

  const bob = await ctx.connected('bob', { user: { user_id: 'bob', user_info: { name: 'Bob', tags: ['x'] } } });
  const [chB, members2] = await subscribed(bob, name);
  assertEqual(members2.count, 2, "count seen by the second member");
  assertEqual(members2.me, { id: 'bob', info: { name: 'Bob', tags: ['x'] } }, 'bob members.me');
  const each = [];
  members2.each((m) => each.push(m));
  each.sort((x, y) => x.id.localeCompare(y.id));
  assertEqual(each, [{ id: 'alice', info: { name: 'Alice' } }, { id: 'bob', info: { name: 'Bob', tags: ['x'] } }], 'members.each');
  assertEqual(members2.get('alice'), { id: 'alice', info: { name: 'Alice' } }, "members.get('alice')");

  assertEqual((await added.next()).data, { id: 'bob', info: { name: 'Bob', tags: ['x'] } }, 'member_added at alice');
  assertEqual(chA.members.count, 2, 'alice count after member_added');
  const bobRemoved = record(chB, 'pusher:member_removed', 'member_removed at bob');

  bob.unsubscribe(name);
  assertEqual((await removed.next()).data, { id: 'bob', info: { name: 'Bob', tags: ['x'] } }, 'member_removed at alice after unsubscribe');
  assertEqual(chA.members.count, 1, 'alice count after member_removed');

  // join again, then disconnect: member_removed again
  const [chB2] = await subscribed(bob, name);
  assertEqual(chB2.members.count, 2, 'count after re-joining');
  assertEqual((await added.next()).data.id, 'bob', 'member_added after re-joining');
  bob.disconnect();
  assertEqual((await removed.next()).data.id, 'bob', 'member_removed after disconnect');
  assertEqual(chA.members.count, 1, 'alice count after bob disconnected');
  bobRemoved.assertNone('a member never hears its own removal');
  added.assertNone('no member_added beyond bob\'s');
});

check('presence: one user on two connections is one member (member_added once, member_removed after the last)', async (ctx) => {
  const name = uniq('presence-compat-multi');
  const watcher = await ctx.connected('watcher', { user: { user_id: 'w', user_info: { name: 'W' } } });
  const [chW] = await subscribed(watcher, name);
  const added = record(chW, 'pusher:member_added');
  const removed = record(chW, 'pusher:member_removed');
  const tab1 = await ctx.connected('carol-tab1', { user: { user_id: 'carol', user_info: { name: 'Carol' } } });
  const tab2 = await ctx.connected('carol-tab2', { user: { user_id: 'carol', user_info: { name: 'Carol' } } });
  await subscribed(tab1, name);
  assertEqual((await added.next()).data.id, 'carol', 'member_added for the first connection');
  const [, m2] = await subscribed(tab2, name);
  assertEqual(m2.count, 2, 'count seen by the second tab (watcher + carol)');
  tab1.disconnect();
  // a trigger after the fact gives an ordering point: anything sent about carol is before this event
  const marker = record(chW, 'marker');
  await sleep(200);
  await trigger(name, 'marker', {});
  await marker.next();
  added.assertNone('second connection of the same user');
  removed.assertNone('the user still has a connection');
  assertEqual(chW.members.count, 2, 'watcher count while carol has one connection');
  tab2.disconnect();
  assertEqual((await removed.next()).data.id, 'carol', 'member_removed after the last connection');
});

check('presence: numeric user_id in channel_data', async (ctx) => {
  const name = uniq('presence-compat-num');
  const a = await ctx.connected('user-10', { user: { user_id: 10, user_info: { name: 'Ten' } } });
  const [chA, m] = await subscribed(a, name);
  assertEqual(m.count, 1, 'count');
  assert(m.me && m.me.info && m.me.info.name === 'Ten', `members.me ${inspect(m.me)}`);
  assertEqual(Object.keys(m.members), ['10'], 'member hash keys');
  const added = record(chA, 'pusher:member_added');
  const b = await ctx.connected('user-11', { user: { user_id: 11 } });
  const [, mb] = await subscribed(b, name);
  assertEqual(mb.me, { id: 11, info: null }, 'members.me of a member without user_info');
  assertEqual((await added.next()).data, { id: '11', info: undefined }, 'member_added for a member without user_info');
});

check('presence: Echo .join() .here() / .joining() / .leaving()', async (ctx) => {
  const base = uniq('compat-room');
  const echoA = await ctx.echo('echo-alice', { user: { user_id: 'a1', user_info: { id: 'a1', name: 'Alice' } } });
  const here = new Recorder('Echo here()');
  const joining = new Recorder('Echo joining()');
  const leaving = new Recorder('Echo leaving()');
  echoA.join(base).here(here.fn).joining(joining.fn).leaving(leaving.fn);
  assertEqual((await here.next()).data, [{ id: 'a1', name: 'Alice' }], 'here() for the first member');

  const echoB = await ctx.echo('echo-bob', { user: { user_id: 'b2', user_info: { id: 'b2', name: 'Bob' } } });
  const hereB = new Recorder('Echo here() at bob');
  echoB.join(base).here(hereB.fn);
  const users = (await hereB.next()).data.slice().sort((x, y) => x.id.localeCompare(y.id));
  assertEqual(users, [{ id: 'a1', name: 'Alice' }, { id: 'b2', name: 'Bob' }], 'here() for the second member');
  assertEqual((await joining.next()).data, { id: 'b2', name: 'Bob' }, 'joining()');
  echoB.leave(base);
  assertEqual((await leaving.next()).data, { id: 'b2', name: 'Bob' }, 'leaving()');
});

// ---- client events ---------------------------------------------------------------------------------------------

check('client events: private channel trigger("client-x") reaches the other client, not the sender', async (ctx) => {
  const name = uniq('private-compat-chat');
  const a = await ctx.connected('A');
  const b = await ctx.connected('B');
  const [chA] = await subscribed(a, name);
  const [chB] = await subscribed(b, name);
  const atA = record(chA, 'client-typing', 'client-typing at A');
  const atB = record(chB, 'client-typing', 'client-typing at B');
  assert(chA.trigger('client-typing', { who: 'A', n: 1 }) === true, 'trigger() returned false');
  const got = await atB.next();
  assertEqual(got.data, { who: 'A', n: 1 }, 'client event data');
  assertEqual(got.meta, {}, 'no user_id metadata on private channels');
  chB.trigger('client-typing', 'a string payload');
  assertEqual((await atA.next()).data, 'a string payload', 'string client event data');
  // round trip so that an echo to the sender would have arrived by now
  chA.trigger('client-typing', { n: 2 });
  assertEqual((await atB.next()).data, { n: 2 }, 'second event');
  await sleep(150);
  assertEqual(atA.items.length, 1, 'events seen by A (it must not get its own)');
  atB.assertNone('B must not get its own event');
});

check('client events: presence channel carries metadata.user_id of the sender', async (ctx) => {
  const name = uniq('presence-compat-chat');
  const a = await ctx.connected('alice', { user: { user_id: 'alice', user_info: { name: 'Alice' } } });
  const b = await ctx.connected('bob', { user: { user_id: 'bob' } });
  const [chA] = await subscribed(a, name);
  const [chB] = await subscribed(b, name);
  const atB = record(chB, 'client-msg');
  const atA = record(chA, 'client-msg');
  chA.trigger('client-msg', { text: 'hi' });
  assertEqual(await atB.next(), { data: { text: 'hi' }, meta: { user_id: 'alice' } }, 'client event at bob');
  chB.trigger('client-msg', { text: 'yo' });
  assertEqual(await atA.next(), { data: { text: 'yo' }, meta: { user_id: 'bob' } }, 'client event at alice');
});

check('client events: Echo .whisper() and .listenForWhisper() on private and presence channels', async (ctx) => {
  const base = uniq('compat-whisper');
  const echoA = await ctx.echo('echo-alice', { user: { user_id: 'alice', user_info: { name: 'Alice' } } });
  const echoB = await ctx.echo('echo-bob', { user: { user_id: 'bob', user_info: { name: 'Bob' } } });
  const pa = echoA.private(base);
  const pb = echoB.private(base);
  await Promise.all([echoSubscribed(pa, 'private-' + base), echoSubscribed(pb, 'private-' + base)]);
  const gotB = new Recorder('Echo listenForWhisper(typing) at bob');
  pb.listenForWhisper('typing', gotB.fn);
  pa.whisper('typing', { typing: true });
  assertEqual((await gotB.next()).data, { typing: true }, 'whisper on a private channel');

  const ja = echoA.join(base);
  const jb = echoB.join(base);
  await Promise.all([echoSubscribed(ja, 'presence-' + base), echoSubscribed(jb, 'presence-' + base)]);
  const gotJ = new Recorder('Echo presence listenForWhisper(typing) at alice');
  ja.listenForWhisper('typing', gotJ.fn);
  jb.whisper('typing', { typing: 'bob' });
  assertEqual(await gotJ.next(), { data: { typing: 'bob' }, meta: { user_id: 'bob' } }, 'whisper on a presence channel');
});

check('client events: rejected on a public channel with pusher:error (connection stays up)', async (ctx) => {
  const p = await ctx.connected('client');
  const name = uniq('compat-public-client');
  const [ch] = await subscribed(p, name);
  const errors = record(p.connection, 'error', 'connection error event');
  ch.trigger('client-nope', { x: 1 });
  const e = (await errors.next()).data;
  assertEqual(e.type, 'PusherError', 'error type');
  assert(e.data && e.data.code === null && typeof e.data.message === 'string', `pusher:error data ${safeJson(e.data)}`);
  await sleep(100);
  assertEqual(p.connection.state, 'connected', 'state after the rejected client event');
});

check('client events: over the rate limit (10/s by default) get pusher:error 4301, connection stays up', async (ctx) => {
  const name = uniq('private-compat-rate');
  const a = await ctx.connected('A');
  const b = await ctx.connected('B');
  const [chA] = await subscribed(a, name);
  const [chB] = await subscribed(b, name);
  const atB = record(chB, 'client-burst', 'client-burst at B');
  const errors = record(a.connection, 'error', 'error at A');
  for (let i = 0; i < 25; i++) chA.trigger('client-burst', { i });
  const e = (await errors.next()).data;
  assert(e.type === 'PusherError' && e.data.code === 4301, `error event ${safeJson(e)}`);
  await atB.next();
  await sleep(200);
  assert(atB.items.length < 25, `all 25 client events were delivered`);
  assertEqual(a.connection.state, 'connected', 'sender state');
});

// ---- subscription errors -------------------------------------------------------------------------------------

check('subscription error: bad auth signature reaches pusher:subscription_error and Echo .error()', async (ctx) => {
  const p = await ctx.connected('client', { authorizer: badSignatureAuthorizer() });
  const name = uniq('private-compat-bad');
  const connErrors = record(p.connection, 'error', 'connection error event');
  const ch = p.subscribe(name);
  const err = record(ch, 'pusher:subscription_error');
  const ok = record(ch, 'pusher:subscription_succeeded');
  const e = (await err.next()).data;
  assert(e && e.type === 'AuthError' && e.status === 401 && typeof e.error === 'string',
    `subscription_error data ${safeJson(e)}`);
  const ce = (await connErrors.next()).data;
  assert(ce.type === 'PusherError' && ce.data.code === null && /signature/i.test(ce.data.message),
    `connection-level pusher:error ${safeJson(ce)}`);
  ok.assertNone('no subscription_succeeded after a failed auth');
  assert(!ch.subscribed, 'channel marked subscribed after a failed auth');
  assertEqual(p.connection.state, 'connected', 'state after the failed subscription');

  // the same through Echo, on a presence channel
  const echo = new Echo({ broadcaster: 'pusher', client: p });
  const base = uniq('compat-bad-room');
  const echoErr = new Recorder('Echo error()');
  const here = new Recorder('Echo here()');
  echo.join(base).here(here.fn).error(echoErr.fn);
  const ee = (await echoErr.next()).data;
  assert(ee && ee.type === 'AuthError' && ee.status === 401, `Echo error() data ${safeJson(ee)}`);
  here.assertNone('here() after a failed auth');

  // a good subscription on the same connection still works afterwards
  const okName = uniq('compat-after-error');
  await subscribed(p, okName);
});

check('subscription error: auth token with another key is rejected', async (ctx) => {
  const authorizer = ({ socketId, channelName }, cb) => {
    const good = api.authorizeChannel(socketId, channelName);
    cb(null, { auth: 'not-' + good.auth });
  };
  const p = await ctx.connected('client', { authorizer });
  const name = uniq('private-compat-otherkey');
  const ch = p.subscribe(name);
  const err = record(ch, 'pusher:subscription_error');
  const e = (await err.next()).data;
  assert(e && e.type === 'AuthError' && e.status === 401, `subscription_error data ${safeJson(e)}`);
  assertEqual(p.connection.state, 'connected', 'state');
});

// ---- user authentication (pusher.signin), server-to-user, watchlist ----------------------------------------------

check('user: signin() succeeds; sendToUser (pusher-http-node) reaches pusher.user on every connection of the user', async (ctx) => {
  const id = uniq('user');
  const userData = { id, user_info: { name: 'Uma' } };
  const a = await ctx.connected('tab1', { userData });
  const b = await ctx.connected('tab2', { userData });
  const other = await ctx.connected('other', { userData: { id: uniq('user') } });
  await Promise.all([signedIn(a), signedIn(b), signedIn(other)]);
  assertEqual(a.user.user_data, userData, 'pusher.user.user_data');
  // pusher-js subscribes to #server-to-user-<id> after signin
  const sub = a.user.serverToUserChannel;
  assert(sub, 'no server-to-user channel');
  if (!sub.subscribed) await new Promise((resolve) => sub.bind('pusher:subscription_succeeded', resolve));
  for (const p of [b, other]) {
    const c = p.user.serverToUserChannel;
    if (!c.subscribed) await new Promise((resolve) => c.bind('pusher:subscription_succeeded', resolve));
  }
  const atA = record(a.user, 'notice', 'user event at tab1');
  const atB = record(b.user, 'notice', 'user event at tab2');
  const atOther = record(other.user, 'notice', 'user event at another user');
  const res = await api.sendToUser(id, 'notice', { n: 1 });
  assertEqual(res.status, 200, 'sendToUser status');
  assertEqual((await atA.next()).data, { n: 1 }, 'tab1');
  assertEqual((await atB.next()).data, { n: 1 }, 'tab2');
  await sleep(150);
  atOther.assertNone('another user must not get it');
});

check('user: presence channel without channel_data uses the signed-in identity', async (ctx) => {
  const name = uniq('presence-compat-signedin');
  // the app backend signs only socket_id:channel (no channel_data) for signed-in users
  const authorizer = ({ socketId, channelName }, cb) => cb(null, { auth: api.authorizeChannel(socketId, channelName).auth });
  const id = uniq('member');
  const p = await ctx.connected('member', { authorizer, userData: { id, user_info: { name: 'Signed In' } } });
  const other = await ctx.connected('other', { user: { user_id: 'o', user_info: { name: 'O' } } });
  const [chO] = await subscribed(other, name);
  const added = record(chO, 'pusher:member_added');
  p.signin();
  const [ch, members] = await subscribed(p, name);
  assertEqual(members.me, { id, info: { name: 'Signed In' } }, 'members.me');
  assertEqual(members.count, 2, 'count');
  assertEqual((await added.next()).data, { id, info: { name: 'Signed In' } }, 'member_added at the other member');
  // client events carry the signed-in id
  const got = record(chO, 'client-hi');
  ch.trigger('client-hi', {});
  assertEqual((await got.next()).meta, { user_id: id }, 'client event metadata');
});

check('user: watchlist online/offline events reach pusher.user.watchlist', async (ctx) => {
  const watched = uniq('watched');
  const w = await ctx.connected('watcher', { userData: { id: uniq('watcher'), watchlist: [watched] } });
  const online = record(w.user.watchlist, 'online', 'watchlist online');
  const offline = record(w.user.watchlist, 'offline', 'watchlist offline');
  await signedIn(w);
  assertEqual((await offline.next()).data, { name: 'offline', user_ids: [watched] }, 'initial status');
  const u = await ctx.connected('watched', { userData: { id: watched } });
  await signedIn(u);
  assertEqual((await online.next()).data, { name: 'online', user_ids: [watched] }, 'after the watched user signed in');
  u.disconnect();
  assertEqual((await offline.next()).data, { name: 'offline', user_ids: [watched] }, 'after the watched user left');
});

check('user: terminateUserConnections (pusher-http-node) closes the user\'s connections with 4009, no reconnect', async (ctx) => {
  const id = uniq('term');
  const p = await ctx.connected('victim', { userData: { id } });
  const bystander = await ctx.connected('bystander', { userData: { id: uniq('bystander') } });
  await Promise.all([signedIn(p), signedIn(bystander)]);
  const errors = record(p.connection, 'error', 'error at the terminated connection');
  const res = await api.terminateUserConnections(id);
  assertEqual(res.status, 200, 'terminate_connections status');
  let code = null;
  while (code === null) {
    const e = (await errors.next()).data;
    if (e.type === 'WebSocketError' && e.error && e.error.data) code = e.error.data.code;
  }
  assertEqual(code, 4009, 'close code');
  await waitState(p, 'disconnected', 2000);
  await sleep(1200);
  assertEqual(p.connection.state, 'disconnected', 'state a while later');
  assertEqual(bystander.connection.state, 'connected', 'another user');
});

check('user: signin with a forged signature is closed with 4009 and not retried', async (ctx) => {
  const p = ctx.pusher('forger', {
    options: { userAuthentication: { customHandler: ({ socketId }, cb) => cb(null, { ...api.authenticateUser(socketId, { id: 'admin' }), auth: `${KEY}:${'0'.repeat(64)}` }) } },
  });
  await waitConnected(p);
  const errors = record(p.connection, 'error', 'error');
  p.signin();
  let code = null;
  while (code === null) {
    const e = (await errors.next()).data;
    if (e.type === 'WebSocketError' && e.error && e.error.data) code = e.error.data.code;
  }
  assertEqual(code, 4009, 'close code');
  await waitState(p, 'disconnected', 2000);
});

// ---- cache channels and subscription counts ----------------------------------------------------------------

check('cache channels: the last event is replayed to a new subscriber; empty ones give pusher:cache_miss', async (ctx) => {
  const p = await ctx.connected('client');
  const name = uniq('cache-compat');
  await trigger(name, 'price', { v: 1 });
  await trigger(name, 'price', { v: 2 });
  const ch = p.subscribe(name);
  const got = record(ch, 'price');
  const miss = record(ch, 'pusher:cache_miss');
  await got.next().then((x) => assertEqual(x.data, { v: 2 }, 'replayed event'));
  const pname = uniq('private-cache-compat');
  const pch = p.subscribe(pname);
  const pmiss = record(pch, 'pusher:cache_miss', 'cache_miss on ' + pname);
  await pmiss.next();
  miss.assertNone('no cache_miss when there is a cached event');
  // Echo: listen on a cache channel
  const echo = new Echo({ broadcaster: 'pusher', client: p });
  const e = new Recorder('Echo cache channel');
  echo.channel(name).listen('.price', e.fn);
  await trigger(name, 'price', { v: 3 });
  assertEqual((await e.next()).data, { v: 3 }, 'Echo listen on a cache channel');
});

check('subscription count: pusher:subscription_count and channel.subscriptionCount', async (ctx) => {
  const name = uniq('compat-count');
  const a = await ctx.connected('A');
  const chA = a.subscribe(name);
  const counts = record(chA, 'pusher:subscription_count');
  assertEqual((await counts.next()).data, { subscription_count: 1 }, 'first count');
  const b = await ctx.connected('B');
  await subscribed(b, name);
  assertEqual((await counts.next()).data, { subscription_count: 2 }, 'after a second subscriber');
  assertEqual(chA.subscriptionCount, 2, 'channel.subscriptionCount');
  b.unsubscribe(name);
  assertEqual((await counts.next()).data, { subscription_count: 1 }, 'after an unsubscribe');
}, { skip: SUBSCRIPTION_COUNT ? false : 'set COMPAT_SUBSCRIPTION_COUNT=1 when the app has enable_subscription_count' });

// ---- webhooks ----------------------------------------------------------------------------------------------------

check('webhooks: pusher-http-node webhook() accepts the server\'s channel_occupied and member_added', async (ctx) => {
  const name = uniq('compat-hook');
  const presence = uniq('presence-compat-hook');
  const p = await ctx.connected('client', { user: { user_id: 'hook-user' } });
  await subscribed(p, name);
  await subscribed(p, presence);
  const deadline = Date.now() + 10000;
  const seen = () => webhooks.flatMap((w) => w.events.map((e) => `${e.name} ${e.channel}`));
  while (!(seen().includes(`channel_occupied ${name}`) && seen().includes(`member_added ${presence}`))) {
    if (Date.now() > deadline) throw new CheckFailed(`webhooks not received; got ${inspect(seen())}`);
    await sleep(100);
  }
  assert(webhooks.every((w) => w.valid), `every webhook valid for pusher-http-node: ${inspect(webhooks.filter((w) => !w.valid))}`);
  assert(webhooks.every((w) => w.contentType === 'application/json'), 'Content-Type exactly application/json');
  const added = webhooks.flatMap((w) => w.events).find((e) => e.name === 'member_added' && e.channel === presence);
  assertEqual(added.user_id, 'hook-user', 'member_added user_id');
  assert(webhooks.every((w) => w.time instanceof Date), 'getTime() is a Date');
}, { skip: WEBHOOK_PORT ? false : 'set COMPAT_WEBHOOK_PORT when the app has a webhook to this program' });

// ---- liveness --------------------------------------------------------------------------------------------------

check('ping: after activity_timeout of silence pusher-js sends pusher:ping, gets pusher:pong, stays connected', async (ctx) => {
  const p = await ctx.connected('client', { options: { pongTimeout: 1500 } });
  const activity = p.connection.activityTimeout;
  const id = p.connection.socket_id;
  const pongs = record(p.connection, 'message', 'pusher:pong');
  const states = [];
  p.connection.bind('state_change', (s) => states.push(s.current));
  const t0 = Date.now();
  const seen = [];
  while (seen.length < 2) {
    const m = (await pongs.next(activity + 2000)).data;
    if (m.event === 'pusher:pong') seen.push(Date.now() - t0);
  }
  assert(seen[0] >= activity - 250, `first pong after ${seen[0]} ms, before the activity timeout of ${activity} ms`);
  await sleep(300);
  assertEqual(states, [], 'state changes while idle');
  assertEqual(p.connection.socket_id, id, 'socket_id (no reconnect)');
  assertEqual(p.connection.state, 'connected', 'state');
}, { timeout: 20000, skip: () => (handshakeActivityMs === null || handshakeActivityMs > 5000
  ? `the server's activity_timeout is ${handshakeActivityMs === null ? 'unknown' : handshakeActivityMs / 1000 + ' s'}; start it with a small one (e.g. 2) to run this check`
  : false) });

// ---- graceful restart ----------------------------------------------------------------------------------------

check('restart: graceful stop closes with 4200, pusher-js reconnects and resubscribes when the server is back', async (ctx) => {
  const p = await ctx.connected('client');
  const name = uniq('compat-restart');
  const [ch] = await subscribed(p, name);
  const oldId = p.connection.socket_id;
  const errors = record(p.connection, 'error', 'connection error');
  const states = [];
  p.connection.bind('state_change', (s) => states.push(s.current));
  const resubscribed = record(ch, 'pusher:subscription_succeeded', 'subscription_succeeded after reconnect');

  console.log('@@compat:restart-server');
  // the close: pusher-js reports the close code as a WebSocketError (a pusher:error with the code may come first)
  let closeCode = null;
  const errs = [];
  while (closeCode === null) {
    const e = (await errors.next(10000)).data;
    errs.push(e);
    if (e.type === 'WebSocketError') closeCode = e.error && e.error.data && e.error.data.code;
  }
  assertEqual(closeCode, 4200, 'close code');
  // 4200 means "reconnect now": pusher-js goes straight to connecting (a 40xx code would leave it disconnected)
  await waitState(p, 'connecting', 2000);
  // pusher-js gives up on a refused connection only after its 15 s strategy timeout, so this may take a while
  await waitState(p, 'connected', 25000);
  assert(states[0] === 'connecting', `first state after the close: ${inspect(states)}`);
  assert(!states.includes('disconnected') && !states.includes('failed'), `states after the close: ${inspect(states)}`);
  assert(p.connection.socket_id !== oldId, 'same socket_id after reconnect');
  await resubscribed.next();
  const got = record(ch, 'back');
  await trigger(name, 'back', { ok: 1 });
  assertEqual((await got.next()).data, { ok: 1 }, 'event after reconnect');
}, { timeout: 40000, skip: RESTART ? false : 'set COMPAT_RESTART=1 and restart the server on "@@compat:restart-server"' });

// ---- run -------------------------------------------------------------------------------------------------------

const hardStop = setTimeout(() => {
  console.log('FAIL  the whole run took longer than 120 s');
  process.exit(2);
}, 120000);
hardStop.unref();

runChecks().then(
  (failed) => process.exit(failed > 0 ? 1 : 0),
  (e) => {
    console.log(`FAIL  runner crashed: ${(e && e.stack) || e}`);
    process.exit(2);
  },
);
