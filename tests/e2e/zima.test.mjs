// Akcja ZIMA (issue 5): the coordinator sets the night's forecast below the threshold and the
// banner appears on a streetworker's phone after sync; the coordinator plans a run of 5 stops
// (proposed from the places where people were found last time); the streetworker goes offline,
// completes 4 stops and skips 1, comes online; the coordinator sees the run complete with the
// summary's numbers, and the places' histories show the visits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, syncNow, api, apiLogin, visibleCounterNames, navTo, coveredAtEnd } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 300_000 };
const phone = (user) => openPhone(server, user);

// Five places in Częstochowa where last week's patrol met people, pushed as another phone would.
async function seedPlaces(user) {
  const token = await apiLogin(server, user);
  const client = crypto.randomUUID();
  const hlc = (n) => `${String(Date.now()).padStart(13, '0')}-${n.toString(16).padStart(4, '0')}-${client}`;
  const mutations = [];
  const week = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const spots = [[50.8118, 19.1203], [50.8030, 19.1370], [50.8205, 19.1012], [50.7950, 19.1180], [50.8150, 19.1500]];
  spots.forEach(([lat, lon], n) => {
    const site = crypto.randomUUID();
    mutations.push({ mid: mutations.length + 1, collection: 'sites', id: site, op: 'upsert', hlc: hlc(mutations.length), fields: {
      label: `Altanka ${n + 1}`, kind: 'allotment_shed', status: 'active', position: { lat, lon, accuracy_m: 8 }, address: '',
      access_notes: '', dangers: '', usual_headcount: 2, created_at: week, merged_into: null } });
    mutations.push({ mid: mutations.length + 1, collection: 'contacts', id: crypto.randomUUID(), op: 'upsert', hlc: hlc(mutations.length), fields: {
      patrol_id: null, site_id: site, at: week, headcount: 2, gender: null, age_band: null, pseudonym: '', sleeping_rough: true,
      condition: 'ok', given: {}, referrals: [], help_refused: false, follow_up: false, notes: '', position: null, position_status: 'unavailable' } });
  });
  await api(server, '/api/v1/sync/push', token, { client_id: client, schema_version: 1, mutations });
}

