// The map (issue 4): a worker maps three places offline — at the GPS position, by a tap on the
// map, and corrected by dragging the pin — a second worker maps one of them again 10 m away;
// after sync the coordinator merges the two and every phone shows one place with both visits.
// No tile server is reachable: the map still shows every marker, on a plain background with
// its scale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, byId, screenshot, phone as openPhone, syncNow, ROOT, reload, navTo } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 240_000 };
const phone = (user) => openPhone(server, user);
const markerCount = (page) => page.evaluate(() => Number(document.querySelector('[data-testid=map]')?.dataset.markerCount ?? -1));

async function save(page) {
  await byId(page, 'site-save').click();
  await byId(page, 'site-list').waitFor();
}

async function contactAt(page, label) {
  await navTo(page, 'nav-patrol');
  // The patrol screen, loaded: either a patrol of one's own or the form to start one.
  await page.locator('[data-testid=patrol-start], [data-testid=contact-new]').first().waitFor();
  if (await byId(page, 'patrol-start').count()) await byId(page, 'patrol-start').click();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-site').waitFor();
  const options = await byId(page, 'contact-site').locator('option').allTextContents();
  const index = options.findIndex((o) => o.startsWith(label));
  assert.ok(index > 0, `${label} is offered: ${options.join(' | ')}`);
  await byId(page, 'contact-site').selectOption({ index });
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-quick').waitFor();
}

test('places from GPS, a tap and a dragged pin, offline; a duplicate merged; both visits on one place; markers with no tiles', T, async () => {
  const ala = await server.addUser('ala-map');
  const jan = await server.addUser('jan-map');
  const szef = await server.addUser('szef-map', 'coordinator');
  const a = await phone(ala);
  const b = await phone(jan);
  const { page } = a;
  await a.context.setOffline(true);

  // 1. At the GPS position (the harness's fix near Sopot station, ±12 m).
  await navTo(page, 'nav-sites');
  await byId(page, 'site-new').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=site-lat]').value !== '');
  await byId(page, 'site-label').fill('Dworzec, wiata');
  await byId(page, 'site-type').selectOption('station');
  await save(page);

  // 2. By a tap on the map (offline: Leaflet comes from the service worker's cache).
  await navTo(page, 'nav-map');
  await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.markerCount === '1');
  const box = await byId(page, 'map').boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await byId(page, 'map-add-here').click();
  await byId(page, 'site-label').waitFor();
  const tapped = [await byId(page, 'site-lat').inputValue(), await byId(page, 'site-lon').inputValue()].map(Number);
  assert.ok(tapped[0] > 54.4416 && tapped[1] < 18.5601, `north-west of the station: ${tapped}`);
  assert.match(await byId(page, 'site-accuracy').textContent(), /ręcznie/);
  await byId(page, 'site-label').fill('Altanka, ROD Bursztyn');
  await byId(page, 'site-type').selectOption('allotment_shed');
  await save(page);

  // 3. At the GPS position, then the pin dragged 100 px east: the coordinates follow, and
  // the duplicate warning for the station goes away.
  await byId(page, 'site-new').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=site-lat]').value !== '');
  await byId(page, 'site-duplicate-warning').waitFor();
  const pin = page.locator('[data-testid=site-map] [data-testid=map-pin]');
  await pin.waitFor();
  const before = Number(await byId(page, 'site-lon').inputValue());
  await byId(page, 'site-map').scrollIntoViewIfNeeded();
  const p = await pin.boundingBox();
  await page.mouse.move(p.x + p.width / 2, p.y + p.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(p.x + p.width / 2 + i * 10, p.y + p.height / 2);
  await page.mouse.up();
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid=site-lon]').value) > b + 0.0003, before);
  assert.equal(await byId(page, 'site-duplicate-warning').count(), 0);
  await byId(page, 'site-label').fill('Pustostan za dworcem');
  await byId(page, 'site-type').selectOption('abandoned_building');
  await screenshot(page, '19-site-pin');
  await save(page);
  assert.equal(await byId(page, 'site-item').count(), 3);
  await contactAt(page, 'Dworzec, wiata');

  // The second worker, offline too, maps the station again 10 m north, and meets someone there.
  await b.context.setOffline(true);
  await navTo(b.page, 'nav-sites');
  await byId(b.page, 'site-new').click();
  await b.page.waitForFunction(() => document.querySelector('[data-testid=site-lat]').value !== '');
  await byId(b.page, 'site-lat').fill('54.44169');
  await byId(b.page, 'site-label').fill('Wiata przy dworcu');
  await byId(b.page, 'site-type').selectOption('station');
  await save(b.page);
  await contactAt(b.page, 'Wiata przy dworcu');

  for (const x of [a, b]) {
    await x.context.setOffline(false);
    await syncNow(x.page);
  }
  await syncNow(a.page);

  // The coordinator merges the newer into the older.
  const c = await phone(szef);
  await navTo(c.page, 'nav-sites');
  await byId(c.page, 'site-duplicates').waitFor({ timeout: 30_000 });
  assert.match(await byId(c.page, 'site-duplicate-pair').textContent(), /Dworzec, wiata ← Wiata przy dworcu/);
  await byId(c.page, 'site-merge').click();
  await byId(c.page, 'site-merge-confirm').click();
  await c.page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 3);
  await syncNow(c.page);

  // Both phones: one place, with both visits.
  for (const x of [a, b]) {
    await syncNow(x.page);
    await navTo(x.page, 'nav-sites');
    await x.page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 3);
    await x.page.getByText('Dworzec, wiata', { exact: true }).click();
    await byId(x.page, 'site-visits').waitFor();
    assert.equal(await byId(x.page, 'site-visit').count(), 2, 'both visits on the surviving place');
  }

  // The map with no tiles: every place is a marker, on a plain background, with the scale.
  await navTo(c.page, 'nav-map');
  await c.page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.markerCount === '3', null, { timeout: 30_000 });
  await c.page.waitForFunction(() => document.querySelectorAll('[data-testid=map] [data-testid=map-marker]').length === 3);
  assert.equal(await c.page.locator('[data-testid=map] .leaflet-control-scale').count(), 1, 'a scale');
  assert.equal(await c.page.locator('.leaflet-tile-loaded').count(), 0, 'no tile came');
  await screenshot(c.page, '20-map');
  // A marker opens its place.
  // (A tap while the map is still settling its view is taken by Leaflet's animation and does
  // nothing, as on a phone: then it is tapped again, as a person would.)
  const marker = c.page.locator('[data-testid=map] [data-testid=map-marker][title="Altanka, ROD Bursztyn"]');
  await marker.click();
  if (!await byId(c.page, 'site-label').waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
    await marker.click();
    await byId(c.page, 'site-label').waitFor();
  }
  assert.equal(await byId(c.page, 'site-label').inputValue(), 'Altanka, ROD Bursztyn');

  for (const x of [a, b, c]) {
    assert.deepEqual(x.watch.problems, []);
    await x.context.close();
  }
});

