// What a lost phone gives away (issue 16): text typed about people is nowhere on the browser
// profile's disk, only the PIN opens the app, ten wrong PINs leave only the password, and
// unsent records survive that path and are sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, openProfile, tempDir, watchPage, waitForServiceWorker, byId, screenshot, signIn, syncNow, unlock,
  phone, api, apiLogin, PIN, PHONE, navTo } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 240_000 };

/** Every file under `dir` that holds `text`, as UTF-8 or as UTF-16 (either byte order). */
function filesHolding(dir, text) {
  const needles = [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le'), Buffer.from(text, 'utf16le').swap16()];
  const found = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        let bytes;
        try { bytes = readFileSync(p); } catch { continue; }
        if (needles.some((n) => bytes.includes(n))) found.push(p.slice(dir.length));
      }
    }
  };
  walk(dir);
  return found;
}

test('text typed about people is nowhere on the profile\'s disk once synced and closed; after the PIN it is all there', T, async () => {
  const profile = tempDir('profile-disk');
  let context = await openProfile(profile);
  let page = context.pages()[0] ?? (await context.newPage());
  let watch = watchPage(page);
  await page.goto(server.url);
  await waitForServiceWorker(page);
  await signIn(page, server);
  // Unique markers in a contact's pseudonym and notes, a place's access notes and a report.
  const m = { pseudonym: 'ZnacznikPseudo7731', notes: 'ZnacznikNotatka7731', access: 'ZnacznikDojscie7731', report: 'ZnacznikZgloszenie7731' };
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-pseudonym').fill(m.pseudonym);
  await byId(page, 'contact-notes').fill(`kaszle; ${m.notes}`);
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-list').getByText(m.notes).waitFor();
  await navTo(page, 'nav-sites');
  await byId(page, 'site-new').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=site-lat]').value !== '');
  await byId(page, 'site-label').fill('Wiata przy torach');
  await byId(page, 'site-type').selectOption('station');
  await byId(page, 'site-access-notes').fill(`od strony torów; ${m.access}`);
  await byId(page, 'site-save').click();
  await byId(page, 'site-list').waitFor();
  await navTo(page, 'nav-reports');
  await byId(page, 'report-new').click();
  await byId(page, 'report-lat').fill('54.4411');
  await byId(page, 'report-lon').fill('18.5701');
  await byId(page, 'report-description').fill(`Śpi na ławce; ${m.report}`);
  await byId(page, 'report-save').click();
  await byId(page, 'report-list').waitFor();
  await syncNow(page);
  // A canary kept in clear on purpose, in the same IndexedDB: the scan below must find it, so a
  // scan that cannot see into the profile's files fails here instead of passing.
  await page.evaluate(() => new Promise((ok, fail) => {
    const r = indexedDB.open('canary', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('c');
    r.onsuccess = () => {
      const tx = r.result.transaction('c', 'readwrite');
      tx.objectStore('c').put({ text: 'ZnacznikJawny7731 w jawnym tekście' }, 1);
      tx.oncomplete = () => { r.result.close(); ok(); };
      tx.onerror = () => fail(tx.error);
    };
  }));
  watch.assertClean();
  await context.close();

  assert.notDeepEqual(filesHolding(profile, 'ZnacznikJawny7731'), [], 'the scan finds text kept in clear');
  for (const [what, marker] of Object.entries(m)) {
    assert.deepEqual(filesHolding(profile, marker), [], `${what} is on disk in clear`);
  }

  // The same profile again, offline: the lock screen, then every record.
  context = await openProfile(profile, { offline: true });
  page = context.pages()[0] ?? (await context.newPage());
  watch = watchPage(page);
  await page.goto(server.url);
  await byId(page, 'lock-pin').waitFor();
  await unlock(page);
  await byId(page, 'contact-list').getByText(m.notes).waitFor();
  await navTo(page, 'nav-sites');
  await byId(page, 'site-list').getByText('Wiata przy torach').click();
  assert.match(await byId(page, 'site-access-notes').inputValue(), new RegExp(m.access));
  await navTo(page, 'nav-reports');
  await byId(page, 'report-list').getByText(m.report).waitFor();
  watch.assertClean();
  await context.close();
});

/** On a short phone (a 360×640 screen less the browser's bars, a 320×568 one) the PIN fields
 * (`ids`, the last one the button), every key and the button are on screen without scrolling,
 * the keys still a gloved thumb's size; `shot` names the 360×560 screenshot. */
