// Indicators and the yearly report (issue 6): the Sopot 2021 fixture pushed through the sync
// API; the coordinator's report page shows exactly the report's numbers, the same as the
// server's /api/v1/indicators, online and offline; the chart, both CSV flavours, errors at the
// field; only coordinators see the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startServer, byId, screenshot, phone as openPhone, syncNow, api, apiLogin, ROOT, reload, unlock } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 240_000 };

/** The fixture's mutations, from the core crate (one source for every test layer). */
function fixture(client) {
  const out = execFileSync('cargo', ['run', '-q', '-p', 'latarnia-core', '--example', 'sopot_fixture', '--', client],
    { cwd: ROOT, maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

/** The table as shown: indicator id → the raw number. */
async function table(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid=indicators-table] [data-indicator]')]
    .map((r) => [r.dataset.indicator, r.querySelector('[data-value]').dataset.value])));
}

async function pick(page, from, to) {
  await byId(page, 'indicators-from').fill(from);
  await byId(page, 'indicators-to').fill(to);
  await page.waitForFunction(([f, t]) => {
    const c = document.querySelector('[data-testid=indicators-table] caption');
    return c && c.textContent.startsWith(`${f.split('-').reverse().join('.')} – ${t.split('-').reverse().join('.')}`);
  }, [from, to]);
}

const SOPOT = { patrols: '150', patrol_hours: '450.0', contacts: '977', with_women: '97', with_children: '21', premedical_help: '394', given_mask: '111' };

