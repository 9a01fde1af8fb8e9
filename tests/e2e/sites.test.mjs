// The map of places as a list (issue 4, first part): a streetworker maps a place at the GPS
// position, is warned about a duplicate within 30 m, bad coordinates are refused at the field,
// places survive going offline, and a coordinator on another phone gets them by sync.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, syncNow, reload, navTo } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 180_000 };

const phone = (user) => openPhone(server, user);

async function newPlace(page, label) {
  await navTo(page, 'nav-sites');
  await byId(page, 'site-new').click();
  // The form takes the phone's position (the harness's fix near Sopot station, ±12 m).
  await page.waitForFunction(() => document.querySelector('[data-testid=site-lat]').value !== '');
  await byId(page, 'site-label').fill(label);
  await byId(page, 'site-type').selectOption('station');
}

test('places are mapped at the GPS position, duplicates are offered, bad input is refused, and they sync', T, async () => {
  const ala = await server.addUser('ala');
  const koordynator = await server.addUser('koordynator', 'coordinator');
  const { context, page, watch } = await phone(ala);

  await newPlace(page, 'Dworzec, wiata peronu 2');
  assert.match(await byId(page, 'site-accuracy').textContent(), /±12 m/);
  await byId(page, 'site-dangers').fill('<b>pies</b> przy wejściu');
  await byId(page, 'site-save').click();
  await byId(page, 'site-list').waitFor();
  assert.equal(await byId(page, 'site-item').count(), 1);
  assert.match(await byId(page, 'site-item').first().textContent(), /Dworzec, wiata peronu 2/);

  // The same spot again: the place already mapped is offered.
  await newPlace(page, 'Wiata');
  await byId(page, 'site-duplicate-warning').waitFor();
  assert.match(await byId(page, 'site-duplicate-warning').textContent(), /Dworzec, wiata peronu 2/);
  await screenshot(page, '14-site-duplicate');
  // 300 m north it is another place; a latitude past 90 is refused at the field, nothing saved.
  await byId(page, 'site-lat').fill('54.4443');
  assert.equal(await byId(page, 'site-duplicate-warning').count(), 0);
  await byId(page, 'site-lat').fill('91');
  await byId(page, 'site-label').fill('');
  await byId(page, 'site-save').click();
  await byId(page, 'error-lat').waitFor();
  assert.match(await byId(page, 'error-lat').textContent(), /−90 a 90/);
  assert.match(await byId(page, 'error-label').textContent(), /nazwę/);
  await byId(page, 'site-lat').fill('54.4443');
  await byId(page, 'site-label').fill('Altanki ROD Bursztyn');
  await byId(page, 'site-type').selectOption('allotment_shed');
  await byId(page, 'site-save').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 2);

  // Search and status filter.
  await byId(page, 'site-search').fill('bursztyn');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 1);
  await byId(page, 'site-search').fill('');
  await byId(page, 'site-filter-status').selectOption('closed');
  await byId(page, 'sites-empty').waitFor();
  await byId(page, 'site-filter-status').selectOption('');
  await screenshot(page, '15-sites');

  // A detailed contact offers the nearest place first and keeps the link.
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').waitFor();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-site').waitFor();
  const offered = await byId(page, 'contact-site').locator('option').allTextContents();
  assert.match(offered[1], /^Dworzec, wiata peronu 2 \(\d+ m\)$/, offered.join(' | '));
  await byId(page, 'contact-site').selectOption({ index: 1 });
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-item').first().locator('a').first().click();
  await byId(page, 'contact-site').waitFor();
  assert.match(await byId(page, 'contact-site').locator('option:checked').textContent(), /Dworzec, wiata peronu 2/);
  await navTo(page, 'nav-sites');
  await byId(page, 'site-list').waitFor();

  // Offline and reloaded: both places are there; a streetworker cannot delete one.
  await context.setOffline(true);
  await reload(page);
  await byId(page, 'site-list').waitFor();
  assert.equal(await byId(page, 'site-item').count(), 2);
  await byId(page, 'site-item').first().locator('a').click();
  await byId(page, 'site-label').waitFor();
  assert.equal(await byId(page, 'site-delete').count(), 0);
  await context.setOffline(false);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=sync-pending]').textContent) === 0, null, { timeout: 30_000 });

  // The coordinator's phone gets them, shown as text (never as HTML), and may delete one.
  const coord = await phone(koordynator);
  await page.waitForTimeout(0);
  await navTo(coord.page, 'nav-sites');
  await coord.page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 2, null, { timeout: 30_000 });
  await coord.page.getByText('Dworzec, wiata peronu 2').click();
  assert.equal(await byId(coord.page, 'site-dangers').inputValue(), '<b>pies</b> przy wejściu');
  await byId(coord.page, 'site-delete').click();
  await coord.page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 1);
  // Deleted by mistake: the coordinator restores it.
  await byId(coord.page, 'site-deleted-list').locator('summary').click();
  assert.match(await byId(coord.page, 'site-deleted').textContent(), /Dworzec, wiata peronu 2/);
  await byId(coord.page, 'site-restore').click();
  await coord.page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 2);
  assert.equal(await byId(coord.page, 'site-deleted-list').count(), 0);
  await coord.page.getByText('Dworzec, wiata peronu 2').click();
  await byId(coord.page, 'site-delete').click();
  await coord.page.waitForFunction(() => document.querySelectorAll('[data-testid=site-item]').length === 1);
  await syncNow(coord.page);

  assert.deepEqual(watch.problems, []);
  assert.deepEqual(coord.watch.problems, []);
  await coord.context.close();
  await context.close();
});


