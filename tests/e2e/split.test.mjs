// The split build (issue 18): the sign-in page loads only the first part of the app; every
// other screen's part comes when it is first opened, is precached for offline use, never mixes
// with another build's parts, and a part that cannot be fetched says so and offers a retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, openProfile, tempDir, watchPage, waitForServiceWorker, byId, navTo, signIn, setPin, reload, unlock, copyDist, PIN,
  screenshot, ROOT,
} from './harness.mjs';

const T = { timeout: 180_000 };

// Each screen loaded on demand, the destination that opens it and what shows it is drawn.
const SCREENS = [
  { nav: 'nav-reports', shown: 'report-new', chunk: 'split_more.wasm' },
  { nav: 'nav-zima', shown: 'run-new', chunk: 'split_more.wasm' },
  { nav: 'nav-indicators', shown: 'indicators-from', chunk: 'split_more.wasm' },
  { nav: 'nav-map', shown: 'map', chunk: 'split_map.wasm' },
  // Settings, with a coordinators' form in it: the erasure of a person.
  { nav: 'nav-settings', shown: 'erasure-form', chunk: 'split_field.wasm' },
];

// The parts a phone fetches by itself as soon as its first screen is drawn, while a password
// or a PIN is typed: setting the PIN, and the signed-in app with its field screens and sync.
const FIELD = ['split_pin.wasm', 'split_field.wasm'];
// The parts a streetworker's phone fetches only when a screen of theirs is opened (a
// coordinator's fetches the screens behind "More" once signed in).
const ON_DEMAND = ['split_more.wasm', 'split_map.wasm', 'split_reception.wasm', 'split_public.wasm'];
// No more files than this in a build: wasm-split makes a shared chunk for every set of parts
// that share code, and a phone on a slow line pays for each file it fetches.
const MAX_MODULES = 60;

const appDir = (dist) => readdirSync(dist).find((f) => /^app-[0-9a-f]+$/.test(f));
const wasmFetched = (requests) => requests.filter((u) => u.endsWith('.wasm')).map((u) => new URL(u).pathname);

