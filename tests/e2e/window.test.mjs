// A field-sized window (issue 16): a fresh streetworker's phone on a server holding two years of
// the organisation's contacts receives only the last 30 days and what is still open (a contact
// marked for follow-up); the history screen and a place's page read the older ones from the
// server when online and say plainly where they are when offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, api, apiLogin, syncNow } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 240_000 };
const DAY = 86_400_000;

// Two years of contacts, one a day (pushed as a colleague's phone would), and a place visited
// 5 and 100 days ago; one contact of 300 days ago still marked for follow-up.
async function seedTwoYears(user) {
  const token = await apiLogin(server, user);
  const client = crypto.randomUUID();
  const hlc = (n) => `${String(Date.now()).padStart(13, '0')}-${n.toString(16).padStart(4, '0')}-${client}`;
  const site = crypto.randomUUID();
  const mutations = [{ mid: 1, collection: 'sites', id: site, op: 'upsert', hlc: hlc(0), fields: {
    label: 'Altanka przy torach', kind: 'allotment_shed', status: 'active', position: { lat: 50.81, lon: 19.12, accuracy_m: 8 },
    address: '', access_notes: '', dangers: '', usual_headcount: 2, created_at: new Date(Date.now() - 800 * DAY).toISOString(),
    merged_into: null } }];
  const contact = (daysAgo, extra) => {
    mutations.push({ mid: mutations.length + 1, collection: 'contacts', id: crypto.randomUUID(), op: 'upsert', hlc: hlc(mutations.length),
      fields: { patrol_id: null, site_id: null, at: new Date(Date.now() - daysAgo * DAY - 3_600_000).toISOString(), headcount: 1,
        gender: null, age_band: null, pseudonym: '', sleeping_rough: true, condition: 'ok', given: {}, referrals: [],
        help_refused: false, follow_up: false, notes: `dzień ${daysAgo}`, position: null, position_status: 'unavailable', ...extra } });
  };
  for (let d = 0; d < 730; d += 1) {
    if (d === 5 || d === 100) contact(d, { site_id: site, notes: `wizyta w altance ${d} dni temu`, headcount: 2 });
    else if (d === 300) contact(d, { follow_up: true, notes: 'do sprawdzenia: szuka pracy' });
    else contact(d, {});
  }
  for (let i = 0; i < mutations.length; i += 400) {
    await api(server, '/api/v1/sync/push', token, { client_id: client, schema_version: 1, mutations: mutations.slice(i, i + 400) });
  }
  return site;
}

const heldContacts = (page) => page.evaluate(() => new Promise((ok, fail) => {
  const r = indexedDB.open('latarnia');
  r.onsuccess = () => { const q = r.result.transaction('contacts').objectStore('contacts').count(); q.onsuccess = () => ok(q.result); };
  r.onerror = () => fail(r.error);
}));

test('a fresh phone on two years of records keeps only its window; older visits come from the server when online', T, async () => {
  const koord = await server.addUser('koord-okno', 'coordinator');
  const site = await seedTwoYears(koord);
  const ewa = await server.addUser('ewa-okno');
  const sw = await openPhone(server, ewa);
  const page = sw.page;
  // The first sync: 30 days (0…29, and day 30 when it is still inside by the hour) and the follow-up.
  await syncNow(page);
  const held = await heldContacts(page);
  assert.ok(held >= 31 && held <= 32, `only the window and open work are on the phone: ${held} of 730`);

  await byId(page, 'nav-settings').click();
  assert.match(await byId(page, 'settings-window').textContent(), /ostatnie 30 dni/);

  // The history: the window on the phone, then the older ones from the server.
  await byId(page, 'nav-contacts').click();
  await byId(page, 'older-hint').waitFor();
  assert.match(await byId(page, 'older-hint').textContent(), /ostatnich 30 dni/);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=contact-list] [data-testid=contact-item]').length === n, held);
  assert.match(await byId(page, 'contact-list').textContent(), /do sprawdzenia: szuka pracy/, 'open work stays whatever its age');
  await byId(page, 'older-show').click();
  const older = byId(page, 'older-list').getByTestId('contact-item');
  await older.first().waitFor();
  assert.equal(await older.count(), 50);
  assert.match(await older.first().textContent(), /dzień 3[01]/, 'newest first, right after the window');
  assert.equal(await older.first().locator('a').count(), 0, 'read only: nothing to open that the phone does not hold');
  await screenshot(page, '30-older-history');

  // Offline: the sentence says where they are; nothing breaks.
  await sw.context.setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await byId(page, 'older-show').click();
  assert.equal(await byId(page, 'older-error').textContent(),
    'Starsze kontakty są tylko na serwerze. Połącz się z internetem, aby je zobaczyć.');
  assert.equal(await older.count(), 50, 'what was read stays');
  await sw.context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));

  // The place: its visit of 5 days ago is on the phone; the one of 100 days ago, from the server.
  await byId(page, 'nav-sites').click();
  await page.getByText('Altanka przy torach').first().click();
  await byId(page, 'site-visits').waitFor();
  assert.equal(await byId(page, 'site-visits').getByTestId('site-visit').count(), 1);
  await byId(page, 'older-show').click();
  const visits = byId(page, 'older-list').getByTestId('contact-item');
  await visits.first().waitFor();
  assert.equal(await visits.count(), 1);
  assert.match(await visits.first().textContent(), /wizyta w altance 100 dni temu/);
  await byId(page, 'older-show').waitFor({ state: 'detached' });
  assert.deepEqual(sw.watch.problems, []);
  await sw.context.close();
  assert.ok(site);
});
