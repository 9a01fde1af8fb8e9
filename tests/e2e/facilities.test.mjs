// Aid facilities and beds held (issue 20): a coordinator imports three facilities from the
// voivode's register (one row refused with its reason) and names their receptions; a facility's
// reception sets 2 free beds in three taps; a streetworker offline at 320 px finds a bed for a
// woman with a dog (the facility that does not take dogs is not offered), holds one and comes
// online; the reception sees who is coming and marks her arrived; the free beds show 1 and the
// referral is accepted in the coordinator's indicators; a hold made offline on a second phone
// after the last bed went is refused with the facility named, and the next facility is offered
// and holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, syncNow, api, apiLogin, navTo, smallControls, coveredAtEnd, openProfile, tempDir } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 300_000 };

const REGISTER = [
  'Nazwa placówki;Adres;Typ placówki;Liczba miejsc;Podmiot prowadzący',
  'Noclegownia dla Kobiet;ul. Zielona 1, Częstochowa;noclegownia;20;Fundacja Kobieta',
  'Schronisko Brata Alberta;ul. Szczytowa 11, Częstochowa;Schronisko dla osób bezdomnych;120;Towarzystwo Pomocy',
  'Hotel Pod Różą;ul. Wąska 3;hotel robotniczy;10;Spółka',
  'Ogrzewalnia Miejska;ul. Krótka 2, Częstochowa;ogrzewalnia;15;MOPS',
].join('\n');

/** `text` as Windows-1250 bytes (its Polish letters; the rest is ASCII). */
function windows1250(text) {
  const polish = { Ą: 0xa5, Ć: 0xc6, Ę: 0xca, Ł: 0xa3, Ń: 0xd1, Ó: 0xd3, Ś: 0x8c, Ź: 0x8f, Ż: 0xaf, ą: 0xb9, ć: 0xe6, ę: 0xea, ł: 0xb3, ń: 0xf1, ó: 0xf3, ś: 0x9c, ź: 0x9f, ż: 0xbf };
  return Buffer.from([...text].map((c) => polish[c] ?? c.charCodeAt(0)));
}

/** The free-bed line of the facility named `name` in the list shown. */
async function freeOf(page, name) {
  const item = byId(page, 'facility-item').filter({ has: page.getByText(name, { exact: true }) }).first();
  return item.getByTestId('facility-free').getAttribute('data-free');
}

/** Opens a new contact for a woman and the bed finder with a dog ticked. */
async function findBedForWomanWithDog(page) {
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-gender-female').check({ force: true });
  await byId(page, 'referral-find-bed').click();
  await byId(page, 'bed-need-dog').check();
  await byId(page, 'bed-candidates').waitFor();
}

