// Count night (issue 19): the coordinator draws two sectors (one by typing corners, one tapped
// on the map) and assigns two teams; each team's phone goes offline, visits its places, records
// questionnaires (one person declining, counted by observation; one already counted) and adds
// a place not on the map; both sync; the coordinator's live view and the gmina's table show
// exactly the expected numbers, and the CSV holds them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, byId, screenshot, phone as openPhone, syncNow, api, apiLogin, navTo, coveredAtEnd, smallControls } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 300_000 };

// Five places of the map: two west of 19.12° E, two east of it, one far outside the town.
async function seedPlaces(user) {
  const token = await apiLogin(server, user);
  const client = crypto.randomUUID();
  const hlc = (n) => `${String(Date.now()).padStart(13, '0')}-${n.toString(16).padStart(4, '0')}-${client}`;
  const week = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const spots = [['Altanka Zachód', 50.810, 19.105], ['Pustostan Zachód', 50.820, 19.112],
    ['Wiadukt Wschód', 50.812, 19.125], ['Piwnica Wschód', 50.822, 19.133], ['Daleko', 50.900, 19.500]];
  const mutations = spots.map(([label, lat, lon], n) => ({ mid: n + 1, collection: 'sites', id: crypto.randomUUID(), op: 'upsert', hlc: hlc(n), fields: {
    label, kind: 'abandoned_building', status: 'active', position: { lat, lon, accuracy_m: 8 }, address: '',
    access_notes: '', dangers: '', usual_headcount: 1, created_at: week, merged_into: null } }));
  await api(server, '/api/v1/sync/push', token, { client_id: client, schema_version: 1, mutations });
}

/** Fills one questionnaire at the place `place` (a locator of `count-place`). */
async function person(page, place, answers, { observed = false } = {}) {
  await place.getByTestId('count-person').click();
  const form = byId(page, 'count-person-form');
  await form.waitFor();
  if (observed) await byId(page, 'count-person-observed').check();
  for (const [question, labels] of Object.entries(answers)) {
    for (const label of [labels].flat()) {
      await byId(page, `count-answer-${question}`).getByText(label, { exact: true }).click();
    }
  }
  await byId(page, 'count-person-save').click();
  await form.waitFor({ state: 'detached' });
}

const placeNamed = (page, label) => byId(page, 'count-place').filter({ has: page.getByRole('heading', { name: label, exact: true }) });