async function wholeOnShortPhones(page, ids, shot) {
  for (const [width, height] of [[320, 568], [360, 560]]) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => window.scrollTo(0, 0));
    const screen = await page.evaluate((ids) => {
      const box = (e) => e.getBoundingClientRect();
      const keys = [...document.querySelectorAll('.keypad .key')].map(box);
      const boxes = [...keys, ...ids.map((id) => box(document.querySelector(`[data-testid=${id}]`)))];
      return { off: boxes.filter((r) => r.bottom > innerHeight || r.top < 0).length, smallest: Math.min(...keys.map((r) => r.height)), keys: keys.length };
    }, ids);
    assert.deepEqual(screen, { off: 0, smallest: screen.smallest, keys: 11 }, `${width}×${height}: ${JSON.stringify(screen)}`);
    assert.ok(screen.smallest >= 48, `${width}×${height}: keys ${screen.smallest} px`);
    if (shot && width === 360) await screenshot(page, shot);
  }
  await page.setViewportSize(PHONE.viewport);
}

test('ten wrong PINs leave only the password; the records not yet sent are kept and sent after it', T, async () => {
  const ewa = await server.addUser('ewa-pin');
  const { context, page, watch } = await phone(server, ewa);
  // "Lock now" in the settings locks at once.
  await byId(page, 'nav-settings').click();
  await byId(page, 'lock-now').click();
  await byId(page, 'lock-pin').waitFor();
  await screenshot(page, '27-lock-screen');
  await wholeOnShortPhones(page, ['lock-pin', 'lock-submit']);
  await unlock(page);

  // A contact recorded with no network: it waits to be sent.
  await context.setOffline(true);
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-notes').fill('niewysłany, ZnacznikKolejka7731');
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-list').getByText('ZnacznikKolejka7731').waitFor();

  // The page's clock is under the test's hand: the waits after wrong PINs pass in a moment.
  await page.clock.install();
  await page.reload();
  for (let n = 1; n <= 10; n++) {
    await byId(page, 'lock-pin').fill(`10203${n % 10}`);
    await byId(page, 'lock-submit').click();
    if (n === 10) break;
    await page.waitForFunction((left) => document.querySelector('[data-testid=lock-error]')?.textContent.includes(`: ${left}`), 10 - n);
    const text = await byId(page, 'lock-error').textContent();
    if (n <= 3) assert.equal(text, `Błędny PIN. Pozostało prób: ${10 - n}.`);
    else {
      assert.match(text, /Następna próba za \d+ s\./, text);
      if (n === 4) {
        // Too soon: refused without counting.
        await byId(page, 'lock-pin').fill(PIN);
        await byId(page, 'lock-submit').click();
        await page.waitForFunction(() => /Poczekaj/.test(document.querySelector('[data-testid=lock-error]')?.textContent ?? ''));
        await screenshot(page, '28-lock-wait');
      }
      await page.clock.fastForward(17 * 60_000);
    }
  }
  // The tenth: the PIN no longer opens the phone, even the right one; the password screen says why.
  await byId(page, 'pin-locked-out').waitFor();
  await byId(page, 'login-submit').waitFor();
  assert.equal(await byId(page, 'lock-pin').count(), 0);
  await page.reload();
  await byId(page, 'pin-locked-out').waitFor();
  await screenshot(page, '29-locked-out');

  // Offline, the password cannot be checked.
  await byId(page, 'login-login').fill(ewa.login);
  await byId(page, 'login-password').fill(ewa.password);
  await byId(page, 'login-submit').click();
  await byId(page, 'login-error').waitFor();
  // Online: the password, then a new PIN; the unsent contact is there and goes to the server.
  await context.setOffline(false);
  await byId(page, 'login-submit').click();
  // A new PIN: both fields, the keypad and "save" whole on a short phone's screen; a trivial
  // PIN is refused; then typed on the keypad, as with gloves (the first field, then the second;
  // a slip erased).
  await byId(page, 'pin-set').waitFor();
  await wholeOnShortPhones(page, ['pin-set', 'pin-confirm', 'pin-submit'], '50-pin-setup');
  await byId(page, 'pin-set').fill('123456');
  await byId(page, 'pin-confirm').fill('123456');
  await byId(page, 'pin-submit').click();
  await byId(page, 'pin-error').waitFor();
  assert.equal(await byId(page, 'pin-error').textContent(), 'Ten PIN jest zbyt łatwy do odgadnięcia (same takie cyfry albo po kolei). Wybierz inny.');
  await byId(page, 'pin-set').fill('');
  await byId(page, 'pin-confirm').fill('');
  await byId(page, 'pin-set').click();
  for (const d of '735196') await byId(page, `key-${d}`).click();
  await byId(page, 'pin-confirm').click();
  for (const d of '7351968') await byId(page, `key-${d}`).click();
  await byId(page, 'key-erase').click();
  assert.deepEqual([await byId(page, 'pin-set').inputValue(), await byId(page, 'pin-confirm').inputValue()], ['735196', '735196']);
  await byId(page, 'pin-submit').click();
  await byId(page, 'sync-status').waitFor();
  await byId(page, 'contact-list').getByText('ZnacznikKolejka7731').waitFor();
  await syncNow(page);
  const token = await apiLogin(server, ewa);
  const pulled = await api(server, `/api/v1/sync/pull?client_id=${crypto.randomUUID()}&limit=1000`, token);
  assert.ok(pulled.changes.some((c) => JSON.stringify(c.fields ?? {}).includes('ZnacznikKolejka7731')), 'the contact reached the server');
  // The new PIN opens it from now on; the old one does not.
  await page.reload();
  await byId(page, 'lock-pin').fill(PIN);
  await byId(page, 'lock-submit').click();
  await byId(page, 'lock-error').waitFor();
  await unlock(page, '735196');
  await byId(page, 'contact-list').getByText('ZnacznikKolejka7731').waitFor();
  watch.assertClean();
  await context.close();
});

