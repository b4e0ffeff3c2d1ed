// browser-chat.js -- drives Debian's Chromium (headless, through playwright-core)
// on wicgated's demo page: register, call, send a message, receive the reply,
// hang up; asserts each step on the page and saves screenshots.
// Run by browser-chat.sh, which starts wicgated and wicsim's UE-B. Input
// (environment): WG_PAGE_URL, WG_CHAT_TEXT, WG_CHAT_REPLY, WG_SHOTS (folder
// for the screenshots and the page's console log), WG_PROFILE (a new empty
// Chromium profile folder), WG_NODE_MODULES (daemon/www/node_modules),
// WG_CHROMIUM (default /usr/bin/chromium). Exit 0 only if every step held.
'use strict';
const path = require('path');
const fs = require('fs');

const env = (k, d) => {
  const v = process.env[k] || d;
  if (v === undefined) {
    console.error('browser-chat.js: ' + k + ' is not set');
    process.exit(2);
  }
  return v;
};
const pageUrl = env('WG_PAGE_URL');
const text = env('WG_CHAT_TEXT', '');
const reply = env('WG_CHAT_REPLY', '');
const shots = env('WG_SHOTS');
const profile = env('WG_PROFILE');
const { chromium } = require(path.join(env('WG_NODE_MODULES'), 'playwright-core'));
const exe = env('WG_CHROMIUM', '/usr/bin/chromium');
// WG_BROWSER_PLAIN=1: Chromium as a person runs it (mDNS candidates, no
// loopback, no media permission), for checking the demo on a machine with a
// real interface (doc/demo.md); not for the test's network namespace.
const plain = process.env.WG_BROWSER_PLAIN === '1';
// WG_FLOW: chat (default: register, call, send, receive, hang up), rejected
// (UE-B answers 486), remote-hangup (UE-B sends, then hangs up), bad-ws (no
// WebSocket server at the page's URL): browser-errors.sh runs the last three.
const flow = process.env.WG_FLOW || 'chat';
if (!['chat', 'rejected', 'remote-hangup', 'bad-ws'].includes(flow)) {
  console.error('browser-chat.js: WG_FLOW=' + flow + ': expected chat, rejected, remote-hangup or bad-ws');
  process.exit(2);
}

// What every step waits for at most: the events are the page's own (state
// changes, log lines); this only bounds a hang.
const STEP_MS = 45000;

const consoleLog = [];
const pageErrors = [];
const say = (s) => console.log('# ' + s);

// Waits for an error line in the page's log matching re; returns its text.
async function waitErr(page, re) {
  const l = page.locator('#log .line.err', { hasText: re }).first();
  await l.waitFor({ timeout: STEP_MS });
  return l.textContent();
}