/** A fresh phone on the app, with every URL it requests (the service worker's answers too). */
async function watchedPhone(server) {
  const context = await openProfile(tempDir('profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  // The moment the app's sign-in button can be pressed, seen from inside the page.
  await page.addInitScript(() => {
    const seen = () => {
      const b = document.querySelector('[data-testid=login-submit]');
      if (b && !b.disabled && !window.__signInReady) window.__signInReady = performance.now();
    };
    new MutationObserver(seen).observe(document, { childList: true, subtree: true, attributes: true });
    // When the page registers its service worker (its install downloads every part).
    const register = navigator.serviceWorker.register.bind(navigator.serviceWorker);
    navigator.serviceWorker.register = (...a) => {
      window.__workerRegisteredAt ??= performance.now();
      return register(...a);
    };
  });
  await page.goto(server.url);
  return { context, page, watch, requests };
}

async function openEach(page, requests) {
  for (const s of SCREENS) {
    await navTo(page, s.nav);
    await byId(page, s.shown).first().waitFor();
    assert.ok(wasmFetched(requests).some((p) => p.endsWith(`/${s.chunk}`)), `${s.chunk} fetched for ${s.nav}`);
  }
}

test('the sign-in page loads only the first part; each other screen loads its part, then works offline', T, async () => {
  const server = await startServer();
  let { context, page, watch, requests } = await watchedPhone(server);
  await page.waitForFunction(() => window.__signInReady);
  // What the page had asked for when its sign-in form became usable (the browser's own record).
  const first = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= window.__signInReady && new URL(e.name).pathname.endsWith('.wasm'))
    .map((e) => new URL(e.name).pathname));
  assert.equal(first.length, 1, `one wasm module before the sign-in form: ${first}`);
  assert.match(first[0], /^\/app-[0-9a-f]+\/latarnia_bg\.wasm$/);
  // Nothing else shares the line with the app's code: no icons, no manifest, no map script,
  // no service worker (whose install downloads every part) before the form is usable.
  const before = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= window.__signInReady).map((e) => new URL(e.name).pathname));
  const others = before.filter((f) => !/^\/app-[0-9a-f]+\/(latarnia_bg\.wasm|latarnia\.js|__wasm_split\.js)$/.test(f));
  assert.deepEqual(others, [], 'only the app\'s code before the sign-in form');
  // Then, while the password is typed, setting the PIN and the signed-in app (its field
  // screens and the sync engine); after them the manifest and the service worker.
  await page.waitForFunction((parts) => parts.every((p) => performance.getEntriesByType('resource')
    .some((e) => new URL(e.name).pathname.endsWith(`/${p}`))), FIELD);
  await waitForServiceWorker(page);
  const order = await page.evaluate(() => {
    const at = (re) => performance.getEntriesByType('resource').find((e) => re.test(e.name));
    return {
      ready: window.__signInReady,
      field: at(/split_field\.wasm$/)?.responseEnd,
      manifest: at(/manifest\.webmanifest$/)?.startTime,
      worker: window.__workerRegisteredAt,
    };
  });
  assert.ok(order.field > order.ready, `the field part after the sign-in form: ${JSON.stringify(order)}`);
  assert.ok(order.manifest > order.field, `the manifest after the field part: ${JSON.stringify(order)}`);
  assert.ok(order.worker > order.field, `the service worker after the field part: ${JSON.stringify(order)}`);
  const worker = await server.addUser('split-worker');
  await signIn(page, server, worker);
  await byId(page, 'patrol-start').waitFor();
  await navTo(page, 'nav-contacts');
  await navTo(page, 'nav-sites');
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').waitFor();
  const signedIn = wasmFetched(requests);
  assert.deepEqual(ON_DEMAND.filter((c) => signedIn.some((p) => p.endsWith(`/${c}`))), [],
    'a streetworker signing in and opening the field screens fetches no other part');
  const modules = readdirSync(join(ROOT, 'dist', appDir(join(ROOT, 'dist')))).filter((f) => f.endsWith('.wasm'));
  assert.ok(modules.length <= MAX_MODULES, `${modules.length} wasm modules in the build`);
  await context.close();

  // A coordinator's phone: the screens behind "More" come once signed in.
  ({ context, page, watch, requests } = await watchedPhone(server));
  await waitForServiceWorker(page);
  await signIn(page, server);
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((e) => new URL(e.name).pathname.endsWith('/split_more.wasm')));
  await openEach(page, requests);
  assert.equal(new Set(wasmFetched(requests)).size, wasmFetched(requests).length, 'each part fetched once');

  // The service worker precached every part in the background: all open with no network.
  await context.setOffline(true);
  requests.length = 0;
  await reload(page);
  await openEach(page, requests);
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').waitFor();
  watch.assertClean();
  await context.close();
  await server.stop();
});

test('the first screens have all their words before the rest of the texts come; a screen loaded on demand waits for them', T, async () => {
  const server = await startServer();
  // No service worker: every request of the page passes the route below.
  const context = await openProfile(tempDir('profile'), { serviceWorkers: 'block' });
  const page = context.pages()[0] ?? (await context.newPage());
  let blocked = true;
  await page.route('**/split_pl.wasm', (r) => (blocked ? r.abort() : r.continue()));
  await page.goto(server.url);
  // The app's own sign-in form (the page's is gone), in words a person reads.
  await byId(page, 'login-submit').waitFor();
  await page.getByRole('heading', { name: 'Logowanie' }).waitFor();
  assert.equal((await byId(page, 'login-submit').innerText()).trim(), 'Zaloguj');
  await page.getByLabel('Hasło').fill('nie to hasło');
  await page.getByLabel('Login').fill(server.admin.login);
  await byId(page, 'login-submit').click();
  assert.equal((await byId(page, 'login-error').innerText()).trim(), 'Nieprawidłowy login lub hasło.');
  // Signed in, the PIN screen (a part) waits for all the texts: without them it says why.
  await page.getByLabel('Hasło').fill(server.admin.password);
  await byId(page, 'login-submit').click();
  await byId(page, 'chunk-error').waitFor();
  assert.match(await byId(page, 'chunk-error').innerText(), /Nie udało się pobrać tego ekranu z serwera/);
  blocked = false;
  await byId(page, 'chunk-retry').click();
  await page.getByRole('heading', { name: 'Ustaw PIN' }).waitFor();
  await setPin(page);
  await context.close();
  await server.stop();
});

