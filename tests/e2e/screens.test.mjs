// Forms, settings and bad conditions: errors at the field in the user's language with nothing
// half-saved; language and theme; delete with undo; the date filter; IndexedDB missing or full.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openProfile, tempDir, watchPage, byId, screenshot, signIn, reload, unlock, navTo, chooseLanguage, smallControls,
} from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 120_000 };

let accounts = 0;

async function freshPage(options = {}, initScript) {
  // Each test its own account: a patrol another test left open on the server is not its own.
  const user = await server.addUser(`screens-${++accounts}`, 'admin');
  const context = await openProfile(tempDir('profile'), options);
  if (initScript) await context.addInitScript(initScript);
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  await page.goto(server.url);
  await signIn(page, server, user);
  return { context, page, watch };
}

async function startPatrol(page) {
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').waitFor();
}

const listCount = (page) => byId(page, 'contact-list').getByTestId('contact-item').count();

test('invalid input is shown at the field, in Polish and in English, and nothing is saved', T, async () => {
  const { context, page, watch } = await freshPage();
  await startPatrol(page);
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-headcount').fill('0');
  await byId(page, 'contact-notes').fill('x'.repeat(2001));
  await byId(page, 'contact-save').click();
  await byId(page, 'error-headcount').waitFor();
  assert.match(await byId(page, 'error-headcount').textContent(), /Liczba osób: od 1 do 200/);
  assert.match(await byId(page, 'error-notes').textContent(), /najwyżej 2000 znaków/);
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'x'.repeat(2001), 'the form keeps what was typed');
  await screenshot(page, '7-validation');

  // A PESEL in the notes would undo the pseudonym: refused at the field, in words.
  await byId(page, 'contact-headcount').fill('2');
  await byId(page, 'contact-notes').fill('Pan Janek, PESEL 44051401359, prosi o śpiwór');
  await byId(page, 'contact-save').click();
  await byId(page, 'error-notes').filter({ hasText: 'Nie zapisuj numeru PESEL ani numeru dowodu' }).waitFor();
  assert.match(await byId(page, 'contact-notes').inputValue(), /44051401359/, 'kept to be corrected');

  // Fixed, it saves; the patrol then has exactly one contact.
  await byId(page, 'contact-notes').fill('ok');
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-quick').waitFor();
  assert.equal(await listCount(page), 1);

  // In English the same errors read in English.
  await byId(page, 'nav-settings').click();
  await chooseLanguage(page, 'en');
  await navTo(page, 'nav-patrol');
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-headcount').fill('500');
  await byId(page, 'contact-save').click();
  assert.match(await byId(page, 'error-headcount').textContent(), /Number of people: 1 to 200/);
  watch.assertClean();
  await context.close();
});

test('language and theme are switched in Settings and kept after a reload', T, async () => {
  const { context, page, watch } = await freshPage();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'dark by default');
  assert.equal(await byId(page, 'nav-settings').getAttribute('aria-label'), 'Ustawienia', 'Polish by default');
  await byId(page, 'nav-settings').click();
  await byId(page, 'storage-persisted').waitFor();
  await screenshot(page, '8-settings');
  await chooseLanguage(page, 'en');
  await byId(page, 'theme-select').selectOption('light');
  assert.equal(await byId(page, 'nav-settings').getAttribute('aria-label'), 'Settings');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  await reload(page);
  await byId(page, 'lang-select').waitFor();
  assert.equal(await byId(page, 'nav-patrol').textContent(), '◉Patrol');
  assert.equal(await byId(page, 'nav-contacts').textContent(), '☰Contacts');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  assert.notEqual(await byId(page, 'storage-persisted').textContent(), '');
  watch.assertClean();
  await context.close();
});

test('a deleted contact can be restored with undo', T, async () => {
  const { context, page, watch } = await freshPage();
  await startPatrol(page);
  await byId(page, 'contact-quick').click();
  await byId(page, 'contact-quick').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 2);
  await navTo(page, 'nav-contacts');
  await byId(page, 'contact-item').first().click();
  await byId(page, 'contact-delete').click();
  await byId(page, 'history-empty').or(byId(page, 'contact-item').first()).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 1);
  await byId(page, 'toast-undo').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 2);
  watch.assertClean();
  await context.close();
});

