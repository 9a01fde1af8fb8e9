// Shared set-up for the end-to-end tests: a real server on a free port with its own data
// directory, and Debian's Chromium driven by playwright-core at a phone's size.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = process.env.LATARNIA_SERVER_BIN || join(ROOT, 'target/release/latarnia-server');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'pl-PL',
  timezoneId: 'Europe/Warsaw',
  geolocation: { latitude: 54.4416, longitude: 18.5601, accuracy: 12 },
  permissions: ['geolocation'],
};

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `latarnia-${prefix}-`));
}

/** Starts the server on a free port; `dist` defaults to the built app. */
// The tests never reach a real tile server: by default tiles come from a closed port, so every
// map test runs as a phone that has never seen a tile.
export const NO_TILES = 'http://127.0.0.1:9/{z}/{x}/{y}.png';

/** Servers started in this process (see `after` below). */
const servers = new Set();

export async function startServer({ dist = join(ROOT, 'dist'), tiles = NO_TILES } = {}) {
  const data = tempDir('data');
  const launch = (addr) => {
    const child = spawn(SERVER, ['--addr', addr, '--data-dir', data, '--dist', dist], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, DATABASE_URL: '', LATARNIA_TILE_URL: tiles },
    });
    const started = new Promise((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 20000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/running at (http:\/\/[^\s/]+)\//);
        if (m) {
          clearTimeout(timer);
          // The first password is in a 0600 file in the data directory, not on stdout.
          const first = out.match(/sign in as "([^"]+)"; the password is in "([^"]+)"/);
          ok([m[1], first ? { login: first[1], password: readFileSync(first[2], 'utf8').trim() } : null]);
        }
      });
      child.on('exit', (code) => fail(new Error(`server exited with ${code}: ${out}`)));
    });
    servers.add(child);
    child.on('exit', () => servers.delete(child));
    return { child, started };
  };
  const halt = async (c) => {
    c.kill('SIGTERM');
    await new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r)));
  };
  let { child, started } = launch('127.0.0.1:0');
  const [url, admin] = await started;
  return {
    url,
    /** The first-start admin the server printed. */
    admin,
    /** Adds a user with the admin command; returns its login and password. */
    async addUser(login, role = 'streetworker') {
      const password = `haslo-${login}-1234`;
      await new Promise((ok, fail) => {
        const c = spawn(SERVER, ['--data-dir', data, 'user', 'add', '--org', 'Latarnia', '--login', login,
          '--role', role, '--name', login, '--password-stdin'], { stdio: ['pipe', 'ignore', 'inherit'], env: { ...process.env, DATABASE_URL: '' } });
        c.stdin.end(`${password}\n`);
        c.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`user add exited with ${code}`))));
      });
      return { login, password };
    },
    /** Runs an admin command of the server on its data directory (`token revoke x`…). */
    async cli(...args) {
      await new Promise((ok, fail) => {
        const c = spawn(SERVER, ['--data-dir', data, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DATABASE_URL: '' } });
        c.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${args.join(' ')} exited with ${code}`))));
      });
    },
    /** Restarts on the same address and data (a deploy: the new build's page is read at start). */
    async restart() {
      await halt(child);
      ({ child, started } = launch(new URL(url).host));
      await started;
    },
    async stop() {
      await halt(child);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A browser profile on disk, so a closed context can be opened again with its data. */
export async function openProfile(dir, options = {}) {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    ...PHONE,
    ...options,
  });
  open.add(context);
  context.on('close', () => open.delete(context));
  return context;
}

// Browsers a failed test left open are closed when the file's tests end, so a failure is
// reported at once instead of holding the run until its time limit.
// (Only under the test runner: the benchmark uses this harness as a plain script.)
const open = new Set();
if (process.env.NODE_TEST_CONTEXT) {
  after(async () => {
    for (const c of [...open]) await c.close().catch(() => {});
    // A server a failed test did not stop would keep the file's process alive to its time limit.
    for (const s of [...servers]) s.kill('SIGTERM');
  });
}

/** Collects what must never happen on a page: script errors and CSP violations. */
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
    if (m.type() === 'error' && /panicked/.test(m.text())) problems.push(`panic: ${m.text()}`);
  });
  return {
    problems,
    assertClean() { assert.deepEqual(problems, [], 'no page errors, panics or CSP violations'); },
  };
}

/** Waits until the service worker controls the page (the shell is then cached). */
export async function waitForServiceWorker(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
  });
}

export const byId = (page, id) => page.getByTestId(id, { exact: true });

/** Goes to a destination of the bottom bar, through "More" when it is not on the bar itself. */
export async function navTo(page, id) {
  const link = byId(page, id);
  if (!(await link.isVisible())) await byId(page, 'nav-more').click();
  await link.click();
}

/** The PIN every test phone sets after its first sign-in. */
export const PIN = '482916';

/** Signs in on the login screen (the first screen of a fresh phone) and sets the PIN. */
export async function signIn(page, server, user = server.admin, pin = PIN) {
  await byId(page, 'login-login').fill(user.login);
  await byId(page, 'login-password').fill(user.password);
  await byId(page, 'login-submit').click();
  await setPin(page, pin);
}

/** Chooses the app's language in Settings and waits until the app speaks it (English's texts
 * are a part of their own, fetched the first time). */
export async function chooseLanguage(page, code) {
  await byId(page, 'lang-select').selectOption(code);
  await page.waitForFunction((c) => document.documentElement.lang === c, code);
}

/** Sets the PIN on the screen that asks for it after a sign-in. */
export async function setPin(page, pin = PIN) {
  await byId(page, 'pin-set').fill(pin);
  await byId(page, 'pin-confirm').fill(pin);
  await byId(page, 'pin-submit').click();
  await byId(page, 'sync-status').waitFor();
}

/** Opens the lock screen that every start of the app shows, with the PIN. */
export async function unlock(page, pin = PIN) {
  await byId(page, 'lock-pin').fill(pin);
  await byId(page, 'lock-submit').click();
  await byId(page, 'sync-status').waitFor();
}

/** Reloads the app (a dead battery, a swipe) and unlocks it. */
export async function reload(page, pin = PIN) {
  await page.reload();
  await unlock(page, pin);
}

export async function screenshot(page, name) {
  const dir = process.env.LATARNIA_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(join(ROOT, dir), { recursive: true });
  await page.screenshot({ path: join(ROOT, dir, `${name}.png`) });
}

export function copyDist() {
  const dir = tempDir('dist');
  cpSync(join(ROOT, 'dist'), dir, { recursive: true });
  return dir;
}

/** A phone: a new browser profile on the app, signed in as `user` when given. */
export async function phone(server, user, options = {}) {
  const context = await openProfile(tempDir('profile'), options);
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  await page.goto(server.url);
  await waitForServiceWorker(page);
  if (user) await signIn(page, server, user);
  return { context, page, watch };
}

/** Taps "sync now" and waits until that sync has finished successfully. */
export async function syncNow(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.syncing === 'false');
  const before = await byId(page, 'sync-status').getAttribute('data-last-sync');
  await byId(page, 'sync-now').click();
  await page.waitForFunction((b) => {
    const s = document.querySelector('[data-testid=sync-status]');
    return s.dataset.syncing === 'false' && s.dataset.lastSync !== b;
  }, before);
}

/** A JSON call to the server's API (`token` from `apiLogin`); throws on an error status. */
export async function api(server, path, token, body) {
  const r = await fetch(server.url + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

export async function apiLogin(server, user) {
  const { token } = await api(server, '/api/v1/auth/login', null, { login: user.login, password: user.password, device_name: 'test' });
  return token;
}

/**
 * Every −/+ counter on the screen shows its name where a person can read it: a visible label
 * with text, tied to the counter's field, at least 12 px high — not only a screen-reader name.
 * Returns the names, in screen order.
 */
export async function visibleCounterNames(page) {
  const found = await page.evaluate(() => [...document.querySelectorAll('.stepper')].map((s) => {
    const input = s.querySelector('input');
    const label = input && document.querySelector(`label[for="${input.id}"]`);
    if (!label) return { problem: `no label for ${input?.dataset.testid}` };
    const box = label.getBoundingClientRect();
    const style = getComputedStyle(label);
    const text = label.textContent.trim();
    const visible = box.width > 0 && box.height >= 12 && style.visibility !== 'hidden' && style.opacity !== '0'
      && style.clip === 'auto' && parseFloat(style.fontSize) >= 12;
    return visible && text ? { name: text } : { problem: `${input.dataset.testid}: label "${text}" not visible` };
  }));
  const problems = found.filter((f) => f.problem).map((f) => f.problem);
  assert.deepEqual(problems, [], 'every counter shows its name on screen');
  return found.map((f) => f.name);
}

/**
 * The visible controls smaller than 48 px in either direction (a radio or checkbox drawn by
 * its label is measured by its label), as "testid-or-text WxH".
 */
export async function smallControls(page) {
  return page.evaluate(() => {
    const out = [];
    const seen = new Set();
    for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary')) {
      let target = el;
      const style = getComputedStyle(el);
      if (el.matches('input[type=radio], input[type=checkbox]') && (style.opacity === '0' || el.getBoundingClientRect().width <= 1)) {
        target = el.closest('label')?.querySelector('span') ?? el;
      }
      if (seen.has(target)) continue;
      seen.add(target);
      const r = target.getBoundingClientRect();
      const visible = r.width > 0 && r.height > 0 && getComputedStyle(target).visibility !== 'hidden'
        && !target.closest('.leaflet-container, [hidden], details:not([open]) > :not(summary)');
      if (visible && (r.width < 47.5 || r.height < 47.5)) {
        out.push(`${el.dataset.testid || el.textContent.trim().slice(0, 30) || el.tagName} ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
    return out;
  });
}