test('the Sopot summer of 2021 gives the report\'s numbers on the server and offline on the phone', T, async () => {
  const koordynatorka = await server.addUser('koord-ind', 'coordinator');
  const ania = await server.addUser('ania-ind');
  // 2021 is long before a coordinator's default window (400 days): this organisation lets its
  // coordinators' phones keep the whole history, so the report is computed on the phone.
  await server.cli('org', 'window', '--org', 'Latarnia', '--role', 'coordinator', '--days', '0');
  const token = await apiLogin(server, koordynatorka);
  const client = crypto.randomUUID();
  const mutations = fixture(client);
  for (let i = 0; i < mutations.length; i += 500) {
    const r = await api(server, '/api/v1/sync/push', token, { client_id: client, schema_version: 1, mutations: mutations.slice(i, i + 500) });
    assert.ok(r.results.every((m) => m.status === 'applied'), JSON.stringify(r.results.find((m) => m.status !== 'applied')));
  }
  const fromServer = (await api(server, '/api/v1/indicators?from=2021-06-01&to=2021-08-31', token)).indicators;

  const { context, page, watch } = await openPhone(server, koordynatorka);
  await syncNow(page);
  await byId(page, 'nav-reports-page').click();
  // The page opens on this month.
  const firstOfMonth = await page.evaluate(() => new Date().toLocaleDateString('sv-SE').slice(0, 8) + '01');
  assert.equal(await byId(page, 'indicators-from').inputValue(), firstOfMonth);
  await pick(page, '2021-06-01', '2021-08-31');
  const shown = await table(page);
  for (const [id, value] of Object.entries(SOPOT)) assert.equal(shown[id], value, id);
  // Every number the server gives is the number the phone shows.
  const same = {
    patrols: fromServer.patrols, contacts: fromServer.contacts, people_met: fromServer.people_met,
    distinct_persons: fromServer.distinct_persons, with_women: fromServer.contacts_with_women,
    with_children: fromServer.contacts_with_children, help_refused: fromServer.help_refused,
    premedical_help: fromServer.premedical_help, given_mask: fromServer.given.mask, given_hot_drink: fromServer.given.hot_drink,
    taken_to_shelter: fromServer.taken_to_shelter, ambulances_called: fromServer.ambulances_called,
    places_active: fromServer.places_active, places_new: fromServer.places_new, places_closed: fromServer.places_closed,
    reports_received: fromServer.reports_received, reports_closed: fromServer.reports_closed,
    meal_runs: fromServer.meal_runs, stops_visited: fromServer.stops_visited, meals_delivered: fromServer.meals_delivered,
    hot_drinks_delivered: fromServer.hot_drinks_delivered, patrols_streetworking: fromServer.patrols_by_kind.streetworking,
  };
  for (const [id, n] of Object.entries(same)) assert.equal(shown[id], String(n), `${id}: phone ${shown[id]}, server ${n}`);
  assert.equal(Number(shown.patrol_hours) * 60, fromServer.patrol_minutes);
  assert.equal(Number(shown.report_check_median) * 60, fromServer.report_check_median_minutes);
  // The chart: a month a group, its numbers the server's.
  const months = await page.evaluate(() => [...document.querySelectorAll('[data-testid=indicators-chart] [data-month]')]
    .map((g) => [g.dataset.month, [...g.querySelectorAll('.bar-value')].map((t) => Number(t.textContent))]));
  assert.deepEqual(months, fromServer.by_month.map((m) => [m.month, [m.contacts, m.patrols]]));
  await page.evaluate(() => document.querySelector('[data-testid=indicators-table]').scrollIntoView());
  await screenshot(page, '24-indicators');
  // Printed: the table, the chart and the definitions; no navigation, period form or buttons.
  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => Object.fromEntries(['indicators-table', 'indicators-chart', 'nav-patrol', 'indicators-from', 'indicators-csv', 'sync-status']
    .map((id) => [id, document.querySelector(`[data-testid=${id}]`).getBoundingClientRect().height > 0])));
  assert.deepEqual(printed, { 'indicators-table': true, 'indicators-chart': true, 'nav-patrol': false, 'indicators-from': false, 'indicators-csv': false, 'sync-status': false });
  if (process.env.LATARNIA_SCREENSHOTS) await page.pdf({ path: '/tmp/latarnia-indicators.pdf', format: 'A4' });
  await page.emulateMedia({ media: 'screen' });

  // CSV: standard (comma, UTF-8) and for Polish Excel (semicolon, BOM, decimal comma).
  const [csv] = await Promise.all([page.waitForEvent('download'), byId(page, 'indicators-csv').click()]);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.ok(!text.startsWith('\ufeff'));
  assert.match(text, /\r\nLiczba patroli,150\r\n/);
  assert.match(text, /\r\nLiczba godzin patroli,450\.0\r\n/);
  assert.match(text, /\r\nLiczba nawiązanych kontaktów,977\r\n/);
  const [excel] = await Promise.all([page.waitForEvent('download'), byId(page, 'indicators-csv-excel').click()]);
  assert.match(excel.suggestedFilename(), /^wskazniki_2021-06-01_2021-08-31_excel\.csv$/);
  const bytes = readFileSync(await excel.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.match(bytes.toString('utf8'), /\r\nLiczba godzin patroli;450,0\r\n/);

  // Offline, after a reload: the same table from the phone's own data.
  await context.setOffline(true);
  await reload(page);
  await byId(page, 'nav-reports-page').click();
  await pick(page, '2021-06-01', '2021-08-31');
  assert.deepEqual(await table(page), shown);

  // One team member; an empty period; bad input gets a clear error at the field.
  await byId(page, 'indicators-member').selectOption('Ania');
  await page.waitForFunction(() => document.querySelector('[data-testid=indicators-table] caption')?.textContent.endsWith('Ania'));
  assert.equal((await table(page)).patrols, '50');
  // One member's CSV says whose it is, in its name and its first line.
  const [mine] = await Promise.all([page.waitForEvent('download'), byId(page, 'indicators-csv').click()]);
  assert.equal(mine.suggestedFilename(), 'wskazniki_ania_2021-06-01_2021-08-31.csv');
  assert.match(readFileSync(await mine.path(), 'utf8').split('\r\n')[0], /2021-06-01 – 2021-08-31 · Ania/);
  await byId(page, 'indicators-member').selectOption('');
  await pick(page, '2022-01-01', '2022-03-31');
  await byId(page, 'indicators-empty').waitFor();
  assert.equal((await table(page)).contacts, '0');
  await byId(page, 'indicators-to').fill('2021-12-31');
  await byId(page, 'error-to').waitFor();
  assert.match(await byId(page, 'error-to').textContent(), /Koniec okresu nie może być przed jego początkiem/);
  await page.waitForFunction(() => !document.querySelector('[data-testid=indicators-table]'));

  // Back to the default window: at its next sync the phone lets 2021 go, and a period that
  // begins before what it keeps is computed by the server — the same table; offline, a sentence
  // says why there is none.
  await server.cli('org', 'window', '--org', 'Latarnia', '--role', 'coordinator', '--days', '400');
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await syncNow(page);
  await pick(page, '2021-06-01', '2021-08-31');
  await byId(page, 'indicators-on-server').waitFor();
  assert.deepEqual(await table(page), shown);
  await context.setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await byId(page, 'indicators-to').fill('2021-07-31');
  await byId(page, 'indicators-server-error').waitFor();
  assert.match(await byId(page, 'indicators-server-error').textContent(), /Połącz się z internetem/);
  watch.assertClean();
  await context.close();

  // A streetworker has no report page.
  const sw = await openPhone(server, ania);
  await byId(sw.page, 'nav-patrol').waitFor();
  assert.equal(await byId(sw.page, 'nav-reports-page').count(), 0);
  await sw.page.goto(`${server.url}/indicators`);
  await unlock(sw.page);
  await byId(sw.page, 'indicators-forbidden').waitFor();
  assert.equal(await byId(sw.page, 'indicators-table').count(), 0);
  sw.watch.assertClean();
  await sw.context.close();
});
