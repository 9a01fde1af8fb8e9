// Reports from the 24 h line (issue 4): a coordinator files one, it shows up as a task on a
// streetworker's patrol, the streetworker checks it with a contact (offline), the coordinator
// sees it checked with the contact linked and closes it; a partner sees its status but never
// the contact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, syncNow, api, apiLogin, navTo } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 180_000 };
const phone = (user) => openPhone(server, user);

test('a report becomes a task, is checked with a contact, and is closed; partners see its status only', T, async () => {
  const koordynator = await server.addUser('koord-r', 'coordinator');
  const ola = await server.addUser('ola');
  const mops = await server.addUser('mops', 'partner');
  const coord = await phone(koordynator);
  const { page: cp } = coord;

  // Bad input first: no description and no place are refused at the field, nothing saved.
  await navTo(cp, 'nav-reports');
  await byId(cp, 'report-new').click();
  await byId(cp, 'report-save').click();
  await byId(cp, 'error-description').waitFor();
  assert.match(await byId(cp, 'error-description').textContent(), /Opisz/);
  await byId(cp, 'error-position').waitFor();
  await byId(cp, 'report-lat').fill('54.4411');
  await byId(cp, 'report-lon').fill('200');
  await byId(cp, 'report-description').fill('Mężczyzna śpi na ławce przy peronie 2, bez kurtki');
  await byId(cp, 'report-save').click();
  await byId(cp, 'error-lon').waitFor();
  // The place copied whole from a web map and pasted into the longitude field fills both.
  await byId(cp, 'report-lon').evaluate((el) => {
    const data = new DataTransfer();
    data.setData('text/plain', '54.44110, 18.57010');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  assert.deepEqual([await byId(cp, 'report-lat').inputValue(), await byId(cp, 'report-lon').inputValue()], ['54.441100', '18.570100']);
  await byId(cp, 'report-urgency').selectOption('urgent');
  await byId(cp, 'report-source').selectOption('city_guard');
  await byId(cp, 'report-save').click();
  await byId(cp, 'report-list').waitFor();
  assert.equal(await byId(cp, 'report-item').count(), 1);
  assert.equal(await byId(cp, 'report-item').getAttribute('data-status'), 'new');
  await syncNow(cp);

  // The streetworker's patrol shows it as a task; checked offline with a contact.
  const sw = await phone(ola);
  const { page } = sw;
  await byId(page, 'patrol-start').click();
  await byId(page, 'task-list').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-item]').length === 1, null, { timeout: 30_000 });
  assert.match(await byId(page, 'task-item').textContent(), /ławce przy peronie 2/);
  assert.equal(await byId(page, 'task-item').getAttribute('data-urgency'), 'urgent');
  await sw.context.setOffline(true);
  await byId(page, 'task-check').click();
  await byId(page, 'contact-report').waitFor();
  assert.match(await byId(page, 'contact-report').textContent(), /ławce przy peronie 2/);
  await byId(page, 'contact-notes').fill('Pan Marek, dostał koc i herbatę; nie chce do noclegowni');
  await byId(page, 'contact-save').click();
  await byId(page, 'tasks-empty').waitFor();
  assert.equal(await byId(page, 'contact-item').count(), 1);
  await sw.context.setOffline(false);
  await syncNow(page);

  // The coordinator sees it checked, with the contact linked, and closes it.
  await syncNow(cp);
  await byId(cp, 'report-filter-open').uncheck();
  await cp.waitForFunction(() => document.querySelector('[data-testid=report-item]')?.dataset.status === 'checked', null, { timeout: 30_000 });
  await byId(cp, 'report-item').locator('a').click();
  await byId(cp, 'report-contact').waitFor();
  await byId(cp, 'report-status').selectOption('closed');
  await byId(cp, 'report-save').click();
  await byId(cp, 'error-outcome').waitFor();
  await byId(cp, 'report-outcome').fill('Sprawdzone w nocy; pomoc przyjęta częściowo');
  await byId(cp, 'report-save').click();
  // Closed: no longer among the open ones.
  await byId(cp, 'reports-empty').waitFor();
  await byId(cp, 'report-filter-open').uncheck();
  await cp.waitForFunction(() => document.querySelector('[data-testid=report-item]')?.dataset.status === 'closed');
  await syncNow(cp);

  // The partner sees the status, and no contact (partners never receive contacts).
  const partner = await phone(mops);
  await navTo(partner.page, 'nav-reports');
  await byId(partner.page, 'report-filter-open').uncheck();
  await partner.page.waitForFunction(() => document.querySelector('[data-testid=report-item]')?.dataset.status === 'closed', null, { timeout: 30_000 });
  await byId(partner.page, 'report-item').locator('a').click();
  await byId(partner.page, 'report-outcome').waitFor();
  assert.equal(await byId(partner.page, 'report-contact').count(), 0);
  // Least privilege: another's report reaches a partner without its description and outcome.
  assert.equal(await byId(partner.page, 'report-outcome').inputValue(), '', 'another\'s outcome never reaches a partner');
  assert.equal(await byId(partner.page, 'report-description').inputValue(), '');
  const contacts = await partner.page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('latarnia');
    open.onsuccess = () => {
      const tx = open.result.transaction('contacts');
      const all = tx.objectStore('contacts').count();
      all.onsuccess = () => resolve(all.result);
      all.onerror = () => reject(all.error);
    };
    open.onerror = () => reject(open.error);
  }));
  assert.equal(contacts, 0, 'no contact reached the partner\'s phone');

  for (const p of [coord, sw, partner]) {
    assert.deepEqual(p.watch.problems, []);
    await p.context.close();
  }
});