test('tiles seen online are there offline, from the service worker\'s bounded cache', T, async () => {
  // A tile server of our own (every tile the same PNG, with CORS like OpenStreetMap's).
  const png = readFileSync(join(ROOT, 'public/icons/icon-192.png'));
  let served = 0;
  const tiles = createServer((req, res) => {
    served += 1;
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
    res.end(png);
  });
  await new Promise((ok) => tiles.listen(0, '127.0.0.1', ok));
  const tileUrl = `http://127.0.0.1:${tiles.address().port}/{z}/{x}/{y}.png`;
  const own = await startServer({ tiles: tileUrl });
  try {
    const user = await own.addUser('kafelki');
    const { context, page, watch } = await openPhone(own, user);
    // The phone learns the tile server from the server's settings.
    await byId(page, 'nav-settings').click();
    await page.waitForFunction((u) => document.querySelector('[data-testid=settings-tile-url]')?.textContent === u, tileUrl);
    await reload(page);
    await navTo(page, 'nav-map');
    await page.waitForFunction(() => document.querySelectorAll('.leaflet-tile-loaded').length >= 4, null, { timeout: 30_000 });
    assert.ok(served >= 4, `tiles came from the tile server (${served})`);
    // Wait until the service worker has stored them.
    await page.waitForFunction(async () => (await (await caches.open('latarnia-tiles')).keys()).length >= 4);

    // Offline and reloaded: the same district comes from the cache, not the tile server.
    const before = served;
    await context.setOffline(true);
    await reload(page);
    await byId(page, 'map').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.leaflet-tile-loaded').length >= 4, null, { timeout: 30_000 });
    assert.equal(served, before, 'nothing fetched while offline');
    assert.deepEqual(watch.problems, []);
    await context.close();
  } finally {
    await own.stop();
    tiles.close();
  }
});
