// Drives the demo page (/demo/, served with --demo) in headless Chromium through playwright-core:
// two visitors join the presence channel and see each other, exchange client events on the presence and the
// private channel, and receive an event the Java test triggers through the HTTP API when asked with
// "@@browser:trigger". Prints PASS/FAIL lines; exit status 0 when every check passed.
//
// Environment: DEMO_URL (http://127.0.0.1:port/demo/), CHROMIUM (the browser binary), SCREENSHOT (png path).
import { chromium } from 'playwright-core';

const DEMO_URL = process.env.DEMO_URL;
const SCREENSHOT = process.env.SCREENSHOT || 'demo-two-members.png';
const TIMEOUT = 15000;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`PASS  ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name}: ${e && e.message ? e.message.split('\n')[0] : e}`);
    throw e;
  }
}

async function join(browser, name) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  page.on('pageerror', (e) => console.log(`[${name} page error] ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[${name} console] ${m.text()}`); });
  await page.goto(DEMO_URL);
  await page.fill('#name', name);
  await page.click('#join button');
  return page;
}

const text = (page, sel) => page.locator(sel).allInnerTexts();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
let code = 1;
try {
  let alice, bob;
  await check('push.js loads on the demo page', async () => {
    alice = await join(browser, 'Alice');
    const type = await alice.evaluate(() => typeof window.Push);
    if (type !== 'function') throw new Error(`window.Push is ${type}`);
  });
  await check('presence: both visitors see both members', async () => {
    bob = await join(browser, 'Bob');
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => document.getElementById('count').textContent === '2', null,
        { timeout: TIMEOUT });
      const names = (await text(page, '#members li')).sort();
      if (names.join(',') !== 'Alice,Bob') throw new Error(`members: ${names}`);
    }
    const me = await bob.locator('#members li.me').innerText();
    if (me !== 'Bob') throw new Error(`Bob's page marks ${me} as me`);
  });
  await check('client event on the presence channel reaches the other visitor', async () => {
    await alice.fill('#text', 'hello Bob');
    await alice.click('#say button');
    await bob.locator('#log li', { hasText: 'Alice: hello Bob' }).waitFor({ timeout: TIMEOUT });
  });
  await check('client event on the private channel', async () => {
    await bob.click('#nudge');
    await alice.locator('#nudges', { hasText: '1 nudge received (last from Bob)' }).waitFor({ timeout: TIMEOUT });
  });
  await check('trigger() before the subscription succeeded is sent once it has', async () => {
    await bob.evaluate(() => {
      const p = new Push({ url: location.origin.replace('http', 'ws'), app_key: window.demo.push.options.app_key,
        auth: '/subscribe/auth' });
      p.subscribe('private-demo').trigger('client-nudge', { name: 'Queued' });
      window.queuedPush = p;
    });
    await alice.locator('#nudges', { hasText: 'last from Queued' }).waitFor({ timeout: TIMEOUT });
    await bob.evaluate(() => window.queuedPush.disconnect());
  });
  await check('trigger() refuses an event name without client-', async () => {
    const msg = await alice.evaluate(() => {
      try { window.demo.push.channel('private-demo').trigger('nudge', {}); return 'accepted'; } catch (e) { return e.message; }
    });
    if (!msg.includes('client-')) throw new Error(msg);
  });
  await check('an event triggered through the HTTP API reaches both pages', async () => {
    console.log('@@browser:trigger');
    for (const page of [alice, bob]) {
      await page.locator('#public li', { hasText: 'hello from the HTTP API' }).waitFor({ timeout: TIMEOUT });
    }
  });
  await check('screenshot of the demo with two members', async () => {
    await alice.screenshot({ path: SCREENSHOT, fullPage: true });
  });
  await check('heartbeat: after activity_timeout of silence push.js pings and the server pongs', async () => {
    const r = await bob.evaluate(() => new Promise((resolve) => {
      const p = new Push({ url: location.origin.replace('http', 'ws'), app_key: window.demo.push.options.app_key,
        activity_timeout: 300, pong_timeout: 1000 });
      let pongs = 0;
      p.on('pong', () => pongs++);
      setTimeout(() => { const state = p.state; p.disconnect(); resolve({ pongs, state }); }, 2000);
    }));
    if (r.pongs < 2 || r.state !== 'connected') throw new Error(JSON.stringify(r));
  });
  // close codes: the server's own for 4000-4099; for 4100/4200 the close is simulated in the page (the server
  // sends those only when stopping or over a quota), then the real reconnect and re-subscription are watched
  await check('close code 4001 (unknown app key) from the server: no reconnect', async () => {
    const states = await bob.evaluate(() => new Promise((resolve) => {
      const seen = [];
      const p = new Push({ url: location.origin.replace('http', 'ws'), app_key: 'no-such-key' });
      p.on('state_change', (s) => seen.push(s.current));
      setTimeout(() => { p.disconnect(); resolve(seen); }, 2500);
    }));
    if (!states.includes('failed') || states.filter((s) => s === 'connecting').length !== 0) {
      throw new Error(`states: ${states}`);
    }
  });
  for (const [code, min, max] of [[4200, 0, 900], [4100, 1000, 5000]]) {
    await check(`close code ${code}: reconnects ${code === 4200 ? 'at once' : 'after a delay'} and re-subscribes`, async () => {
      const result = await bob.evaluate((code) => new Promise((resolve, reject) => {
        const push = window.demo.push, before = push.socket_id, t0 = Date.now();
        const ch = push.channel('presence-demo');
        const done = () => resolve({ ms: Date.now() - t0, changed: push.socket_id !== before, count: ch.members.count });
        ch.on('pusher:subscription_succeeded', function once() { ch.off('pusher:subscription_succeeded', once); done(); });
        const ws = push._ws;
        ws.onclose = null;
        ws.close();
        push._onClose(code, 'simulated');
        setTimeout(() => reject(new Error('not re-subscribed within 8 s')), 8000);
      }), code);
      if (!result.changed || result.count !== 2 || result.ms < min || result.ms > max) {
        throw new Error(JSON.stringify(result));
      }
    });
  }
  await check('a visitor who leaves is removed from the member list', async () => {
    await bob.close();
    await alice.waitForFunction(() => document.getElementById('count').textContent === '1', null,
      { timeout: TIMEOUT });
    await alice.locator('#log li', { hasText: 'Bob left' }).last().waitFor({ timeout: TIMEOUT });
  });
  await check('unsubscribeAll leaves every channel', async () => {
    const left = await alice.evaluate(() => {
      window.demo.push.unsubscribeAll();
      return Object.keys(window.demo.push.channels).length;
    });
    if (left !== 0) throw new Error(`${left} channels left`);
  });
  code = failed === 0 ? 0 : 1;
} catch (e) {
  code = 1;
} finally {
  await browser.close();
}
console.log(failed === 0 && code === 0 ? 'ALL PASSED' : `${failed} check(s) failed`);
process.exit(code);