async function logText(page) {
  return page.$$eval('#log .line', (ls) => ls.map((l) => l.className.replace('line ', '') + ': ' + l.textContent).join('\n'));
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    // browser-chat-wss.sh: the gateway's certificate is made by the test
    ignoreHTTPSErrors: true,
    viewport: { width: 1000, height: 620 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ].concat(
      plain
        ? []
        : [
            // WebRTC on loopback only: let ICE use 127.0.0.1 and show real
            // addresses in candidates instead of mDNS names (doc/demo.md)
            '--allow-loopback-in-peer-connection',
            '--disable-features=WebRtcHideLocalIpsWithMdns',
          ]
    ),
  });
  // Chromium offers every interface's address (loopback too, with the flag
  // above) only to an origin allowed to capture media; otherwise only the
  // default route's address, and browser-chat.sh's network namespace has
  // only lo (no default route). The page itself asks for no media.
  if (!plain) await ctx.grantPermissions(['microphone', 'camera'], { origin: new URL(pageUrl).origin });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('console', (m) => consoleLog.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('requestfailed', (r) => consoleLog.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  let step = 'open the page';
  const shot = async (name) => {
    const f = path.join(shots, name + '.png');
    await page.screenshot({ path: f });
    say('screenshot ' + f);
  };
  try {
    const resp = await page.goto(pageUrl, { waitUntil: 'load' });
    if (!resp || resp.status() !== 200) throw new Error('GET ' + pageUrl + ': ' + (resp ? resp.status() : 'no response'));
    await page.waitForFunction(() => typeof JsSIP === 'object' && typeof WicMsrp === 'object', null, { timeout: STEP_MS });
    const jssip = await page.evaluate(() => JsSIP.version);
    const wsUrl = await page.inputValue('#ws');
    say('page loaded, JsSIP ' + jssip + ', WebSocket URL ' + wsUrl);
    // the default WebSocket URL follows the page: wss:// on an https page
    const u = new URL(pageUrl);
    if (!u.searchParams.get('ws') && wsUrl !== (u.protocol === 'https:' ? 'wss://' : 'ws://') + u.host + '/')
      throw new Error('default WebSocket URL ' + wsUrl + ' does not follow ' + pageUrl);
    await shot('1-loaded');

    if (flow === 'bad-ws') {
      // nothing listens at the page's WebSocket URL: the page must say so
      step = 'register (no WebSocket server)';
      await page.click('#register');
      const e = await waitErr(page, /WebSocket to ws:\/\/.* failed or closed/);
      say('the page says: ' + e);
      if ((await page.getAttribute('#state', 'data-state')) === 'registered') throw new Error('registered without a server');
      await shot('bad-ws');
      console.log('browser-chat.js: bad-ws: passed');
      return 0;
    }

    step = 'register';
    await page.click('#register');
    await page.waitForSelector('#state[data-state=registered], #state[data-state=error]', { timeout: STEP_MS });
    if ((await page.getAttribute('#state', 'data-state')) !== 'registered') throw new Error('not registered');
    say('registered');

    if (flow === 'rejected') {
      // UE-B answers 486: the page shows the failure and can call again
      step = 'call (UE-B rejects)';
      await page.click('#call');
      const e = await waitErr(page, /call failed: 486 Busy Here/);
      say('the page says: ' + e);
      await page.waitForSelector('#state[data-state=registered]', { timeout: STEP_MS });
      if (await page.isDisabled('#call')) throw new Error('Call is disabled after the failed call');
      if (!(await page.isDisabled('#send'))) throw new Error('Send is enabled without a call');
      await shot('rejected');
      console.log('browser-chat.js: rejected: passed');
      return 0;
    }

    step = 'call';
    await page.click('#call');
    // the 200 OK came with a dcsa path and the negotiated channel opened (the
    // log keeps each event; the state may have moved on when UE-B is quick)
    await page.waitForSelector('#log .line.sys:has-text("data channel 1 open"), #log .line.err', { timeout: STEP_MS });
    if (await page.locator('#log .line.err').count()) throw new Error('the chat did not open');
    say('call up, data channel open, peer path ' + (await page.textContent('#peerpath')));
    // UE-B (the active MSRP end) binds the session with a body-less SEND
    await page.waitForSelector('#log .line.sys:has-text("MSRP session bound")', { timeout: STEP_MS });
    say('MSRP session bound by UE-B');

    if (flow === 'remote-hangup') {
      // UE-B sends a message, then hangs up: the page shows both and closes the chat
      step = 'receive, then UE-B hangs up';
      const inl = page.locator('#log .line.in').first();
      await inl.waitFor({ timeout: STEP_MS });
      const got = await inl.locator('.text').textContent();
      if (got !== reply) throw new Error('received ' + JSON.stringify(got) + ', expected ' + JSON.stringify(reply));
      say('received ' + JSON.stringify(got));
      await page.waitForSelector('#log .line.sys:has-text("call ended by the other side")', { timeout: STEP_MS });
      await page.waitForSelector('#state[data-state=registered]', { timeout: STEP_MS });
      if (!(await page.isDisabled('#send'))) throw new Error('Send is still enabled after the hang-up');
      say('UE-B hung up');
      await shot('remote-hangup');
    } else {
      step = 'send';
      if ((await page.getAttribute('#state', 'data-state')) !== 'chat') throw new Error('the state is not "chat"');
      await page.fill('#text', text);
      await page.click('#send');
      const out = page.locator('#log .line.out').last();
      await out.locator('.ok:not(.pending), .bad').waitFor({ timeout: STEP_MS });
      const mark = await out.locator('.ok, .bad').textContent();
      if (!/delivered/.test(mark)) throw new Error('the message was not delivered: ' + mark);
      const shown = await out.locator('.text').textContent();
      if (shown !== text) throw new Error('the page shows ' + JSON.stringify(shown) + ' as sent, not ' + JSON.stringify(text));
      say('sent ' + JSON.stringify(text) + ': ' + mark + ' (MSRP 200 from UE-B)');

      step = 'receive';
      const inl = page.locator('#log .line.in').first();
      await inl.waitFor({ timeout: STEP_MS });
      const got = await inl.locator('.text').textContent();
      if (got !== reply) throw new Error('received ' + JSON.stringify(got) + ', expected ' + JSON.stringify(reply));
      say('received ' + JSON.stringify(got));
      await shot('2-chat');

      step = 'hang up';
      await page.click('#hangup');
      await page.waitForSelector('#log .line.sys:has-text("call ended by me")', { timeout: STEP_MS });
      await page.waitForSelector('#state[data-state=registered]', { timeout: STEP_MS });
      if (!(await page.isDisabled('#send'))) throw new Error('Send is still enabled after the hang-up');
      say('hung up');
      await shot('3-ended');
    }

    step = 'check the page';
    const errs = await page.$$eval('#log .line.err', (ls) => ls.map((l) => l.textContent));
    if (errs.length) throw new Error('the page showed errors: ' + errs.join(' | '));
    if (pageErrors.length) throw new Error('JavaScript errors: ' + pageErrors.join(' | '));
    console.log('browser-chat.js: ' + (flow === 'chat' ? 'register, call, send, receive, hang up' : flow) + ': all passed');
    return 0;
  } catch (e) {
    console.error('FAIL: browser-chat.js: step "' + step + '": ' + e.message);
    try {
      console.error('the page\'s chat log:\n' + (await logText(page)));
      await shot('failed-' + step.replace(/\s+/g, '-'));
    } catch (e2) {
      console.error('(no screenshot: ' + e2.message + ')');
    }
    return 1;
  } finally {
    fs.writeFileSync(path.join(shots, 'console.log'), consoleLog.concat(pageErrors.map((e) => 'pageerror: ' + e)).join('\n') + '\n');
    await ctx.close();
  }
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    console.error('FAIL: browser-chat.js: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
  }
);