/** The phone in a pocket (the screen off, another app): the page hidden, or shown again. */
const shown = (page, visible) => page.evaluate((v) => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (v ? 'visible' : 'hidden') });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => !v });
  document.dispatchEvent(new Event('visibilitychange'));
}, visible);

test('in the background for the organisation\'s time the phone locks; a half-typed contact is there after the PIN', T, async () => {
  const jan = await server.addUser('jan-background');
  const { context, page, watch } = await phone(server, jan);
  // The page's clock is under the test's hand: minutes in the background pass in a moment.
  await page.clock.install();
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-notes').fill('ZnacznikSzkic7731, śpi w altanie');
  await page.clock.runFor(1_000); // the draft's own write
  await page.waitForTimeout(300);
  const locked = () => byId(page, 'lock-pin').isVisible();

  // Four minutes away (the default is five): still open, the draft on screen.
  await shown(page, false);
  await page.clock.runFor(4 * 60_000);
  await shown(page, true);
  await page.waitForTimeout(300);
  assert.equal(await locked(), false, 'not locked before its time');
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'ZnacznikSzkic7731, śpi w altanie');

  // Five minutes in the background: the app locks while hidden, and the screen it shows when
  // the worker comes back is the lock screen, with nothing of the contact in the page.
  await shown(page, false);
  await page.clock.runFor(5 * 60_000 + 1_000);
  await byId(page, 'lock-pin').waitFor();
  assert.ok(!(await page.content()).includes('ZnacznikSzkic7731'), 'nothing typed is in the locked page');
  await unlock(page);
  await byId(page, 'contact-draft').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'ZnacznikSzkic7731, śpi w altanie');

  // A hidden page's timers may not run at all (a phone asleep): the lock comes on its return.
  await shown(page, false);
  await page.clock.setSystemTime(await page.evaluate(() => Date.now()) + 6 * 60_000);
  await shown(page, true);
  await byId(page, 'lock-pin').waitFor();
  await unlock(page);
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-list').getByText('ZnacznikSzkic7731').waitFor();
  watch.assertClean();
  await context.close();
});

test('a new lock time and a new role set by the organisation reach the phone at its next sync', T, async () => {
  const iza = await server.addUser('iza-account');
  const { context, page, watch } = await phone(server, iza);
  await byId(page, 'nav-settings').click();
  await page.getByText('po 5 min w tle').waitFor();
  await byId(page, 'nav-more').click();
  await byId(page, 'nav-sheet').waitFor();
  assert.equal(await byId(page, 'nav-indicators').count(), 0, 'a streetworker has no report');
  await byId(page, 'nav-sheet-close').click();

  // The data-protection officer shortens the lock; Iza becomes a coordinator.
  await server.cli('org', 'lock', '--org', 'Latarnia', '--minutes', '2');
  await server.cli('user', 'role', iza.login, 'coordinator');
  await syncNow(page);
  await page.getByText('po 2 min w tle').waitFor();
  await byId(page, 'nav-more').click();
  await byId(page, 'nav-indicators').click();
  await byId(page, 'indicators-from').waitFor();

  // Two minutes in the background now lock it, after a reload too (the session keeps it).
  await page.reload();
  await unlock(page);
  await page.clock.install();
  await shown(page, false);
  await page.clock.runFor(2 * 60_000 + 1_000);
  await byId(page, 'lock-pin').waitFor();
  watch.assertClean();
  await context.close();
});
