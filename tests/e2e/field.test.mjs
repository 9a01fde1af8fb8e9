// The night-patrol story of issue 2, in Chromium at a phone's size: start a patrol, record one
// quick and two detailed contacts, lose the network, reload, record a fourth offline, close
// the browser, open it again offline, end the patrol and check the summary's numbers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openProfile, tempDir, watchPage, waitForServiceWorker, byId, screenshot, signIn, unlock, PIN, PHONE, navTo } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

async function items(page) {
  return byId(page, 'contact-list').getByTestId('contact-item');
}

async function expectCount(page, n) {
  const list = await items(page);
  await list.nth(n - 1).waitFor();
  assert.equal(await list.count(), n);
}

test('a patrol with contacts survives no network, reloads and a closed browser', { timeout: 180_000 }, async () => {
  const profile = tempDir('profile');
  let context = await openProfile(profile);
  let page = context.pages()[0] ?? (await context.newPage());
  let watch = watchPage(page);

  await page.goto(server.url);
  await waitForServiceWorker(page);
  await signIn(page, server);
  await byId(page, 'online-status').waitFor();
  assert.equal(await byId(page, 'online-status').getAttribute('data-online'), 'true');

  // Start a night patrol with the city guard.
  await byId(page, 'patrol-kind-night_patrol').check({ force: true });
  await byId(page, 'patrol-team').fill('Ania, Kuba');
  await byId(page, 'patrol-partner').selectOption('city_guard');
  await byId(page, 'patrol-area').fill('Dworzec Sopot');
  await screenshot(page, '1-start-patrol');
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').waitFor();
  // Where and with whom, as entered at the start, in the patrol's header.
  assert.equal(await byId(page, 'patrol-where').textContent(), 'Dworzec Sopot · Straż Miejska · Ania, Kuba');

  // 1: the quick contact, one tap.
  await byId(page, 'contact-quick').click();
  await expectCount(page, 1);
  await byId(page, 'toast-undo').waitFor();

  // 2: three people, one of them a woman, three hot drinks, the warming centre accepted.
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-headcount').fill('3');
  await byId(page, 'contact-gender-mixed').check({ force: true });
  for (let i = 0; i < 3; i++) await byId(page, 'contact-given-hot_drink-plus').click();
  await byId(page, 'referral-warming_centre').selectOption('accepted');
  const notes = '<b>herbata</b> <img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
  await byId(page, 'contact-notes').fill(notes);
  await screenshot(page, '3-contact-form');
  await byId(page, 'contact-save').click();
  await expectCount(page, 2);

  // 3: a child, a blanket and pre-medical help.
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-age-child').check({ force: true });
  await byId(page, 'contact-given-blanket-plus').click();
  await byId(page, 'contact-given-premedical_help-plus').click();
  await byId(page, 'contact-help-refused').check();
  await byId(page, 'contact-save').click();
  await expectCount(page, 3);

  // Notes with HTML are shown as text and never run.
  const shown = await byId(page, 'contact-list').getByTestId('contact-item-notes').allTextContents();
  assert.ok(shown.some((t) => t.includes('<b>herbata</b>')), `notes shown as text: ${shown}`);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await screenshot(page, '2-patrol');

  // No network: the status says so, and a reload still loads the app with all three.
  await context.setOffline(true);
  await page.waitForFunction(() => document.querySelector('[data-testid=online-status]')?.dataset.online === 'false');
  await page.reload();
  // Every start shows the lock screen first (issue 16), and nothing of the app behind it; a
  // wrong PIN is refused; the right one, typed on the big keypad as with gloves, opens it all.
  await byId(page, 'lock-pin').waitFor();
  assert.equal(await byId(page, 'contact-list').count(), 0, 'no record before the PIN');
  assert.equal(await byId(page, 'nav-patrol').count(), 0);
  await screenshot(page, '3-lock');
  await byId(page, 'lock-pin').fill('000001');
  await byId(page, 'lock-submit').click();
  await byId(page, 'lock-error').waitFor();
  assert.equal(await byId(page, 'lock-error').textContent(), 'Błędny PIN. Pozostało prób: 9.');
  for (const digit of PIN) await byId(page, `key-${digit}`).click();
  assert.equal(await byId(page, 'lock-pin').inputValue(), PIN);
  await byId(page, 'lock-submit').click();
  await expectCount(page, 3);
  // Debian's Chromium 148 emulates "offline" for the network but leaves a reloaded document's
  // navigator.onLine true (a real phone's is false): the browser's event tells the app instead.
  if (await page.evaluate(() => navigator.onLine)) await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  assert.equal(await byId(page, 'online-status').getAttribute('data-online'), 'false');
  await screenshot(page, '4-offline');

  // 4: recorded offline.
  await byId(page, 'contact-quick').click();
  await expectCount(page, 4);
  watch.assertClean();

  // The browser is closed; opened again on the same profile, still with no network.
  await context.close();
  context = await openProfile(profile, { offline: true });
  page = context.pages()[0] ?? (await context.newPage());
  watch = watchPage(page);
  await page.goto(server.url);
  await unlock(page);
  await expectCount(page, 4);

  await byId(page, 'patrol-end').click();
  await byId(page, 'patrol-summary').waitFor();
  const cell = async (id) => (await byId(page, id).textContent()).trim();
  assert.equal(await cell('summary-contacts'), '4');
  assert.match(await byId(page, 'patrol-summary-area').textContent(), /Dworzec Sopot/);
  assert.match(await byId(page, 'patrol-summary-partner').textContent(), /Straż Miejska/);
  assert.equal(await cell('summary-people'), '6');
  assert.equal(await cell('summary-women'), '1');
  assert.equal(await cell('summary-children'), '1');
  assert.equal(await cell('summary-refused'), '1');
  assert.equal(await cell('summary-item-hot_drink'), '3');
  assert.equal(await cell('summary-item-blanket'), '1');
  assert.equal(await cell('summary-item-premedical_help'), '1');
  assert.equal(await cell('summary-referral-warming_centre-accepted'), '1');
  assert.match(await cell('summary-duration'), /^0 h 0\d min$/);
  await screenshot(page, '5-summary');

  // History lists every contact of the phone.
  await navTo(page, 'nav-contacts');
  await expectCount(page, 4);
  await screenshot(page, '6-history');
  // A date shows whole with its calendar button, at 390 and at 320 px: the empty field's
  // "mm/dd/yyyy" is the widest form of one (Chromium's own icon takes about 28 px).
  const datesFit = () => page.evaluate(() => [...document.querySelectorAll('input[type=date]')].map((input) => {
    const style = getComputedStyle(input);
    const probe = Object.assign(document.createElement('span'), { textContent: 'mm/dd/yyyy' });
    probe.style.font = style.font;
    document.body.append(probe);
    const text = probe.getBoundingClientRect().width;
    probe.remove();
    return input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) >= text + 28;
  }));
  assert.deepEqual(await datesFit(), [true, true], 'both dates show whole at 390 px');
  await page.setViewportSize({ width: 320, height: 640 });
  assert.deepEqual(await datesFit(), [true, true], 'both dates show whole at 320 px');
  await page.setViewportSize(PHONE.viewport);
  watch.assertClean();
  await context.close();
});