test('the history filters by date and finds a person by pseudonym', T, async () => {
  const { context, page, watch } = await freshPage();
  await startPatrol(page);
  const met = [['2026-01-05T22:30', 'Rudy spod mostu'], ['2026-01-06T01:10', 'Łysy'], ['2026-02-01T23:00', 'rudy']];
  for (const [at, pseudonym] of met) {
    await byId(page, 'contact-new').click();
    await byId(page, 'contact-at').fill(at);
    await byId(page, 'contact-pseudonym').fill(pseudonym);
    await byId(page, 'contact-save').click();
    await byId(page, 'contact-quick').waitFor();
  }
  await navTo(page, 'nav-contacts');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 3);
  await byId(page, 'history-from').fill('2026-01-06');
  await byId(page, 'history-to').fill('2026-01-31');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 1);
  assert.match(await byId(page, 'contact-item').textContent(), /2026-01-06 01:10/);
  await byId(page, 'history-from').fill('2026-03-01');
  await byId(page, 'history-to').fill('');
  await byId(page, 'history-empty').waitFor();

  // The same person again: their contacts by pseudonym, any case, the pseudonym shown.
  await byId(page, 'history-from').fill('');
  await byId(page, 'history-pseudonym').fill('RUDY');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 2);
  assert.deepEqual(await byId(page, 'contact-item-pseudonym').allTextContents(), ['rudy', 'Rudy spod mostu']);
  await screenshot(page, '51-history-pseudonym');
  await byId(page, 'history-pseudonym').fill('kasia');
  await byId(page, 'history-empty').filter({ hasText: 'nie ma kontaktów z tym pseudonimem' }).waitFor();
  await byId(page, 'history-pseudonym').fill('');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 3);
  watch.assertClean();
  await context.close();
});

test('without IndexedDB (private mode) the app says so and still records contacts', T, async () => {
  const { context, page, watch } = await freshPage({}, () => {
    Object.defineProperty(window, 'indexedDB', { get() { throw new DOMException('blocked', 'SecurityError'); } });
  });
  await byId(page, 'storage-problem').waitFor();
  assert.match(await byId(page, 'storage-problem').textContent(), /tylko do zamknięcia karty/);
  await startPatrol(page);
  await byId(page, 'contact-quick').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 1);
  watch.assertClean();
  await context.close();
});

test('a full disk shows a clear message and the form keeps its data', T, async () => {
  const { context, page, watch } = await freshPage({}, () => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
      if (window.__full) throw new DOMException('quota', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await startPatrol(page);
  await byId(page, 'contact-new').click();
  await byId(page, 'contact-notes').fill('śpiwór dla pana spod wiaduktu');
  await page.evaluate(() => { window.__full = true; });
  await byId(page, 'contact-save').click();
  await byId(page, 'toast').waitFor();
  assert.match(await byId(page, 'toast').textContent(), /Pamięć telefonu jest pełna/);
  await byId(page, 'storage-problem').waitFor();
  assert.equal(await byId(page, 'contact-notes').inputValue(), 'śpiwór dla pana spod wiaduktu');
  await screenshot(page, '9-storage-full');

  // Space freed: the same form saves, once.
  await page.evaluate(() => { window.__full = false; });
  await byId(page, 'contact-save').click();
  await byId(page, 'contact-quick').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-item]').length === 1);
  assert.equal(await byId(page, 'storage-problem').count(), 0, 'the "full" banner goes once a write succeeds');
  const pending = await page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('latarnia');
    open.onsuccess = () => {
      const req = open.result.transaction('outbox').objectStore('outbox').count();
      req.onsuccess = () => ok(req.result);
      req.onerror = fail;
    };
  }));
  assert.equal(pending, 2, 'the patrol and the one contact are in the outbox: nothing half-saved');
  watch.assertClean();
  await context.close();
});

test('every screen fits a 320 px wide phone, in Polish and in English: nothing past its edge, every control 48 px', T, async () => {
  const { context, page, watch } = await freshPage({ viewport: { width: 320, height: 640 } });
  await startPatrol(page);
  await byId(page, 'contact-quick').click();
  const contact = await byId(page, 'contact-list').locator('a').first().getAttribute('href');
  const screens = ['/', '/contacts/new', '/contacts', contact, '/settings', '/sync', '/sites', '/sites/new', '/map',
    '/reports', '/reports/new', '/zima', '/zima/runs/new', '/indicators', '/count', '/facilities'];
  for (const lang of ['pl', 'en']) {
    if (lang === 'en') {
      await byId(page, 'nav-settings').click();
      await chooseLanguage(page, 'en');
    }
    for (const path of screens) {
      await page.goto(server.url + path);
      await unlock(page);
      await page.locator('main h1').first().waitFor();
      // No place had people yet and no report is open: the run planner says so, in words.
      if (path === '/zima/runs/new') await byId(page, 'run-no-candidates').waitFor();
      await page.waitForTimeout(100);
      // Measured against the screen's 320 px, not the page's own width: a phone's browser
      // widens the page to content that is wider than the screen (then zooms it out).
      const past = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > 320.5 && !e.closest('.leaflet-container'))
        .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)} px`));
      assert.deepEqual(past, [], `${lang} ${path}: past the screen's edge`);
      assert.deepEqual(await smallControls(page), [], `${lang} ${path}: touch targets under 48 px`);
    }
  }
  watch.assertClean();
  await context.close();
});

