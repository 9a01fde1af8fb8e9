// Reports from the 24 h line (issue 4): a coordinator files one, it shows up as a task on a
// streetworker's patrol, the streetworker checks it with a contact (offline), the coordinator
// sees it checked with the contact linked and closes it; a partner sees its status but never
// the contact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, syncNow } from './harness.mjs';

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
  await byId(cp, 'nav-reports').click();
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
  await byId(cp, 'report-lon').fill('18.5701');
  await byId(cp, 'report-urgency').selectOption('urgent');
  await byId(cp, 'report-source').selectOption('city_guard');
  await screenshot(cp, '17-report-new');
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
  await screenshot(page, '18-patrol-tasks');
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
  await byId(partner.page, 'nav-reports').click();
  await byId(partner.page, 'report-filter-open').uncheck();
  await partner.page.waitForFunction(() => document.querySelector('[data-testid=report-item]')?.dataset.status === 'closed', null, { timeout: 30_000 });
  await byId(partner.page, 'report-item').locator('a').click();
  await byId(partner.page, 'report-outcome').waitFor();
  assert.equal(await byId(partner.page, 'report-contact').count(), 0);
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
