// Drives the debug console (/console/) in headless Chromium through playwright-core. Without the token the page
// and its data refuse; with ?token= it strips the token from the address, shows the connection the Java test opens
// ("@@console:connect"), the event it triggers through pusher-http-java ("@@console:trigger"), and sends an event
// from its form ("@@console:check-form" asks the test whether its Pusher client received it). Prints PASS/FAIL
// lines; exit status 0 when every check passed.
//
// Environment: CONSOLE_URL (http://127.0.0.1:port/console/), TOKEN, CHROMIUM, SCREENSHOT (png path).
import { chromium } from 'playwright-core';

const URL_ = process.env.CONSOLE_URL;
const TOKEN = process.env.TOKEN;
const SCREENSHOT = process.env.SCREENSHOT || 'console.png';
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

async function open(browser, url) {
  // a new context per visit: its own sessionStorage
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[console] ${m.text()}`); });
  await page.goto(url);
  return page;
}

const logRow = (page, text) => page.locator('#log tbody tr', { hasText: text }).first();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
let code = 1;
try {
  await check('without the token the page shows nothing and its data refuses', async () => {
    const page = await open(browser, URL_);
    await page.locator('#login').waitFor({ state: 'visible', timeout: TIMEOUT });
    if (await page.locator('#main').isVisible()) throw new Error('the console is visible without a token');
    const status = await page.evaluate(() => fetch('/console/api/apps').then((r) => r.status));
    if (status !== 401) throw new Error(`/console/api/apps without the token: ${status}`);
    const wsClose = await page.evaluate(() => new Promise((resolve) => {
      const ws = new WebSocket(location.origin.replace('http', 'ws') + '/console/ws');
      const got = [];
      ws.onopen = () => ws.send(JSON.stringify({ token: 'wrong', app: 'app-1' }));
      ws.onmessage = (m) => got.push(m.data);
      ws.onclose = (c) => resolve({ code: c.code, got });
    }));
    if (wsClose.code !== 1008 || wsClose.got.length) throw new Error(`live feed: ${JSON.stringify(wsClose)}`);
    await page.fill('#token', 'wrong-token');
    await page.click('#login-form button');
    await page.locator('#login-error', { hasText: 'refused' }).waitFor({ timeout: TIMEOUT });
    if (await page.locator('#main').isVisible()) throw new Error('the console opened with a wrong token');
    await page.context().close();
  });
  let page;
  await check('with ?token= the console opens and the token leaves the address bar', async () => {
    page = await open(browser, URL_ + '?token=' + encodeURIComponent(TOKEN));
    await page.locator('#main').waitFor({ state: 'visible', timeout: TIMEOUT });
    if (page.url().includes('token')) throw new Error(`token still in the URL: ${page.url()}`);
    await page.locator('#feed-state', { hasText: 'live' }).waitFor({ timeout: TIMEOUT });
    const stored = await page.evaluate(() => sessionStorage.getItem('console-token'));
    if (stored !== TOKEN) throw new Error('token not kept in sessionStorage');
  });
  await check('a Pusher client connecting appears: count, channel and log', async () => {
    console.log('@@console:connect');
    await page.waitForFunction(() => document.getElementById('connections').textContent === '1', null,
      { timeout: TIMEOUT });
    await page.locator('#channels tbody tr', { hasText: 'orders' }).waitFor({ timeout: TIMEOUT });
    await logRow(page, 'connected').waitFor({ timeout: TIMEOUT });
    await logRow(page, 'subscribed').waitFor({ timeout: TIMEOUT });
  });
  await check('an event triggered through the HTTP API appears in the log with its payload', async () => {
    console.log('@@console:trigger');
    await logRow(page, 'order-placed').waitFor({ timeout: TIMEOUT });
    const text = await logRow(page, 'order-placed').innerText();
    if (!text.includes('server_event') || !text.includes('"id":42')) throw new Error(text);
  });
  await check('the form sends a test event', async () => {
    await page.fill('#t-channel', 'orders');
    await page.fill('#t-event', 'from-console');
    await page.fill('#t-data', '{"hello":"from the form"}');
    await page.click('#trigger button');
    await page.locator('#t-result', { hasText: 'Sent.' }).waitFor({ timeout: TIMEOUT });
    await logRow(page, 'from-console').waitFor({ timeout: TIMEOUT });
    console.log('@@console:check-form');
  });
  await check('screenshot of the console', async () => {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
  await check('forgetting the token locks the page again', async () => {
    await page.click('#lock');
    await page.locator('#login').waitFor({ state: 'visible', timeout: TIMEOUT });
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible', timeout: TIMEOUT });
    if (await page.locator('#main').isVisible()) throw new Error('still open after reload');
  });
  code = failed === 0 ? 0 : 1;
  if (code === 0) console.log('ALL PASSED');
} catch (e) {
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