test('facilities: import, free beds, a hold offline, arrival, a full facility refused and the next offered', T, async () => {
  const koord = await server.addUser('koord-fac', 'coordinator');
  const ola = await server.addUser('ola-fac');
  const kuba = await server.addUser('kuba-fac');
  const recepcja = await server.addUser('recepcja-fac', 'facility');
  const recepcja2 = await server.addUser('recepcja2-fac', 'facility');

  // The coordinator imports the register: a preview row by row, the hotel refused with why.
  const c = await openPhone(server, koord);
  const cp = c.page;
  await navTo(cp, 'nav-facilities');
  await byId(cp, 'facility-empty').waitFor();
  await cp.locator('.facility-import summary').click();
  // A file far too large (a photo, a whole database chosen by mistake) is refused at once.
  await byId(cp, 'facility-import').setInputFiles({ name: 'baza.csv', mimeType: 'text/csv', buffer: Buffer.alloc(5 << 20, 'a') });
  await cp.getByRole('alert').filter({ hasText: 'Plik jest za duży' }).waitFor();
  assert.equal(await byId(cp, 'facility-import-preview').count(), 0);
  // Polish Excel saves "CSV (rozdzielany średnikami)" in Windows-1250: the letters survive.
  await byId(cp, 'facility-import').setInputFiles({ name: 'rejestr-excel.csv', mimeType: 'text/csv', buffer: windows1250(REGISTER) });
  await byId(cp, 'facility-import-preview').getByText('Hotel Pod Różą').waitFor();
  assert.equal(await byId(cp, 'facility-import-error').textContent(), '');
  await byId(cp, 'facility-import').setInputFiles({ name: 'rejestr.csv', mimeType: 'text/csv', buffer: Buffer.from(REGISTER) });
  await byId(cp, 'facility-import-preview').waitFor();
  const rows = await byId(cp, 'facility-import-row').evaluateAll((rs) => rs.map((r) => [r.dataset.ok, r.textContent]));
  assert.equal(rows.length, 4);
  assert.deepEqual(rows.map((r) => r[0]), ['true', 'true', 'false', 'true']);
  assert.match(rows[2][1], /Hotel Pod Różą.*Nieznany typ placówki/);
  assert.match(rows[1][1], /Schronisko.*120/);
  await byId(cp, 'facility-import-row').nth(2).scrollIntoViewIfNeeded();
  await screenshot(cp, '45-facility-import');
  // The phone's storage fills after the first facility: a clear message, the two not saved
  // stay in the preview, and are saved once there is room again.
  await cp.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    window.__facilityPuts = 0;
    IDBObjectStore.prototype.put = function (...args) {
      if (this.name === 'facilities' && window.__facilityPuts !== null && ++window.__facilityPuts > 1) throw new DOMException('quota', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await byId(cp, 'facility-import-save').click();
  await byId(cp, 'toast').filter({ hasText: 'Pamięć telefonu jest pełna' }).waitFor();
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=facility-import-row]').length === 2);
  assert.match(await byId(cp, 'facility-import-save').textContent(), /2/);
  await cp.evaluate(() => { window.__facilityPuts = null; });
  await byId(cp, 'facility-import-save').click();
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=facility-list] [data-testid=facility-item]').length === 3);
  assert.equal(await byId(cp, 'facility-list').getByText('Hotel Pod Różą').count(), 0, 'the refused row is not saved');

  // Whom each takes and who staffs it: the women's night shelter takes dogs; so does the
  // shelter; the warming centre does not.
  const edit = async (name, { lat, lon, men, dogs, login }) => {
    if (!(await byId(cp, 'facility-name').isVisible())) await byId(cp, 'facility-item').filter({ hasText: name }).locator('a').click();
    await byId(cp, 'facility-name').waitFor();
    await byId(cp, 'facility-lat').fill(lat);
    await byId(cp, 'facility-lon').fill(lon);
    await byId(cp, 'facility-takes-men').setChecked(men);
    await byId(cp, 'facility-dogs').setChecked(dogs);
    if (login) await byId(cp, 'facility-logins').fill(login);
    await byId(cp, 'facility-save').click();
    await byId(cp, 'facility-list').waitFor();
  };
  // A mistyped opening hour is named at the field and nothing is saved.
  await byId(cp, 'facility-item').filter({ hasText: 'Ogrzewalnia Miejska' }).locator('a').click();
  await byId(cp, 'facility-hours').fill('pn-pt 18-8');
  await byId(cp, 'facility-save').click();
  await byId(cp, 'error-hours').waitFor();
  assert.match(await byId(cp, 'error-hours').textContent(), /Godziny otwarcia/);
  await byId(cp, 'facility-hours').fill('');
  await edit('Ogrzewalnia Miejska', { lat: '50,8105', lon: '19,1195', men: true, dogs: false });
  await edit('Noclegownia dla Kobiet', { lat: '50.812', lon: '19.121', men: false, dogs: true, login: recepcja.login });
  await edit('Schronisko Brata Alberta', { lat: '50.830', lon: '19.140', men: true, dogs: true, login: recepcja2.login });
  await syncNow(cp);

  // The reception: its desk is the account's home; no count yet, then 2 in three taps.
  const r = await openPhone(server, recepcja);
  const rp = r.page;
  await syncNow(rp);
  await byId(rp, 'reception-facility').waitFor();
  assert.equal(await byId(rp, 'nav-patrol').count(), 0, 'a reception sees nothing of the field work');
  assert.equal(await byId(rp, 'reception-facility').locator('h2').textContent(), 'Noclegownia dla Kobiet');
  await byId(rp, 'facility-beds-plus').click();
  await byId(rp, 'facility-beds-plus').click();
  await byId(rp, 'facility-beds-save').click();
  await rp.waitForFunction(() => document.querySelector('[data-testid=reception-facility] [data-testid=facility-free]')?.dataset.free === '2');
  await syncNow(rp);
  // The shelter's reception reports 3 free beds from its own desk (through the API here).
  const token2 = await apiLogin(server, recepcja2);
  const pulled = await api(server, `/api/v1/sync/pull?client_id=${crypto.randomUUID()}&cursor=&limit=1000`, token2);
  const shelter = pulled.changes.find((ch) => ch.collection === 'facilities' && ch.fields.name === 'Schronisko Brata Alberta');
  const women = pulled.changes.find((ch) => ch.collection === 'facilities' && ch.fields.name === 'Noclegownia dla Kobiet');
  const client2 = crypto.randomUUID();
  const hlc = `${String(Date.now()).padStart(13, '0')}-0000-${client2}`;
  let pushed = await api(server, '/api/v1/sync/push', token2, { client_id: client2, schema_version: 1, mutations: [
    { mid: 1, collection: 'facilities', id: shelter.id, op: 'upsert', hlc, fields: { free_beds: 3, beds_at: new Date().toISOString() } },
    { mid: 2, collection: 'facilities', id: women.id, op: 'upsert', hlc, fields: { free_beds: 40 } }] });
  assert.deepEqual(pushed.results.map((m) => m.error ?? 'applied'), ['applied', 'forbidden'], 'a reception answers for its own facility only');

  // Kuba's phone learns the counts now, then loses the network (he holds later, offline).
  const k = await openPhone(server, kuba, { geolocation: { latitude: 50.8101, longitude: 19.1191, accuracy: 10 } });
  const kp = k.page;
  await syncNow(kp);
  await byId(kp, 'patrol-start').click();
  await byId(kp, 'contact-quick').waitFor();
  await kp.context().setOffline(true);

  // Ola, at 320 px, offline: a woman with a dog.
  const o = await openPhone(server, ola, { geolocation: { latitude: 50.8101, longitude: 19.1191, accuracy: 10 } });
  const op = o.page;
  await op.setViewportSize({ width: 320, height: 640 });
  await syncNow(op);
  await byId(op, 'patrol-team').fill('Ola, Piotr');
  await byId(op, 'patrol-start').click();
  await byId(op, 'contact-quick').waitFor();
  await op.context().setOffline(true);
  await findBedForWomanWithDog(op);
  const offered = await byId(op, 'bed-candidates').getByTestId('facility-item').evaluateAll((li) => li.map((l) => l.dataset.facility));
  assert.deepEqual(offered, ['Noclegownia dla Kobiet', 'Schronisko Brata Alberta'], 'the warming centre takes no dogs');
  const line = await byId(op, 'bed-candidates').getByTestId('facility-free').first().textContent();
  assert.match(line, /^2 wolne · (przed chwilą|\d+ min temu)/);
  assert.deepEqual(await smallControls(op), [], 'every control of the finder is large enough for gloves');
  assert.ok(await op.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the finder fits 320 px');
  await byId(op, 'bed-hold').first().click();
  await byId(op, 'bed-hold-status').waitFor();
  assert.match(await byId(op, 'bed-hold-status').textContent(), /Zarezerwowane: Noclegownia dla Kobiet, do \d\d:\d\d/);
  assert.equal(await freeOf(op, 'Noclegownia dla Kobiet'), '1', 'the hold counts at once, offline');
  // Held: the referral to a night shelter is on the form, pending.
  assert.equal(await byId(op, 'referral-night_shelter').inputValue(), 'pending');
  await screenshot(op, '46-bed-finder');
  assert.deepEqual(await coveredAtEnd(op), [], 'nothing of the form is under the bottom bar');
  await byId(op, 'contact-save').click();
  await byId(op, 'contact-quick').waitFor();
  await op.context().setOffline(false);
  await syncNow(op);

  // The reception sees who is coming and marks her arrived.
  await syncNow(rp);
  const hold = byId(rp, 'bed-hold-list').getByTestId('bed-hold-item');
  await hold.waitFor();
  assert.match(await hold.textContent(), /Kobieta · z psem/);
  assert.match(await hold.textContent(), /Przyprowadza: Ola, Piotr/);
  await screenshot(rp, '47-reception');
  await byId(rp, 'bed-arrived').click();
  await byId(rp, 'bed-hold-list-empty').waitFor();
  await syncNow(rp);
  await rp.waitForFunction(() => document.querySelector('[data-testid=reception-facility] [data-testid=facility-free]')?.dataset.free === '1');

  // On Ola's phone the contact's referral reads accepted once the arrival has synced.
  await syncNow(op);
  await byId(op, 'nav-contacts').click();
  await byId(op, 'contact-item').first().locator('a').click();
  await op.waitForFunction(() => document.querySelector('[data-testid=referral-night_shelter]')?.value === 'accepted');
  await byId(op, 'nav-patrol').click();
  await byId(op, 'contact-quick').waitFor();

  // The coordinator: 1 free bed now, and the referral accepted in the indicators.
  await syncNow(cp);
  await navTo(cp, 'nav-facilities');
  await cp.waitForFunction(() => [...document.querySelectorAll('[data-testid=facility-item]')]
    .find((l) => l.dataset.facility === 'Noclegownia dla Kobiet')?.querySelector('[data-testid=facility-free]')?.dataset.free === '1');
  await navTo(cp, 'nav-indicators');
  await cp.waitForFunction(() => document.querySelector('[data-testid=indicators-table] [data-indicator=facility_0]'));
  const ind = await cp.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid=indicators-table] [data-indicator]')]
    .map((row) => [row.dataset.indicator, [row.textContent, row.querySelector('[data-value]').dataset.value]])));
  assert.equal(ind.referral_night_shelter_accepted[1], '1', JSON.stringify(ind));
  assert.equal(ind.referral_night_shelter_pending, undefined);
  assert.match(ind.facility_0[0], /Noclegownia dla Kobiet/);
  assert.deepEqual([ind.facility_0[1], ind.facility_0_arrived[1]], ['1', '1']);

  // Ola holds the last bed (online); Kuba, offline since before, still sees one and holds it.
  await findBedForWomanWithDog(op);
  await byId(op, 'bed-hold').first().click();
  await byId(op, 'bed-hold-status').waitFor();
  await byId(op, 'contact-save').click();
  await byId(op, 'contact-quick').waitFor();
  await syncNow(op);
  await findBedForWomanWithDog(kp);
  assert.equal(await freeOf(kp, 'Noclegownia dla Kobiet'), '2', 'Kuba\'s phone knows nothing since it went offline');
  await byId(kp, 'bed-hold').first().click();
  await byId(kp, 'bed-hold-status').waitFor();
  await kp.context().setOffline(false);
  await syncNow(kp);
  // Refused by the server: said in words, the facility offered last as full, the next first.
  const refused = byId(kp, 'bed-hold-refused');
  await refused.waitFor();
  assert.match(await refused.textContent(), /Noclegownia dla Kobiet: brak wolnych miejsc/);
  await kp.waitForFunction(() => /Rezerwacja odrzucona/.test(document.querySelector('[data-testid=toast]')?.textContent ?? ''));
  assert.equal(await byId(kp, 'bed-hold-status').count(), 0, 'the refused hold is not shown as held');
  const next = await byId(kp, 'bed-candidates').getByTestId('facility-item').evaluateAll((li) => li.map((l) => l.dataset.facility));
  assert.deepEqual(next, ['Schronisko Brata Alberta', 'Noclegownia dla Kobiet']);
  assert.equal(await freeOf(kp, 'Noclegownia dla Kobiet'), '0');
  await refused.scrollIntoViewIfNeeded();
  await screenshot(kp, '48-bed-refused');
  await byId(kp, 'bed-hold').first().click();
  await byId(kp, 'bed-hold-status').waitFor();
  assert.match(await byId(kp, 'bed-hold-status').textContent(), /Schronisko Brata Alberta/);
  await byId(kp, 'contact-save').click();
  await byId(kp, 'contact-quick').waitFor();
  await syncNow(kp);

  // The printed list: by type, with addresses, hours and phones (the poster), on one or two A4
  // pages for a city's 40 facilities.
  const koordToken = await apiLogin(server, koord);
  const poster40 = crypto.randomUUID();
  const kinds = ['shelter', 'night_shelter', 'warming_centre', 'soup_kitchen', 'bathhouse', 'day_centre', 'aid_point', 'medical'];
  const more = Array.from({ length: 37 }, (_, n) => ({ mid: n + 1, collection: 'facilities', id: crypto.randomUUID(), op: 'upsert',
    hlc: `${String(Date.now()).padStart(13, '0')}-${n.toString(16).padStart(4, '0')}-${poster40}`, fields: {
      name: `Placówka nr ${n + 1} im. św. Brata Alberta`, kind: kinds[n % kinds.length], address: `ul. Długa ${n + 1}, 42-200 Częstochowa`,
      position: null, operator: 'Towarzystwo Pomocy', phone: `34 000 00 ${String(n).padStart(2, '0')}`,
      hours: [1, 2, 3, 4, 5].map((day) => ({ day, from: '18:00', to: '08:00' })), closed_days: [],
      takes: { men: true, women: true, families: false }, conditions: {}, capacity: 20, free_beds: null, beds_at: null,
      hold_minutes: null, logins: [] } }));
  pushed = await api(server, '/api/v1/sync/push', koordToken, { client_id: poster40, schema_version: 1, mutations: more });
  assert.ok(pushed.results.every((m) => m.status === 'applied'), JSON.stringify(pushed.results[0]));
  await syncNow(cp);
  await navTo(cp, 'nav-facilities');
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=facility-list] [data-testid=facility-item]').length === 40);
  await cp.setViewportSize({ width: 794, height: 1123 }); // A4 at 96 dpi
  await cp.emulateMedia({ media: 'print' });
  const poster = await byId(cp, 'facilities-poster').textContent();
  assert.match(poster, /noclegownia.*Noclegownia dla Kobiet, ul\. Zielona 1/s);
  assert.match(poster, /ogrzewalnia.*Ogrzewalnia Miejska.*całą dobę/s);
  assert.match(poster, /Placówka nr 7 im\. św\. Brata Alberta, ul\. Długa 7, 42-200 Częstochowa, tel\. 34 000 00 06.*pn–pt 18:00–08:00/s);
  assert.equal(await byId(cp, 'facility-list').isVisible(), false);
  const height = await byId(cp, 'facilities-poster').evaluate((e) => e.getBoundingClientRect().height);
  assert.ok(height <= 2 * 1000, `the poster fits two A4 pages (about 1,000 px each with margins): ${height} px`);
  await cp.emulateMedia({ media: 'screen' });

  // The public list, once the organisation switches it on: without sign-in, no beds.
  const me = await api(server, '/api/v1/me', await apiLogin(server, koord));
  const visitor = await openProfile(tempDir('visitor'));
  const vp = visitor.pages()[0] ?? (await visitor.newPage());
  await vp.goto(`${server.url}/public/facilities/${me.org_id}`);
  await byId(vp, 'public-error').waitFor();
  assert.match(await byId(vp, 'public-error').textContent(), /nie jest publiczna/);
  await server.cli('org', 'public-facilities', '--org', 'Latarnia');
  await vp.reload();
  await vp.waitForFunction(() => document.querySelectorAll('[data-testid=public-facility]').length === 40);
  const listed = await byId(vp, 'public-facilities').textContent();
  assert.match(listed, /Noclegownia dla Kobiet.*ul\. Zielona 1/s);
  assert.match(listed, /przyjmuje z psem/);
  assert.doesNotMatch(listed, /wolne|wolnych|Kobieta · z psem/, 'no beds, no people');
  assert.equal(await byId(vp, 'login-login').count(), 0, 'no sign-in asked');
  await screenshot(vp, '49-public-facilities');
  // Another public address is no page, and asks no sign-in either.
  await vp.goto(`${server.url}/public/facilities/${me.org_id}/more`);
  await vp.getByRole('heading', { name: 'Nie ma takiej strony.' }).waitFor();
  assert.equal(await byId(vp, 'login-login').count(), 0, 'no sign-in asked');
  await visitor.close();

  for (const p of [c, r, o, k]) {
    p.watch.assertClean();
    await p.context.close();
  }
});
