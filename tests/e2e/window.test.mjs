// A field-sized window (issue 16): a fresh streetworker's phone on a server holding two years of
// the organisation's contacts receives only the last 30 days and what is still open (a contact
// marked for follow-up); the history screen and a place's page read the older ones from the
// server when online and say plainly where they are when offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, api, apiLogin, syncNow, navTo } from './harness.mjs';

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
  await navTo(page, 'nav-contacts');
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
  await navTo(page, 'nav-sites');
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

test('a place keeps its last visit after the visit has left the phone, on this phone and a fresh one', T, async () => {
  const ola = await server.addUser('ola-okno');
  const sw = await openPhone(server, ola);
  const page = sw.page;
  const label = 'Pustostan przy Kolejowej';
  await navTo(page, 'nav-sites');
  await byId(page, 'site-new').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=site-lat]').value !== '');
  await byId(page, 'site-label').fill(label);
  await byId(page, 'site-type').selectOption('abandoned_building');
  await byId(page, 'site-save').click();
  await byId(page, 'site-list').waitFor();

  // A visit there 40 days ago, written up only now, in a patrol that then ends.
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-site').waitFor();
  const options = await byId(page, 'contact-site').locator('option').allTextContents();
  await byId(page, 'contact-site').selectOption({ index: options.findIndex((o) => o.startsWith(label)) });
  const ago = await page.evaluate(() => {
    const d = new Date(Date.now() - 40 * 86_400_000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  });
  await byId(page, 'contact-at').fill(ago);
  await byId(page, 'contact-notes').fill('wizyta sprzed 40 dni');
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-quick').waitFor();
  await byId(page, 'patrol-end').click();
  await byId(page, 'patrol-summary').waitFor();

  // Synced: the server holds the visit, so it leaves this phone (30 days).
  await syncNow(page);
  await navTo(page, 'nav-contacts');
  await byId(page, 'contact-list').waitFor();
  assert.doesNotMatch(await byId(page, 'contact-list').textContent(), /wizyta sprzed 40 dni/);

  // "Not visited for N days" still knows when the place was visited: 30 yes, 60 no.
  const unvisited = async (p, days) => {
    await navTo(p, 'nav-sites');
    await byId(p, 'site-filter-days').fill(String(days));
    await p.locator('[data-testid=site-list], [data-testid=sites-empty]').first().waitFor();
    const list = p.getByTestId('site-list');
    return (await list.count()) ? list.textContent() : '';
  };
  assert.match(await unvisited(page, 30), new RegExp(label));
  assert.doesNotMatch(await unvisited(page, 60), new RegExp(label));
  await byId(page, 'site-filter-days').fill('');
  await page.getByText(label).first().click();
  assert.equal(await byId(page, 'site-last-visit').textContent(), `Ostatnia wizyta: ${ago.replace('T', ' ')}`);

  // A colleague's fresh phone gets only its window, and the same answer from the place itself.
  const kuba = await openPhone(server, await server.addUser('kuba-okno'));
  await syncNow(kuba.page);
  assert.match(await unvisited(kuba.page, 30), new RegExp(label));
  assert.doesNotMatch(await unvisited(kuba.page, 60), new RegExp(label));
  assert.deepEqual([...sw.watch.problems, ...kuba.watch.problems], []);
  await sw.context.close();
  await kuba.context.close();
});