test('a ZIMA night: banner, a planned run of 5 stops, 4 done and 1 skipped offline, the summary and the places\' histories', T, async () => {
  const koord = await server.addUser('koord-zima', 'coordinator');
  const kuba = await server.addUser('kuba-zima');
  await seedPlaces(koord);
  const c = await phone(koord);
  const s = await phone(kuba);
  const cp = c.page;
  const sp = s.page;

  // The coordinator: tonight −14 °C, the threshold −10 °C.
  await navTo(cp, 'nav-zima');
  await byId(cp, 'zima-forecast').fill('x');
  await byId(cp, 'zima-forecast-save').click();
  await byId(cp, 'error-min_c').waitFor();
  await byId(cp, 'zima-forecast').fill('-14');
  await byId(cp, 'zima-forecast-save').click();
  await byId(cp, 'zima-banner').waitFor();
  assert.match(await byId(cp, 'zima-banner').textContent(), /−14 °C/);
  await syncNow(cp);

  // The streetworker's phone shows the banner after its sync.
  assert.equal(await byId(sp, 'zima-banner').count(), 0);
  await syncNow(sp);
  await byId(sp, 'zima-banner').waitFor();

  // The coordinator plans a run: the five places are proposed; the route is planned.
  await syncNow(cp);
  await byId(cp, 'run-new').click();
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=run-candidate]').length === 5, null, { timeout: 30_000 });
  await byId(cp, 'run-vehicle').fill('Bus MOPS');
  await byId(cp, 'run-team').fill('Kuba, Ola');
  await byId(cp, 'run-depot').fill('Ogrzewalnia, ul. Krakowska');
  await byId(cp, 'run-depot-lat').fill('50.8080');
  await byId(cp, 'run-depot-lon').fill('19.1250');
  // The team's own item on the load checklist.
  await byId(cp, 'run-load-item').fill('Rękawiczki');
  await byId(cp, 'run-load-add').click();
  await byId(cp, 'run-load-Rękawiczki').waitFor();
  // The load list's counters, the team's own item too, each with its name on screen.
  const loadNames = await visibleCounterNames(cp);
  assert.ok(loadNames.includes('Rękawiczki'), `${loadNames}`);
  await byId(cp, 'run-plan').click();
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=run-stop-list] [data-testid=run-stop]').length === 5);
  const metres = Number(await byId(cp, 'run-distance').getAttribute('data-metres'));
  assert.ok(metres > 5000 && metres < 20000, `a round trip of ${metres} m`);
  // Reordered by hand: the second stop goes first; the length follows (2-opt left none shorter).
  const order = () => cp.evaluate(() => [...document.querySelectorAll('[data-testid=run-stop-list] [data-testid=run-stop] span')].map((e) => e.textContent.replace(/^\d+\. /, '')));
  const planned = await order();
  await byId(cp, 'run-stop-up').nth(1).click();
  await cp.waitForFunction((first) => document.querySelector('[data-testid=run-stop-list] [data-testid=run-stop] span').textContent.endsWith(first), planned[1]);
  assert.deepEqual(await order(), [planned[1], planned[0], ...planned.slice(2)]);
  assert.ok(Number(await byId(cp, 'run-distance').getAttribute('data-metres')) >= metres, 'no shorter than the planned route');
  // The bottom bar and a toast (here "Zapisane." when it is still up) cover nothing: the page
  // ends with room for both.
  assert.deepEqual(await coveredAtEnd(cp), [], 'nothing fixed covers the run plan');
  await screenshot(cp, '21-run-plan');
  await byId(cp, 'run-save').click();
  await byId(cp, 'run-summary').waitFor();
  assert.match(await byId(cp, 'run-load').textContent(), /Rękawiczki 1/);
  // A second vehicle the same night: the five places are on the first run, so none is chosen.
  await navTo(cp, 'nav-zima');
  await byId(cp, 'run-new').click();
  await cp.waitForFunction(() => document.querySelectorAll('[data-testid=run-candidate]').length === 5, null, { timeout: 30_000 });
  assert.deepEqual(await cp.evaluate(() => [...document.querySelectorAll('[data-testid=run-candidate]')]
    .map((c) => [c.checked, c.dataset.otherRun])), Array(5).fill([false, 'true']));
  // Nothing ticked: "plan" says what to do, instead of a route of no stops.
  await byId(cp, 'run-depot-lat').fill('50.8080');
  await byId(cp, 'run-depot-lon').fill('19.1250');
  await byId(cp, 'run-plan').click();
  assert.equal(await byId(cp, 'error-stops').textContent(), 'Zaznacz co najmniej jeden przystanek: trasa prowadzi przez miejsca zaznaczone wyżej.');
  assert.equal(await byId(cp, 'run-save').count(), 0, 'nothing to save');
  await syncNow(cp);

  // The streetworker, offline, works through it: 4 stops done, 1 skipped.
  await syncNow(sp);
  await navTo(sp, 'nav-zima');
  await byId(sp, 'run-item').waitFor({ timeout: 30_000 });
  await byId(sp, 'run-item').locator('a').click();
  await byId(sp, 'run-stop-list').waitFor();
  await s.context.setOffline(true);
  for (let n = 0; n < 5; n++) {
    await sp.locator('[data-testid=run-stop][data-status=planned] a').first().click();
    await byId(sp, 'run-stop-done').waitFor();
    assert.match(await byId(sp, 'run-stop-maps').getAttribute('href'), /openstreetmap\.org\/\?mlat=50\.\d+&mlon=19\.\d+/);
    if (n === 4) {
      await byId(sp, 'run-stop-skip').click();
      await byId(sp, 'error-skip_reason').waitFor();
      await byId(sp, 'run-stop-skip-reason').fill('Brama ROD zamknięta');
      await byId(sp, 'run-stop-skip').click();
    } else {
      await byId(sp, 'stop-people-plus').click(); // 1 person
      await byId(sp, 'stop-given-hot_meal-plus').click();
      await byId(sp, 'stop-given-hot_drink-plus').click();
      if (n === 0) {
        await byId(sp, 'stop-people-plus').click(); // 2 people
        await byId(sp, 'stop-given-hot_meal-plus').click();
        await byId(sp, 'stop-given-blanket-plus').click();
        await byId(sp, 'stop-condition').selectOption('hypothermia_risk');
      }
      if (n === 1) {
        // "Co zastaliśmy": five counters, each named on screen.
        assert.deepEqual((await visibleCounterNames(sp)).length, 5);
        await sp.getByText('Koc', { exact: true }).waitFor();
        await screenshot(sp, '22-run-stop');
      }
      await byId(sp, 'run-stop-done').click();
    }
    await byId(sp, 'run-summary').waitFor();
  }
  const summaryOf = (page) => page.evaluate(() => {
    const d = document.querySelector('[data-testid=run-summary]').dataset;
    return { complete: d.complete, visited: d.visited, skipped: d.skipped, people: d.people,
      meals: document.querySelector('[data-testid=run-given-hot_meal]')?.textContent };
  });
  const expected = { complete: 'true', visited: '4', skipped: '1', people: '5', meals: '5' };
  await sp.waitForFunction(() => document.querySelector('[data-testid=run-summary]').dataset.complete === 'true');
  assert.deepEqual(await summaryOf(sp), expected);
  assert.match(await byId(sp, 'run-load').textContent(), /25/, '30 meals loaded, 5 given');
  await screenshot(sp, '23-run-summary');
  await s.context.setOffline(false);
  await syncNow(sp);

  // The coordinator sees it complete, with the same numbers.
  await syncNow(cp);
  await navTo(cp, 'nav-zima');
  await cp.waitForFunction(() => document.querySelector('[data-testid=run-item]')?.dataset.complete === 'true', null, { timeout: 30_000 });
  // One progress, the same words on the list and on the run's page.
  const listed = await byId(cp, 'run-progress').textContent();
  assert.equal(listed, '5 / 5 przystanków, pominięte: 1');
  await byId(cp, 'run-item').locator('a').click();
  await byId(cp, 'run-summary').waitFor();
  assert.deepEqual(await summaryOf(cp), expected);
  assert.equal(await byId(cp, 'run-summary').getByTestId('run-progress').textContent(), listed);
  // A finished stop opens with what was recorded; a skipped one with its reason.
  await cp.locator('[data-testid=run-stop][data-status=done] a').first().click();
  await byId(cp, 'run-stop-result').waitFor();
  assert.match(await byId(cp, 'run-stop-result').textContent(), /Odwiedzony/);
  assert.ok(Number(await byId(cp, 'stop-people').inputValue()) > 0, 'the people found are shown');
  await cp.goBack();
  await cp.locator('[data-testid=run-stop][data-status=skipped] a').first().click();
  await byId(cp, 'run-stop-result').waitFor();
  assert.match(await byId(cp, 'run-stop-result').textContent(), /Brama ROD zamknięta/);
  assert.equal(await byId(cp, 'run-stop-skip-reason').inputValue(), 'Brama ROD zamknięta');

  // The places' histories: last week's contact and tonight's stop.
  await navTo(cp, 'nav-sites');
  await byId(cp, 'site-list').waitFor();
  let withTwo = 0;
  for (let n = 1; n <= 5; n++) {
    await cp.getByText(`Altanka ${n}`, { exact: true }).click();
    await byId(cp, 'site-visits').waitFor();
    if (await byId(cp, 'site-visit').count() === 2) withTwo += 1;
    await navTo(cp, 'nav-sites');
    await byId(cp, 'site-list').waitFor();
  }
  assert.equal(withTwo, 4, 'four places were visited tonight (one was skipped)');

  // Planned by mistake: the coordinator deletes the run; it no longer counts anywhere, and
  // comes back with its stops when restored.
  // The run's night (a night is dated by its evening: before 06:00 it is still last night's run).
  await navTo(cp, 'nav-zima');
  const night = (await byId(cp, 'run-item').textContent()).match(/\d{4}-\d{2}-\d{2}/)[0];
  const mealRuns = async () => {
    await byId(cp, 'nav-reports-page').click();
    await byId(cp, 'indicators-from').fill(night);
    await byId(cp, 'indicators-to').fill(night);
    const shown = night.split('-').reverse().join('.');
    await cp.waitForFunction((d) => document.querySelector('[data-testid=indicators-table] caption')?.textContent.startsWith(`${d} – ${d}`), shown);
    return cp.evaluate(() => document.querySelector('[data-indicator=meal_runs] td').dataset.value);
  };
  assert.equal(await mealRuns(), '1');
  await navTo(cp, 'nav-zima');
  await byId(cp, 'run-item').locator('a').click();
  await byId(cp, 'run-delete').click();
  await byId(cp, 'run-deleted-list').waitFor();
  assert.equal(await byId(cp, 'run-item').count(), 0);
  assert.equal(await mealRuns(), '0', 'a deleted run never counts');
  await navTo(cp, 'nav-zima');
  await byId(cp, 'run-deleted-list').locator('summary').click();
  await byId(cp, 'run-restore').click();
  await byId(cp, 'run-item').waitFor();
  assert.equal(await byId(cp, 'run-progress').textContent(), '5 / 5 przystanków, pominięte: 1');
  assert.equal(await mealRuns(), '1');

  for (const p of [c, s]) {
    assert.deepEqual(p.watch.problems, []);
    await p.context.close();
  }
});