test('a city guard files a report located by its position and the map, with the caller\'s landmark; the task says where, how far, and how to get there', T, async () => {
  const sm = await server.addUser('straz-miejska-sopot', 'partner');
  const ala = await server.addUser('ala-r');
  const p = await phone(sm);
  const { page } = p;
  await navTo(page, 'nav-reports');
  await byId(page, 'report-new').click();
  // Who files it is the source: a city guard's account files "Straż Miejska".
  assert.equal(await byId(page, 'report-source').inputValue(), 'city_guard');
  // A tap on the form's map puts the pin there …
  await byId(page, 'report-map').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=report-map] .leaflet-container, [data-testid=report-map].leaflet-container'));
  const box = await byId(page, 'report-map').boundingBox();
  await byId(page, 'report-map').click({ position: { x: box.width / 2, y: box.height / 3 } });
  await page.waitForFunction(() => document.querySelector('[data-testid=report-lat]').value !== '');
  // … and "use my position" is there for a partner with a GPS fix.
  await page.waitForFunction(() => !document.querySelector('[data-testid=report-use-gps]').disabled, null, { timeout: 15_000 });
  await byId(page, 'report-use-gps').click();
  assert.equal(await byId(page, 'report-lat').inputValue(), '54.441600');
  await byId(page, 'report-place-note').fill('ławka za Biedronką, róg Chopina');
  await byId(page, 'report-description').fill('Kobieta w cienkiej kurtce, zgłosił przechodzień');
  await byId(page, 'report-urgency').selectOption('urgent');
  await byId(page, 'report-map').scrollIntoViewIfNeeded();
  await screenshot(page, '17-report-new');
  await byId(page, 'report-save').click();
  await byId(page, 'report-list').waitFor();
  assert.match(await byId(page, 'report-item-filed-by').textContent(), /straz-miejska-sopot/);
  await syncNow(page);

  // On a streetworker's patrol: the landmark, the distance, directions, marked urgent.
  const sw = await phone(ala);
  await byId(sw.page, 'patrol-start').click();
  await sw.page.waitForFunction(() => document.querySelectorAll('[data-testid=task-item]').length >= 1, null, { timeout: 30_000 });
  const task = sw.page.getByTestId('task-item').filter({ hasText: 'cienkiej kurtce' });
  assert.match(await task.getByTestId('task-place').textContent(), /ławka za Biedronką, róg Chopina/);
  await task.getByTestId('task-distance').waitFor({ timeout: 15_000 });
  assert.match(await task.getByTestId('task-distance').textContent(), /^\d+ m stąd$/);
  assert.match(await task.getByTestId('task-maps').getAttribute('href'), /openstreetmap\.org\/\?mlat=54\.4416/);
  assert.equal(await task.getByTestId('task-urgent').textContent(), 'PILNE');
  assert.doesNotMatch(await task.textContent(), /54\.44160, 18\.56010/, 'no raw coordinates');
  await screenshot(sw.page, '18-patrol-tasks');

  // The team closes it; the city guard that filed it sees the outcome of its own report.
  const mine = byId(page, 'report-item').filter({ hasText: 'cienkiej kurtce' });
  const href = await mine.locator('a').getAttribute('href');
  const id = href.split('/').pop();
  const token = await apiLogin(server, server.admin);
  const client = crypto.randomUUID();
  const hlc = `${String(Date.now() + 1000).padStart(13, '0')}-0000-${client}`;
  await api(server, '/api/v1/sync/push', token, { client_id: client, schema_version: 1, mutations: [
    { mid: 1, collection: 'reports', id, op: 'upsert', hlc, fields: { status: 'closed', outcome: 'Przewieziona do noclegowni' } }] });
  await syncNow(page);
  await byId(page, 'report-filter-open').uncheck();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=report-item]')]
    .some((r) => r.dataset.status === 'closed' && r.textContent.includes('cienkiej kurtce')), null, { timeout: 30_000 });
  await mine.locator('a').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=report-outcome]')?.value === 'Przewieziona do noclegowni', null, { timeout: 15_000 });
  assert.equal(await byId(page, 'report-description').inputValue(), 'Kobieta w cienkiej kurtce, zgłosił przechodzień');
  for (const x of [p, sw]) {
    assert.deepEqual(x.watch.problems, []);
    await x.context.close();
  }
});
