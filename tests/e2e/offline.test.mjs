// The service worker: the shell loads with no network, /api/ is never cached or intercepted,
// and a new version is fetched in the background and applied only when the user says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, openProfile, tempDir, watchPage, waitForServiceWorker, byId, copyDist, signIn, reload, unlock } from './harness.mjs';

const T = { timeout: 120_000 };

test('the service worker never touches /api/ and the app is installable', T, async () => {
  const server = await startServer();
  const context = await openProfile(tempDir('profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  const encodings = new Map();
  page.on('response', async (r) => {
    if (/\.wasm$/.test(r.url())) encodings.set(r.url(), (await r.allHeaders())['content-encoding']);
  });
  await page.goto(server.url);
  await waitForServiceWorker(page);
  assert.equal((await page.evaluate(() => fetch('/api/v1/health').then((r) => r.json()))).status, 'ok');
  // The wasm arrives as the build's Brotli copy (a quarter smaller than gzip, decision 49).
  assert.ok(encodings.size > 0, 'the wasm was fetched');
  for (const [url, enc] of encodings) assert.equal(enc, 'br', url);

  const manifest = await page.evaluate(() => fetch('/manifest.webmanifest').then((r) => r.json()));
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) {
    const status = await page.evaluate((src) => fetch(src).then((r) => r.status), icon.src);
    assert.equal(status, 200, icon.src);
  }
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));

  await context.setOffline(true);
  const offline = await page.evaluate(async () => ({
    api: await fetch('/api/v1/health').then(() => 'answered', () => 'network error'),
    shell: await fetch('/index.html').then((r) => r.status, () => 'network error'),
    cached: (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat(),
  }));
  assert.equal(offline.api, 'network error', '/api/ goes to the network, never to a cache');
  assert.equal(offline.shell, 200, 'the shell comes from the cache');
  assert.ok(offline.cached.length > 5, `precached: ${offline.cached}`);
  assert.ok(offline.cached.every((u) => !new URL(u).pathname.startsWith('/api/')), 'nothing under /api/ is cached');
  assert.ok(offline.cached.some((u) => u.endsWith('.wasm')), 'the wasm is precached');
  watch.assertClean();
  await context.close();
  await server.stop();
});

test('a new version waits in the background and is applied on "reload"', T, async () => {
  const dist = copyDist();
  const server = await startServer({ dist });
  const context = await openProfile(tempDir('profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  await page.goto(server.url);
  await waitForServiceWorker(page);
  await signIn(page, server);
  // The app shell's caches (map tiles have their own, kept across versions).
  const shells = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('latarnia-shell-')));
  const before = await shells();

  // Deploy a new version: its service worker differs.
  const swPath = join(dist, 'sw.js');
  writeFileSync(swPath, readFileSync(swPath, 'utf8').replace(/const VERSION = '([^']+)'/, "const VERSION = '$1-next'"));
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  await byId(page, 'update-reload').waitFor();

  // Until the user says so, the old version keeps working, offline too.
  await context.setOffline(true);
  await reload(page);
  await byId(page, 'patrol-start').waitFor();
  await byId(page, 'update-reload').waitFor();
  await context.setOffline(false);
  // Back online, the phone syncs and fetches the map's files through the old version's worker;
  // the new one takes over once the old one has served them (Service Worker "Try Activate").
  await page.waitForLoadState('networkidle');

  await Promise.all([page.waitForEvent('load'), byId(page, 'update-reload').click()]);
  await unlock(page);
  await byId(page, 'patrol-start').waitFor();
  await page.waitForFunction(async () => (await caches.keys()).some((k) => k.endsWith('-next')));
  const after = await shells();
  assert.notDeepEqual(after, before);
  assert.equal(after.length, 1, `the old version's cache is gone: ${after}`);
  assert.equal(await byId(page, 'update-reload').count(), 0, 'no update offered any more');
  watch.assertClean();
  await context.close();
  await server.stop();
  rmSync(dist, { recursive: true, force: true });
});