const places = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid=site-item] strong')].map((e) => e.textContent));

test('two workers offline map the same place; the coordinator merges them and every phone converges', T, async () => {
  const ewa = await server.addUser('ewa');
  const jan = await server.addUser('jan');
  const szefowa = await server.addUser('szefowa', 'coordinator');
  const a = await phone(ewa);
  const b = await phone(jan);
  // Both stand at the same house, 6 m apart, away from the places of the test before.
  for (const [p, label, lat, dangers] of [[a, 'Pustostan przy Kolejowej', '54.43000', 'pies na łańcuchu'],
    [b, 'Kolejowa 12, stary dom', '54.43005', 'dach się zapada']]) {
    await p.context.setOffline(true);
    await newPlace(p.page, label);
    await byId(p.page, 'site-lat').fill(lat);
    await byId(p.page, 'site-type').selectOption('abandoned_building');
    await byId(p.page, 'site-dangers').fill(dangers);
    await byId(p.page, 'site-save').click();
    await byId(p.page, 'site-list').waitFor();
  }
  for (const p of [a, b]) {
    await p.context.setOffline(false);
    await syncNow(p.page);
  }
  await syncNow(a.page);

  const c = await phone(szefowa);
  await navTo(c.page, 'nav-sites');
  await byId(c.page, 'site-duplicates').waitFor({ timeout: 30_000 });
  assert.equal(await byId(c.page, 'site-duplicate-pair').count(), 1);
  const gone = () => ![...document.querySelectorAll('[data-testid=site-item] strong')].some((e) => e.textContent === 'Kolejowa 12, stary dom');
  // Merging shows both places side by side, field by field: nothing typed is dropped unseen.
  await byId(c.page, 'site-merge').click();
  const dialog = byId(c.page, 'site-merge-dialog');
  await dialog.waitFor();
  const field = (name) => dialog.locator(`[data-testid=site-merge-field][data-field=${name}]`);
  assert.deepEqual(await dialog.locator('[data-testid=site-merge-field]').evaluateAll((fs) => fs.map((f) => f.dataset.field)),
    ['label', 'position', 'dangers'], 'exactly the fields that differ');
  // Both values are on screen, readable, with the field's name.
  await field('dangers').getByText('pies na łańcuchu').waitFor();
  await field('dangers').getByText('dach się zapada').waitFor();
  await field('dangers').getByText('Zagrożenia (psy, konstrukcja)').waitFor();
  assert.ok(await field('dangers').getByTestId('site-merge-keep-both').isChecked(), 'text typed on both is kept by default');
  // The coordinator keeps the older place's name and both dangers.
  await field('label').getByText('Pustostan przy Kolejowej').click();
  assert.ok(await field('label').getByTestId('site-merge-keep-survivor').isChecked());
  await field('dangers').scrollIntoViewIfNeeded();
  await screenshot(c.page, '16-site-merge');
  await byId(c.page, 'site-merge-confirm').click();
  await c.page.waitForFunction(gone);
  await c.page.getByText('Pustostan przy Kolejowej').click();
  assert.equal(await byId(c.page, 'site-dangers').inputValue(), 'pies na łańcuchu\ndach się zapada');
  await navTo(c.page, 'nav-sites');
  await byId(c.page, 'site-list').waitFor();
  assert.equal(await byId(c.page, 'site-duplicates').count(), 0);
  assert.ok((await places(c.page)).includes('Pustostan przy Kolejowej'), 'the older place survives');
  await syncNow(c.page);

  // Both workers' phones converge on the merged map.
  for (const p of [a, b]) {
    await syncNow(p.page);
    await p.page.waitForFunction(gone);
    assert.deepEqual(await places(p.page), await places(c.page), 'the same map as the coordinator');
    assert.deepEqual(p.watch.problems, []);
  }
  for (const p of [a, b, c]) await p.context.close();
});