/** Elements that stay put while the page scrolls (fixed or sticky), with their heights. */
export async function pinned(page) {
  return page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => ['fixed', 'sticky'].includes(getComputedStyle(e).position) && e.getBoundingClientRect().height > 0)
    // A toast is a passing message (it goes by itself), not a bar.
    .filter((e) => !e.closest('.toast') && !e.parentElement.closest('.bottom-nav'))
    .map((e) => ({ what: e.className || e.tagName, height: Math.round(e.getBoundingClientRect().height) })));
}

/** With the page scrolled to its end, the content (text, controls, list items) that anything
 * fixed on screen — the bottom bar, a toast — still covers: none, or it can never be read. */
export async function coveredAtEnd(page) {
  return page.evaluate(async () => {
    window.scrollTo(0, document.documentElement.scrollHeight);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const fixed = [...document.querySelectorAll('body *')]
      .filter((e) => getComputedStyle(e).position === 'fixed' && e.getBoundingClientRect().height > 0)
      .map((e) => e.getBoundingClientRect());
    const content = [...document.querySelectorAll('main :is(h1, h2, p, li, label, button, input, select, textarea, a)')]
      .filter((e) => e.getBoundingClientRect().height > 0 && !e.closest('.toast, .bottom-nav'));
    return content
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return fixed.some((f) => r.bottom > f.top + 1 && r.top < f.bottom - 1 && r.right > f.left && r.left < f.right);
      })
      .map((e) => e.dataset.testid || e.textContent.trim().slice(0, 40));
  });
}

/** Whether anything fixed on the screen covers the focused element (or it is off screen). */
export async function focusedIsVisible(page) {
  return page.evaluate(() => {
    const f = document.activeElement;
    if (!f || f === document.body) return 'nothing focused';
    const r = f.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) return `off screen ${Math.round(r.top)}..${Math.round(r.bottom)}`;
    for (const e of document.querySelectorAll('body *')) {
      if (!['fixed', 'sticky'].includes(getComputedStyle(e).position)) continue;
      const o = e.getBoundingClientRect();
      if (o.height > 0 && o.top < r.bottom && o.bottom > r.top && o.left < r.right && o.right > r.left) return `covered by ${e.className}`;
    }
    return 'visible';
  });
}