test('count night: two sectors, two teams offline, the live view and the gmina\'s table', T, async () => {
  const koord = await server.addUser('koord-count', 'coordinator');
  const ania = await server.addUser('ania-count');
  const kuba = await server.addUser('kuba-count');
  await seedPlaces(koord);
  const c = await openPhone(server, koord);
  const cp = c.page;
  await syncNow(cp);

  // The coordinator prepares the count.
  await navTo(cp, 'nav-count');
  await byId(cp, 'count-new').click();
  await byId(cp, 'count-name').fill('Badanie 2026 Częstochowa');
  await byId(cp, 'count-sector-add').click();
  let sector = byId(cp, 'count-sector').nth(0);
  await sector.getByTestId('count-sector-name').fill('Zachód');
  // A corner mistyped is named, in Polish, and nothing is saved.
  await sector.getByTestId('count-sector-corners').fill('50,80 19,10\n50.80 północ');
  await byId(cp, 'count-save').click();
  await byId(cp, 'error-sectors').waitFor();
  assert.match(await byId(cp, 'error-sectors').textContent(), /trzy różne narożniki/);
  await sector.getByTestId('count-sector-corners').fill('50,80 19,10\n50.80, 19.12\n50.83, 19.12\n50.83, 19.10');
  await sector.getByTestId('count-team').fill('Ania, Bartek');
  await sector.getByTestId('count-meeting-point').fill('MOPS, ul. Krakowska');
  // The second sector drawn by tapping its corners on the map.
  await byId(cp, 'count-sector-add').click();
  sector = byId(cp, 'count-sector').nth(1);
  assert.equal(await sector.getAttribute('data-drawing'), 'true', 'a new sector is the one being drawn');
  await sector.getByTestId('count-sector-name').fill('Wschód');
  const map = byId(cp, 'count-map');
  // Every place of the map is drawn on it (the far one too).
  await cp.waitForFunction(() => document.querySelector('[data-testid=count-map]')?.dataset.markerCount === '5', null, { timeout: 30_000 });
  await map.scrollIntoViewIfNeeded();
  const box = await map.boundingBox();
  for (const [x, y] of [[0.35, 0.3], [0.65, 0.3], [0.65, 0.55]]) {
    await cp.mouse.click(box.x + box.width * x, box.y + box.height * y);
  }
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=count-sector-corners]')[1].value.split('\n').length === 3);
  // …then set exactly (the map's view depends on the screen): typed over the drawn corners.
  await sector.getByTestId('count-sector-corners').fill('50.80, 19.12\n50.80, 19.14\n50.83, 19.14\n50.83, 19.12');
  await sector.getByTestId('count-team').fill('Kuba, Ola');
  await sector.getByTestId('count-partner').selectOption('city_guard');
  // This edition asks one more question: the questionnaire is a file, downloaded, changed and
  // loaded again (a file that is not one changes nothing and says so).
  await byId(cp, 'count-questionnaire').locator('summary').click();
  const file = (text) => ({ name: 'kwestionariusz.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await byId(cp, 'count-questionnaire-file').setInputFiles(file('to nie jest JSON'));
  await byId(cp, 'error-questionnaire').waitFor();
  assert.match(await byId(cp, 'error-questionnaire').textContent(), /Nic nie zmieniono/);
  const [downloaded] = await Promise.all([cp.waitForEvent('download'), byId(cp, 'count-questionnaire-download').click()]);
  const questionnaire = JSON.parse(readFileSync(await downloaded.path(), 'utf8'));
  questionnaire.questions.push({ code: 'dog', kind: 'yes_no', pl: 'Czy ma psa?', en: 'Has a dog?', choices: [], observed: true });
  await byId(cp, 'count-questionnaire-file').setInputFiles(file(JSON.stringify(questionnaire)));
  await byId(cp, 'count-questionnaire').locator('li[data-question=dog]').waitFor();
  assert.equal(await byId(cp, 'error-questionnaire').count(), 0);
  await map.scrollIntoViewIfNeeded();
  await screenshot(cp, '40-count-sectors');
  await byId(cp, 'count-save').click();
  await byId(cp, 'count-progress').waitFor();
  const progress = () => cp.evaluate(() => [...document.querySelectorAll('[data-testid=count-progress-sector]')].map((r) => ({
    sector: r.dataset.sector, silent: r.dataset.silent,
    visited: r.querySelector('[data-testid=count-progress-visited]').textContent,
    people: r.querySelector('[data-testid=count-progress-people]').textContent })));
  assert.deepEqual(await progress(), [
    { sector: 'Zachód', silent: 'true', visited: '0/2', people: '0' },
    { sector: 'Wschód', silent: 'true', visited: '0/2', people: '0' },
  ]);
  // The place far outside is listed to draw again, never dropped.
  assert.match(await byId(cp, 'count-outside').textContent(), /1/);
  await syncNow(cp);

  // Each team on its own phone, standing in its sector.
  const a = await openPhone(server, ania, { geolocation: { latitude: 50.809, longitude: 19.104, accuracy: 10 } });
  const k = await openPhone(server, kuba, { geolocation: { latitude: 50.823, longitude: 19.134, accuracy: 10 } });
  for (const [p, n] of [[a.page, 0], [k.page, 1]]) {
    await syncNow(p);
    await navTo(p, 'nav-count');
    await byId(p, 'count-item').click();
    await byId(p, 'count-sector-link').nth(n).click();
    await byId(p, 'count-places').waitFor();
    await p.context().setOffline(true);
  }
  const ap = a.page;
  const kp = k.page;

  // Team West: walked from where they stand, the nearer place first.
  await ap.waitForFunction(() => document.querySelector('[data-testid=count-places]').dataset.fromHere === 'true');
  assert.deepEqual(await byId(ap, 'count-place').locator('h3').allTextContents(), ['Altanka Zachód', 'Pustostan Zachód']);
  // Used with gloves at night on a small phone: every control 48 px, nothing sideways.
  await ap.setViewportSize({ width: 320, height: 640 });
  const fits = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.deepEqual(await smallControls(ap), [], 'controls under 48 px on the sector');
  assert.ok(await fits(ap), 'the sector fits 320 px');
  const altanka = placeNamed(ap, 'Altanka Zachód');
  await person(ap, altanka, { sex: 'Kobieta', age_group: '26–40 lat', place: 'Pustostan', reasons: ['Eksmisja, wymeldowanie', 'Zadłużenie'], already_counted: 'Nie' });
  // The second person declines: counted by observation, only what can be seen is asked.
  await altanka.getByTestId('count-person').click();
  await byId(ap, 'count-person-observed').check();
  assert.equal(await byId(ap, 'count-answer-reasons').count(), 0, 'no reasons asked of an observed person');
  await byId(ap, 'count-answer-sex').getByText('Mężczyzna', { exact: true }).click();
  // The question this edition added is asked (it can be seen: marked for observation too).
  await byId(ap, 'count-answer-dog').getByText('Tak', { exact: true }).click();
  await byId(ap, 'count-answer-age_group').getByText('41–60 lat', { exact: true }).click();
  assert.deepEqual(await smallControls(ap), [], 'controls under 48 px in the questionnaire');
  assert.ok(await fits(ap), 'the questionnaire fits 320 px');
  await screenshot(ap, '41-count-person');
  assert.deepEqual(await coveredAtEnd(ap), [], 'nothing fixed covers the questionnaire');
  await byId(ap, 'count-person-save').click();
  await byId(ap, 'count-person-form').waitFor({ state: 'detached' });
  // The list is read again after each save: the two people show at the place, visited.
  await altanka.locator('[data-testid=count-place-people]', { hasText: /^2$/ }).waitFor();
  assert.equal(await altanka.getAttribute('data-visited'), 'true');
  await placeNamed(ap, 'Pustostan Zachód').getByTestId('count-visit-empty').click();
  await ap.waitForFunction(() => document.querySelectorAll('[data-testid=count-place][data-visited=true]').length === 2);
  // A place not on the map, added where the team stands; back to the sector, it is listed.
  await byId(ap, 'count-add-place').click();
  await byId(ap, 'site-label').fill('Szałas przy torach');
  await byId(ap, 'site-save').click();
  await placeNamed(ap, 'Szałas przy torach').waitFor();
  // Someone already counted tonight (by the other team, at the shelter): never counted twice.
  await person(ap, placeNamed(ap, 'Szałas przy torach'), { sex: 'Kobieta', age_group: '66 lat i więcej', already_counted: 'Tak' });
  const szalas = placeNamed(ap, 'Szałas przy torach');
  await ap.waitForFunction(() => [...document.querySelectorAll('[data-testid=count-place][data-visited=true]')].length === 3);
  assert.equal(await szalas.getByTestId('count-place-people').textContent(), '0', 'the double count is not counted here');

  // Team East.
  await person(kp, placeNamed(kp, 'Piwnica Wschód'), { sex: 'Mężczyzna', age_group: '18–25 lat', place: 'Piwnica', reasons: 'Uzależnienie', already_counted: 'Nie' });
  await placeNamed(kp, 'Wiadukt Wschód').getByTestId('count-visit-closed').click();
  await kp.waitForFunction(() => document.querySelectorAll('[data-testid=count-place][data-visited=true]').length === 2);

  // Part-way: only team West is back online; the coordinator sees East silent.
  await ap.context().setOffline(false);
  await syncNow(ap);
  await syncNow(cp);
  await cp.waitForFunction(() => document.querySelector('[data-testid=count-progress-sector][data-sector="Zachód"]')?.dataset.silent === 'false');
  assert.deepEqual(await progress(), [
    { sector: 'Zachód', silent: 'false', visited: '3/3', people: '2' },
    { sector: 'Wschód', silent: 'true', visited: '0/2', people: '0' },
  ]);
  await kp.context().setOffline(false);
  await syncNow(kp);
  await syncNow(cp);
  await cp.waitForFunction(() => document.querySelector('[data-testid=count-progress-sector][data-sector="Wschód"]')?.dataset.silent === 'false');
  assert.deepEqual(await progress(), [
    { sector: 'Zachód', silent: 'false', visited: '3/3', people: '2' },
    { sector: 'Wschód', silent: 'false', visited: '2/2', people: '1' },
  ]);
  assert.equal(await byId(cp, 'count-progress-people-total').textContent(), '3');

  // The gmina's table: 3 people (2 interviewed, 1 observed), the double count left out.
  const cell = (id) => byId(cp, id).textContent();
  assert.deepEqual([await cell('count-table-people'), await cell('count-table-interviewed'), await cell('count-table-observed'), await cell('count-table-double')],
    ['3', '2', '1', '1']);
  const reasons = await cp.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-question=reasons] tr[data-answer]')]
    .map((r) => [r.dataset.answer, [r.querySelector('.count').textContent, r.querySelector('.share').textContent]])));
  assert.deepEqual([reasons.eviction, reasons.debt, reasons.addiction], [['1', '50,0 %'], ['1', '50,0 %'], ['1', '50,0 %']]);
  // The server sums the same table from what the phones sent.
  const countId = new URL(cp.url()).pathname.split('/')[2];
  const onServer = await api(server, `/api/v1/counts/${countId}/table`, await apiLogin(server, koord));
  assert.deepEqual([onServer.table.people, onServer.table.interviewed, onServer.table.observed, onServer.table.double_counts], [3, 2, 1, 1]);
  const serverReasons = onServer.table.questions.find((q) => q.code === 'reasons').lines.filter((l) => l.count > 0).map((l) => [l.code, l.count]);
  assert.deepEqual(serverReasons, [['eviction', 1], ['addiction', 1], ['debt', 1]]);
  await cp.setViewportSize({ width: 320, height: 640 });
  assert.ok(await cp.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the live view and table fit 320 px');
  // A table wider than the phone (the age table: five columns of whole words) scrolls sideways
  // with a shade at its edge saying so, and can be scrolled by keyboard (focusable, named).
  const scrollers = await cp.evaluate(() => [...document.querySelectorAll('.table-scroll')].map((t) => ({
    wider: t.scrollWidth > t.clientWidth, shaded: getComputedStyle(t).backgroundImage.includes('gradient'),
    focusable: t.tabIndex === 0, named: !!t.getAttribute('aria-label') })));
  assert.equal(scrollers.length, 2);
  assert.ok(scrollers[1].wider, 'the age table is wider than 320 px');
  assert.ok(scrollers.every((t) => t.shaded && t.focusable && t.named), JSON.stringify(scrollers));
  await screenshot(cp, '42-count-progress');
  await byId(cp, 'count-table-age').scrollIntoViewIfNeeded();
  await screenshot(cp, '43-count-table');
  const [csv] = await Promise.all([cp.waitForEvent('download'), byId(cp, 'count-csv').click()]);
  assert.equal(csv.suggestedFilename(), 'badanie_badanie-2026-częstochowa.csv');
  const text = readFileSync(await csv.path(), 'utf8');
  for (const line of ['Osoby policzone,3', 'W tym ankietowane,2', 'W tym z obserwacji,1', 'Policzone drugi raz (pominięte),1',
    'Grupa wieku,Kobieta,Mężczyzna,Nieustalone,Razem', '26–40 lat,1,0,0,1', '41–60 lat,0,1,0,1', '18–25 lat,0,1,0,1',
    'Przyczyny bezdomności,Odpowiedzi,2', 'Uzależnienie,1,50.0']) {
    assert.ok(text.includes(`${line}\r\n`), `${line} in\n${text}`);
  }

  // The history: Częstochowa's 2019 count entered by hand beside this one.
  await navTo(cp, 'nav-count');
  await byId(cp, 'count-history-year').fill('2019');
  await byId(cp, 'count-history-total').fill('351');
  await byId(cp, 'count-history-add').click();
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=count-history-row]').length === 2);
  const history = await cp.evaluate(() => [...document.querySelectorAll('[data-testid=count-history-row]')].map((r) => [r.dataset.year, r.querySelector('.count').textContent]));
  const year = String(new Date().getFullYear());
  assert.deepEqual(history, [['2019', '351'], [year, '3']]);
  await byId(cp, 'count-history').scrollIntoViewIfNeeded();
  await screenshot(cp, '44-count-history');

  for (const p of [c, a, k]) {
    assert.deepEqual(p.watch.problems, []);
    await p.context.close();
  }
});