test('from 320 to 390 px the top bar and the sync line under it each stay one row, nothing cut or overlapping', T, async () => {
  const worker = await server.addUser('sync-line-worker');
  // A streetworker's bar, and a coordinator's, which holds the report's link too.
  for (const user of [worker, server.admin]) {
    const context = await openProfile(tempDir('profile'), { viewport: { width: 320, height: 640 } });
    const page = context.pages()[0] ?? (await context.newPage());
    const watch = watchPage(page);
    await page.goto(server.url);
    await signIn(page, server, user);
    await byId(page, 'sync-status').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.lastSync !== '');
    const bars = () => page.evaluate(() => {
      const box = (id) => document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
      const [status, pending, now] = [box('sync-status'), box('sync-pending'), box('sync-now')];
      const cut = [...document.querySelectorAll('.status-bar *, .sync-line *')]
        .filter((e) => e.scrollWidth > e.clientWidth + 0.5 && e.clientWidth > 0).map((e) => e.textContent);
      const top = [...document.querySelector('.status-bar').children].filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect());
      const middle = (r) => r.top + r.height / 2;
      return {
        text: document.querySelector('.sync-line').innerText.replace(/\s+/g, ' '),
        height: Math.round(document.querySelector('.sync-line').getBoundingClientRect().height),
        oneRow: Math.abs(middle(status) - middle(now)) < 2 && pending.top > status.top && pending.bottom < status.bottom,
        topOneRow: top.every((r) => Math.abs(middle(r) - middle(top[0])) < 2),
        overlaps: top.slice(1).filter((r, n) => r.left < top[n].right + 4).length,
        fits: document.documentElement.scrollWidth <= window.innerWidth,
        cut,
      };
    });
    for (const lang of ['pl', 'en']) {
      if (lang === 'en') {
        await byId(page, 'nav-settings').click();
        await chooseLanguage(page, 'en');
      }
      for (const offline of [false, true]) {
        await context.setOffline(offline);
        await page.waitForFunction((o) => document.querySelector('[data-testid=online-status]').dataset.online === String(!o), offline);
        for (const width of [320, 360, 390]) {
          await page.setViewportSize({ width, height: 640 });
          // The widest count a night offline gives (three digits), written over the real one.
          for (const count of [null, '150']) {
            if (count) await page.evaluate((n) => { document.querySelector('[data-testid=sync-pending]').textContent = n; }, count);
            const b = await bars();
            const where = `${user.login} ${lang} ${offline ? 'offline' : 'online'} ${width} px: ${JSON.stringify(b)}`;
            assert.ok(b.oneRow && b.height < 60 && b.topOneRow && b.overlaps === 0 && b.fits, where);
            assert.deepEqual(b.cut, [], where);
            assert.match(b.text, lang === 'pl' ? /Zsynchr\. \d\d:\d\d.*Do wysłania: \d+.*Synchronizuj/ : /Synced \d\d:\d\d.*To send: \d+.*Sync now/);
          }
        }
      }
      await context.setOffline(false);
    }
    watch.assertClean();
    await context.close();
  }
});

test('at 320 px the bottom bar holds five destinations whose labels fit whole; the rest open from "More"', T, async () => {
  const worker = await server.addUser('nav-worker');
  const context = await openProfile(tempDir('profile'), { viewport: { width: 320, height: 640 } });
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = watchPage(page);
  await page.goto(server.url);
  await signIn(page, server, worker);
  const bar = () => page.evaluate(() => [...document.querySelectorAll('.bottom-nav > a, .bottom-nav > button')]
    .map((e) => {
      const label = e.querySelector('span:last-child');
      return { text: label.textContent, cut: label.scrollWidth > label.clientWidth + 0.5, height: e.getBoundingClientRect().height };
    }));
  for (const lang of ['pl', 'en']) {
    if (lang === 'en') {
      await byId(page, 'nav-settings').click();
      await chooseLanguage(page, 'en');
    }
    const items = await bar();
    assert.equal(items.length, 5, `${lang}: ${JSON.stringify(items)}`);
    assert.deepEqual(items.filter((i) => i.cut), [], `${lang}: every label whole`);
    assert.ok(items.every((i) => i.height >= 48), `${lang}: thumb-sized`);
  }
  assert.deepEqual((await bar()).map((i) => i.text), ['Patrol', 'Contacts', 'Places', 'Map', 'More']);
  // Reports and Akcja ZIMA are one tap further, in a sheet above the bar that covers nothing
  // once a destination is chosen.
  await byId(page, 'nav-more').click();
  await byId(page, 'nav-sheet').waitFor();
  assert.equal(await byId(page, 'nav-more').getAttribute('aria-expanded'), 'true');
  assert.ok(await byId(page, 'nav-reports').isVisible());
  assert.ok(await byId(page, 'nav-zima').isVisible());
  assert.equal(await byId(page, 'nav-indicators').count(), 0, 'the coordinators\' report is not a streetworker\'s');
  await screenshot(page, '32-nav-more');
  await byId(page, 'nav-zima').click();
  await page.waitForURL(/\/zima$/);
  await byId(page, 'nav-sheet').waitFor({ state: 'detached' });
  assert.equal(await byId(page, 'nav-more').getAttribute('data-current'), 'true', '"More" shows where the worker is');
  // Closed with its button too, and opened again.
  await navTo(page, 'nav-reports');
  await page.waitForURL(/\/reports$/);
  await byId(page, 'nav-more').click();
  await byId(page, 'nav-sheet-close').click();
  await byId(page, 'nav-sheet').waitFor({ state: 'detached' });
  watch.assertClean();
  await context.close();
});
