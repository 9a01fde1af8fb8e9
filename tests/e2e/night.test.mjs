// What a night shift ran into (issue 14), each flow as a streetworker does it in Chromium: a
// half-typed contact that survives a wrong tap, the settings and a reload; counters whose names
// can be read on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, phone, visibleCounterNames, smallControls, pinned, focusedIsVisible, screenshot, reload, navTo, chooseLanguage,
} from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 180_000 };

test('a half-typed contact survives the bottom bar, the settings and a reload until it is saved or discarded', T, async () => {
  const ola = await server.addUser('ola');
  const { context, page, watch } = await phone(server, ola);
  await byId(page, 'patrol-kind-night_patrol').check({ force: true });
  await byId(page, 'patrol-team').fill('Ola, Piotr');
  await byId(page, 'patrol-start').click();

  // Half a contact typed …
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-headcount').fill('2');
  await byId(page, 'contact-given-blanket-plus').click();
  await byId(page, 'contact-notes').fill('Pan Marek, kaszel od tygodnia');
  // … every counter named on screen, as on the stop and load screens.
  const names = await visibleCounterNames(page);
  assert.ok(names.includes('Liczba osób') && names.includes('Koc'), `${names}`);

  // … then a tap on the bottom bar by mistake, and back.
  await navTo(page, 'nav-map');
  await navTo(page, 'nav-patrol');
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-draft').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'Pan Marek, kaszel od tygodnia');
  assert.equal(await byId(page, 'contact-headcount').inputValue(), '2');
  assert.equal(await byId(page, 'contact-given-blanket').inputValue(), '1');

  // The settings, to switch the language, and Back.
  await byId(page, 'nav-settings').click();
  await chooseLanguage(page, 'en');
  await page.goBack();
  await byId(page, 'contact-draft').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'Pan Marek, kaszel od tygodnia');
  assert.match(await byId(page, 'contact-draft').textContent(), /Unsaved draft/);

  // A reload (a dead battery, a swipe) keeps it too.
  await byId(page, 'contact-notes').fill('Pan Marek, kaszel od tygodnia, śpi na klatce');
  await page.waitForTimeout(500); // the phone's own write; a person takes longer than this
  await reload(page);
  await byId(page, 'contact-draft').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'Pan Marek, kaszel od tygodnia, śpi na klatce');

  // Saved: the draft is gone, the next contact starts empty.
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-list').getByTestId('contact-item').first().waitFor();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-notes').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), '');
  assert.equal(await byId(page, 'contact-draft').count(), 0);

  // Discarded on purpose: the form is empty again, and stays so after a reload.
  await byId(page, 'contact-notes').fill('pomyłka');
  await byId(page, 'contact-draft-discard').click();
  assert.equal(await byId(page, 'contact-notes').inputValue(), '');
  await page.waitForTimeout(500);
  await reload(page);
  await byId(page, 'contact-notes').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), '');
  assert.equal(await byId(page, 'contact-draft').count(), 0);

  // An edit keeps its own draft, apart from a new contact's.
  await navTo(page, 'nav-contacts');
  await byId(page, 'contact-list').getByTestId('contact-item').first().locator('a').first().click();
  await byId(page, 'contact-notes').fill('poprawka w toku');
  await navTo(page, 'nav-patrol');
  await page.goBack();
  await byId(page, 'contact-draft').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'poprawka w toku');
  watch.assertClean();
  await context.close();
});

test('Akcja ZIMA fields say what is wrong and show what is saved', T, async () => {
  const szefowa = await server.addUser('szefowa-zima', 'coordinator');
  const { context, page, watch } = await phone(server, szefowa);
  await navTo(page, 'nav-zima');
  const error = () => page.locator('#err-min_c').textContent();
  await byId(page, 'zima-forecast-save').click();
  assert.match(await error(), /Wpisz temperaturę/, 'an empty forecast');
  await byId(page, 'zima-forecast').fill('zimno');
  await byId(page, 'zima-forecast-save').click();
  assert.match(await error(), /To nie jest liczba/);
  await byId(page, 'zima-forecast').fill('-80');
  await byId(page, 'zima-forecast-save').click();
  assert.ok((await error()).length > 0, 'out of range is named');
  await byId(page, 'zima-forecast').fill('-14,5');
  await byId(page, 'zima-forecast-save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=zima-forecast-saved]').textContent.includes('−14,5 °C'));
  await byId(page, 'zima-banner').waitFor();
  assert.match(await byId(page, 'zima-banner').textContent(), /−14,5 °C/, 'tenths are kept and shown');
  // Reopened: the saved forecast is in the field.
  await reload(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=zima-forecast]')?.value === '-14,5');

  // A load of −5 is not quietly made 0: the counter says what is wrong and what is kept.
  await byId(page, 'run-new').click();
  await byId(page, 'run-load-hot_meal').fill('-5');
  await byId(page, 'run-load-hot_meal-error').waitFor();
  assert.match(await byId(page, 'run-load-hot_meal-error').textContent(), /„-5” — wpisz liczbę od 0 do 9999\. Zapisane zostanie: \d+/);
  await byId(page, 'run-load-hot_meal').fill('12');
  assert.equal(await byId(page, 'run-load-hot_meal-error').count(), 0);
  watch.assertClean();
  await context.close();
});

test('at 320×640 only the bottom bar stays put, an error field is never covered, and every control is 48 px', T, async () => {
  const kasia = await server.addUser('kasia-320', 'coordinator');
  const small = { viewport: { width: 320, height: 640 } };
  const { context, page, watch } = await phone(server, kasia, small);
  // An Akcja ZIMA night, so the banner is on screen too.
  await navTo(page, 'nav-zima');
  await byId(page, 'zima-forecast').fill('-15');
  await byId(page, 'zima-forecast-save').click();
  await byId(page, 'zima-banner').waitFor();
  const controlsOn = async (where) => assert.deepEqual(await smallControls(page), [], `controls under 48 px on ${where}`);
  await controlsOn('Akcja ZIMA');

  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-kind-night_patrol').check({ force: true });
  await byId(page, 'patrol-partner').selectOption('city_guard');
  await controlsOn('the patrol start');
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').waitFor();
  await controlsOn('the patrol');
  assert.deepEqual((await pinned(page)).map((p) => p.what), ['bottom-nav'], 'only the bottom bar is fixed');

  await byId(page, 'contact-new').click();
  await byId(page, 'contact-notes').waitFor();
  await controlsOn('the contact form');
  // A note too long: saving takes the worker to the field, clear of every bar.
  await byId(page, 'contact-notes').fill('x'.repeat(2001));
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await byId(page, 'contact-save').click();
  await byId(page, 'error-notes').waitFor();
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'contact-notes');
  assert.equal(await focusedIsVisible(page), 'visible');
  await screenshot(page, '26-error-at-320');

  await byId(page, 'nav-settings').click();
  await byId(page, 'lang-select').waitFor();
  await controlsOn('the settings');
  watch.assertClean();
  await context.close();
});