test('a part that cannot be fetched says why and offers a retry; back online, the screen opens', T, async () => {
  const dist = copyDist();
  const dir = join(dist, appDir(dist));
  const chunk = join(dir, 'split_more.wasm');
  // This server lost the part (a broken deploy); the service worker cannot precache a build
  // with a missing file, so the page asks the network, which answers 404.
  for (const f of [chunk, `${chunk}.br`, `${chunk}.gz`]) renameSync(f, `${f}.away`);
  const server = await startServer({ dist });
  const context = await openProfile(tempDir('profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await signIn(page, server);
  await navTo(page, 'nav-zima');
  await byId(page, 'chunk-error').waitFor();
  assert.match(await byId(page, 'chunk-error').innerText(), /Nie udało się pobrać tego ekranu z serwera/);
  await screenshot(page, '33-chunk-failed');
  // The rest of the app keeps working.
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').waitFor();
  await navTo(page, 'nav-zima');
  await byId(page, 'chunk-retry').waitFor();

  // Retried while the server still lacks it: the same message, nothing else breaks.
  await byId(page, 'chunk-retry').click();
  await byId(page, 'chunk-error').waitFor();
  // Offline, the message says so, and the screen opens by itself once back online.
  await context.setOffline(true);
  await page.waitForFunction(() => /Brak połączenia/.test(document.querySelector('[data-testid=chunk-error]')?.innerText ?? ''));
  for (const f of [chunk, `${chunk}.br`, `${chunk}.gz`]) renameSync(`${f}.away`, f);
  await context.setOffline(false);
  await byId(page, 'run-new').waitFor();
  assert.equal(await byId(page, 'chunk-error').count(), 0);
  assert.deepEqual(pageErrors, [], 'no panic, no uncaught error');
  await context.close();
  await server.stop();
  rmSync(dist, { recursive: true, force: true });
});

test('an update while a screen loaded on demand is open never mixes two builds, offline after it too', T, async () => {
  const dist = copyDist();
  const server = await startServer({ dist });
  const { context, page, watch, requests } = await watchedPhone(server);
  await waitForServiceWorker(page);
  await signIn(page, server);
  await navTo(page, 'nav-zima');
  await byId(page, 'run-new').waitFor();

  // Deploy a new build: its parts live in a directory of their own, the old one is gone.
  const old = appDir(dist);
  const next = `app-${'f'.repeat(16)}`;
  cpSync(join(dist, old), join(dist, next), { recursive: true });
  rmSync(join(dist, old), { recursive: true, force: true });
  for (const f of ['index.html', 'sw.js']) {
    const p = join(dist, f);
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll(old, next).replace(/const VERSION = '([^']+)'/, "const VERSION = '$1-next'"));
  }
  await server.restart();
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  await byId(page, 'update-reload').waitFor();

  // Until the user applies it, the open version keeps its own parts (from its cache).
  requests.length = 0;
  await navTo(page, 'nav-indicators');
  await byId(page, 'indicators-from').waitFor();
  assert.ok(wasmFetched(requests).every((p) => p.startsWith(`/${old}/`)), `old build only: ${wasmFetched(requests)}`);

  await Promise.all([page.waitForEvent('load'), byId(page, 'update-reload').click()]);
  await unlock(page);
  await page.waitForFunction(async () => (await caches.keys()).some((k) => k.endsWith('-next')));
  await context.setOffline(true);
  requests.length = 0;
  await reload(page);
  await openEach(page, requests);
  assert.ok(wasmFetched(requests).length > 0);
  assert.ok(wasmFetched(requests).every((p) => p.startsWith(`/${next}/`)), `new build only: ${wasmFetched(requests)}`);
  watch.assertClean();
  await context.close();
  await server.stop();
  rmSync(dist, { recursive: true, force: true });
});

/** A fresh phone whose first wasm is held back until `release()` (a slow connection), and
 * again after `hold()`. No service worker: every load asks the network. */
async function phoneWithHeldApp(server) {
  const context = await openProfile(tempDir('profile'), { serviceWorkers: 'block' });
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  let gate;
  let release;
  const hold = () => { gate = new Promise((ok) => { release = ok; }); };
  hold();
  await page.route('**/latarnia_bg.wasm', async (route) => { await gate; await route.continue(); });
  await page.goto(server.url);
  return { context, page, watch, hold, release: () => release() };
}

test("the page's own sign-in form and lock screen come before the app's code: typed and sent there, the app goes on with them", T, async () => {
  const server = await startServer();

  // Sent before the app has arrived: the form says it is signing in, then the app does it.
  const a = await phoneWithHeldApp(server);
  const heading = a.page.getByRole('heading', { level: 1 });
  await heading.waitFor();
  const shown = { title: await heading.innerText(), hint: await a.page.locator('#sign-in-shell .hint').first().innerText() };
  assert.equal(shown.title, 'Logowanie', 'one language shown (Polish, the default)');
  await a.page.getByRole('textbox', { name: 'Login', exact: true }).fill(server.admin.login);
  await a.page.getByRole('textbox', { name: 'Hasło', exact: true }).fill(server.admin.password);
  await a.page.getByRole('button', { name: 'Zaloguj', exact: true }).click();
  await a.page.getByText('Logowanie…').waitFor();
  assert.equal(await byId(a.page, 'login-submit').count(), 0, "the app's code has not arrived yet");
  await screenshot(a.page, '37-sign-in-before-the-app');
  a.release();
  await setPin(a.page);
  assert.equal(await a.page.locator('.shell').count(), 0, "the page's forms are gone");
  await a.context.close();

  // Typing when the app arrives: what was typed and the caret move to the app's form, which
  // says the same as the page's did.
  const b = await phoneWithHeldApp(server);
  const login = b.page.getByRole('textbox', { name: 'Login', exact: true });
  await login.fill(server.admin.login.slice(0, 2));
  b.release();
  await byId(b.page, 'login-submit').waitFor();
  assert.equal(await b.page.locator('.shell').count(), 0);
  assert.equal(await byId(b.page, 'login-login').inputValue(), server.admin.login.slice(0, 2));
  await b.page.waitForFunction(() => document.activeElement?.dataset.testid === 'login-login');
  await b.page.keyboard.type(server.admin.login.slice(2));
  assert.equal(await byId(b.page, 'login-login').inputValue(), server.admin.login);
  assert.equal(await b.page.getByRole('heading', { level: 1 }).innerText(), shown.title);
  assert.equal(await b.page.locator('main .hint').first().innerText(), shown.hint);
  await byId(b.page, 'login-password').fill(server.admin.password);
  await byId(b.page, 'login-submit').click();
  await setPin(b.page);

  // A locked phone starts on the page's own lock screen: its keypad and "unlock" work before
  // the app's code is there, and the app unlocks with what was typed.
  b.hold();
  await b.page.reload();
  const pin = b.page.getByRole('textbox', { name: 'PIN', exact: true });
  await pin.waitFor();
  assert.equal(await b.page.evaluate(() => document.documentElement.dataset.start), 'lock');
  assert.equal(await b.page.getByRole('heading', { level: 1 }).innerText(), 'Latarnia jest zablokowana');
  for (const d of PIN) await b.page.getByRole('button', { name: d, exact: true }).click();
  await b.page.getByRole('button', { name: 'Usuń ostatnią cyfrę', exact: true }).click();
  await b.page.getByRole('button', { name: PIN.at(-1), exact: true }).click();
  assert.equal(await pin.inputValue(), PIN);
  await b.page.getByRole('button', { name: 'Odblokuj', exact: true }).click();
  assert.equal(await byId(b.page, 'lock-submit').count(), 0, "the app's code has not arrived yet");
  await screenshot(b.page, '38-lock-before-the-app');
  b.release();
  await byId(b.page, 'sync-status').waitFor();
  assert.equal(await b.page.locator('.shell').count(), 0, "the page's forms are gone");

  // Signed out, the page's sign-in form is back.
  await navTo(b.page, 'nav-settings');
  await byId(b.page, 'logout').click();
  await byId(b.page, 'login-submit').waitFor();
  await b.page.reload();
  await byId(b.page, 'login-submit').waitFor();
  assert.equal(await b.page.evaluate(() => document.documentElement.dataset.start), 'sign-in');
  a.watch.assertClean();
  b.watch.assertClean();
  await b.context.close();
  await server.stop();
});

test("the app's code that cannot be fetched: the page says so in the user's words, and its retry works", T, async () => {
  const server = await startServer();
  const context = await openProfile(tempDir('profile'), { serviceWorkers: 'block' });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.route('**/latarnia_bg.wasm', (route) => route.abort('internetdisconnected'));
  await page.goto(server.url);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Nie udało się uruchomić aplikacji\. Sprawdź połączenie z internetem/);
  await screenshot(page, '39-app-not-started');
  await page.unroute('**/latarnia_bg.wasm');
  await page.getByRole('button', { name: 'Spróbuj ponownie', exact: true }).click();
  await byId(page, 'login-submit').waitFor();
  assert.equal(await page.getByRole('alert').count(), 0);
  await context.close();
  await server.stop();
});
