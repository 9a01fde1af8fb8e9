// Sync in Chromium against the real server: two streetworkers on two phones, offline and back,
// signing in and out, and a record the server refuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, signIn, phone as openPhone, syncNow, unlock, reload, navTo } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 180_000 };

const phone = (user) => openPhone(server, user);


const pending = async (page) => Number(await byId(page, 'sync-pending').textContent());
const listCount = (page) => byId(page, 'contact-list').getByTestId('contact-item').count();

test('two streetworkers offline share their contacts and converge on the same patrol notes', T, async () => {
  const ala = await server.addUser('ala');
  const ola = await server.addUser('ola');
  const a = await phone(ala);
  const b = await phone(ola);

  // Ala starts the night's patrol; Ola's phone gets it at the next sync. It is not taken as
  // Ola's own (another team may be out the same night): it is offered to join, and she joins.
  await byId(a.page, 'patrol-area').fill('Dworzec');
  await byId(a.page, 'patrol-start').click();
  await byId(a.page, 'contact-quick').waitFor();
  await syncNow(a.page);
  assert.equal(await pending(a.page), 0);
  await syncNow(b.page);
  const offer = byId(b.page, 'patrol-join-item');
  await offer.waitFor();
  assert.match(await offer.textContent(), /Dworzec/);
  const described = await byId(b.page, 'patrol-join').getAttribute('aria-describedby');
  assert.match(await b.page.locator(`[id="${described}"]`).textContent(), /Dworzec/, 'the button names its patrol');
  assert.equal(await byId(b.page, 'contact-quick').count(), 0, "Ala's patrol is not Ola's until she joins");
  await byId(b.page, 'patrol-start').waitFor();
  await screenshot(b.page, '25-join-patrol');
  await byId(b.page, 'patrol-join').click();
  await byId(b.page, 'contact-quick').waitFor();

  // Both lose the signal, record a contact each and write the patrol's notes.
  await a.context.setOffline(true);
  await b.context.setOffline(true);
  await byId(a.page, 'contact-quick').click();
  await byId(b.page, 'contact-quick').click();
  await byId(a.page, 'patrol-notes').fill('Ala: koce rozdane');
  await byId(a.page, 'patrol-notes-save').click();
  await a.page.waitForTimeout(50);
  await byId(b.page, 'patrol-notes').fill('Ola: zupa się skończyła');
  await byId(b.page, 'patrol-notes-save').click();
  await b.page.waitForFunction(() => Number(document.querySelector('[data-testid=sync-pending]').textContent) >= 2);
  assert.ok((await pending(a.page)) >= 2, 'waiting to be sent');
  await screenshot(b.page, '10-offline-pending');

  // Back online: each phone pushes, then pulls the other's.
  await a.context.setOffline(false);
  await b.context.setOffline(false);
  await syncNow(a.page);
  await syncNow(b.page);
  await syncNow(a.page);
  for (const p of [a.page, b.page]) {
    assert.equal(await pending(p), 0);
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=contact-list] [data-testid=contact-item]').length === 2);
    assert.equal(await listCount(p), 2, 'each phone shows both contacts');
  }
  const notesA = await byId(a.page, 'patrol-notes').inputValue();
  const notesB = await byId(b.page, 'patrol-notes').inputValue();
  assert.equal(notesA, notesB, 'both phones show the same winner');
  assert.equal(notesA, 'Ola: zupa się skończyła', 'the later edit wins');
  await screenshot(a.page, '11-synced');
  a.watch.assertClean();
  b.watch.assertClean();
  await a.context.close();
  await b.context.close();
});

test('signing in: clear errors, a session that survives reloads offline, and a sign-out that protects unsent records', T, async (t) => {
  // A server of its own: no other phone's open patrol is pulled here (the patrol screen would
  // show it instead of "start a patrol", depending on when the first sync ends).
  const own = await startServer();
  t.after(() => own.stop());
  const kasia = await own.addUser('kasia');
  const { context, page, watch } = await openPhone(own, null);
  await screenshot(page, '12-login');

  await byId(page, 'login-submit').click();
  assert.equal(await byId(page, 'login-error').textContent(), 'Wpisz login i hasło.');
  await byId(page, 'login-login').fill('kasia');
  await byId(page, 'login-password').fill('wrong password');
  await byId(page, 'login-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=login-error]')?.textContent === 'Nieprawidłowy login lub hasło.');
  await context.setOffline(true);
  await byId(page, 'login-password').fill(kasia.password);
  await byId(page, 'login-submit').click();
  await page.waitForFunction(() => /wymaga internetu/.test(document.querySelector('[data-testid=login-error]')?.textContent ?? ''));
  await context.setOffline(false);
  await signIn(page, own, kasia);

  // The session survives a reload, offline too (behind the lock screen).
  await context.setOffline(true);
  await reload(page);
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=sync-pending]').textContent) >= 2);

  // Signing out with unsent records warns and deletes nothing until told to.
  await byId(page, 'nav-settings').click();
  assert.equal(await byId(page, 'signed-in-as').textContent(), 'kasia (kasia)');
  await byId(page, 'logout').click();
  await byId(page, 'logout-warning').waitFor();
  assert.match(await byId(page, 'logout-warning').textContent(), /niewysłane zapisy \(2\)/);
  await byId(page, 'logout-cancel').click();
  // A Wi-Fi that asks to sign in answers every request with its own page: the phone says the
  // answer could not be read (not "no signal"), keeps both records and sends them later.
  // (Routed before the phone is back online: coming online starts a sync at once.)
  await page.route('**/api/v1/sync/**', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<html>Hotel Wi-Fi: log in</html>' }));
  await context.setOffline(false);
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.syncing === 'false');
  await byId(page, 'sync-now').click();
  await page.waitForFunction(() => /odpowiedział niezrozumiale/.test(document.querySelector('[data-testid=sync-error]')?.textContent ?? ''));
  assert.doesNotMatch(await byId(page, 'sync-error').textContent(), /nie powiodła się/);
  // The browser says online, but the server was not reached: the top bar does not say "online".
  const pill = page.getByRole('status').filter({ hasText: /SIECI|POŁĄCZENIA/ });
  assert.equal((await pill.textContent()).trim(), 'BEZ POŁĄCZENIA');
  assert.equal(await pill.getAttribute('data-online'), 'true');
  // Whole at 320 px, nothing pushed past the screen's edge.
  const size = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 640 });
  assert.deepEqual(await pill.evaluate((p) => [p.scrollWidth <= p.clientWidth, document.documentElement.scrollWidth]), [true, 320]);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, '31-sync-bad-answer');
  await page.setViewportSize(size);
  assert.equal(await pending(page), 2);
  await page.unroute('**/api/v1/sync/**');
  await syncNow(page);
  assert.equal(await pending(page), 0);
  assert.equal((await pill.textContent()).trim(), 'W SIECI');
  // On a line where the server's answer never comes, signing out still empties the phone at
  // once: the sign-in screen within seconds, not after the request's deadline.
  await page.route('**/api/v1/auth/logout', () => {});
  await byId(page, 'logout').click();
  await byId(page, 'login-submit').waitFor({ timeout: 5000 });
  assert.equal(await byId(page, 'logout-warning').count(), 0);
  // Nothing stays on the phone; signing in again brings the synced records back.
  const left = await page.evaluate(() => new Promise((ok) => {
    const r = indexedDB.open('latarnia');
    r.onsuccess = () => { const q = r.result.transaction('contacts').objectStore('contacts').count(); q.onsuccess = () => ok(q.result); };
  }));
  assert.equal(left, 0, 'sign-out leaves no contact on the phone');
  await signIn(page, own, kasia);
  await byId(page, 'contact-list').getByTestId('contact-item').first().waitFor();
  assert.equal(await listCount(page), 1);
  // On a line that answers, signing out also ends the session on the server (after the phone
  // is empty): the phone's token is refused from then on.
  await page.unroute('**/api/v1/auth/logout');
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.syncing === 'false');
  const sent = page.waitForRequest((r) => r.url().includes('/api/v1/sync/'));
  await byId(page, 'sync-now').click();
  const token = (await sent).headers().authorization;
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.syncing === 'false');
  const pullWith = async () => (await fetch(`${own.url}/api/v1/sync/pull?client_id=${crypto.randomUUID()}&limit=1`, { headers: { authorization: token } })).status;
  assert.equal(await pullWith(), 200, 'the token works while signed in');
  await byId(page, 'nav-settings').click();
  await byId(page, 'logout').click();
  await byId(page, 'login-submit').waitFor();
  let status = 0;
  for (let i = 0; i < 50 && status !== 401; i++) {
    status = await pullWith();
    if (status !== 401) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 401, 'the token is refused once signed out');
  watch.assertClean();
  await context.close();
});

test('a partner is offered only what its role may do; a narrowed role reaches the phone at its sync, which lets go of what the old role read; a refused record is listed in the user\'s words and can be discarded', T, async () => {
  const partner = await server.addUser('straz', 'partner');
  let { context, page, watch } = await phone(partner);
  // Nothing a partner may not write is on offer: no patrols, no contacts, no run planning.
  await byId(page, 'patrol-not-yours').waitFor();
  assert.equal(await byId(page, 'nav-patrol').count(), 0);
  assert.equal(await byId(page, 'nav-contacts').count(), 0);
  assert.equal(await byId(page, 'patrol-start').count(), 0);
  await navTo(page, 'nav-zima');
  await byId(page, 'zima-banner').or(page.locator('h1', { hasText: 'Akcja ZIMA' })).first().waitFor();
  assert.equal(await byId(page, 'run-new').count(), 0);
  assert.equal(await byId(page, 'run-list').count(), 0);
  await page.goto(`${server.url}/zima/runs/new`);
  await unlock(page);
  await byId(page, 'run-plan-not-allowed').waitFor();
  watch.assertClean();
  await context.close();

  // A streetworker's role is narrowed while their phone is offline: the phone still believes it
  // may record patrols and contacts; what it records, the server refuses. At that sync the phone
  // learns its new role: it offers a partner's screens only, and lets go of what the old role
  // read (a colleague's contact), keeping only the refused records to show.
  const colleague = await server.addUser('kolega-straz');
  const other = await phone(colleague);
  await byId(other.page, 'patrol-start').click();
  await byId(other.page, 'contact-new').click();
  await byId(other.page, 'contact-notes').fill('ZnacznikKolegi7731');
  await byId(other.page, 'contact-save').click();
  await byId(other.page, 'contact-list').getByText('ZnacznikKolegi7731').waitFor();
  await syncNow(other.page);
  await other.context.close();
  const narrowed = await server.addUser('straz-2', 'streetworker');
  ({ context, page, watch } = await phone(narrowed));
  await syncNow(page);
  await navTo(page, 'nav-contacts');
  await byId(page, 'contact-list').getByText('ZnacznikKolegi7731').waitFor();
  const contactsHeld = () => page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('latarnia');
    open.onsuccess = () => {
      const n = open.result.transaction('contacts').objectStore('contacts').count();
      n.onsuccess = () => resolve(n.result);
      n.onerror = () => reject(n.error);
    };
    open.onerror = () => reject(open.error);
  }));
  assert.ok(await contactsHeld() >= 1, 'the colleague\'s contact (and the earlier tests\' ones) on the phone');
  await context.setOffline(true);
  await server.cli('user', 'role', 'straz-2', 'partner');
  await navTo(page, 'nav-patrol');
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=sync-pending]').textContent) >= 2);
  await context.setOffline(false);
  await syncNow(page);
  assert.equal(await pending(page), 0, 'a rejection does not block the queue');
  // Now a partner's phone: no patrols or contacts on offer, and none of a colleague's held.
  await byId(page, 'patrol-not-yours').waitFor();
  assert.equal(await byId(page, 'nav-patrol').count(), 0);
  assert.equal(await byId(page, 'nav-contacts').count(), 0);
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.syncing === 'false');
  assert.equal(await contactsHeld(), 1, 'only the refused contact, to be shown, is left');
  await byId(page, 'sync-rejected-count').click();
  const items = byId(page, 'sync-rejected').getByTestId('sync-rejected-item');
  await items.first().waitFor();
  assert.equal(await items.count(), 2, 'the patrol and the contact');
  assert.equal(await items.first().getAttribute('data-error'), 'forbidden');
  const text = (await byId(page, 'sync-rejected').textContent());
  assert.match(text, /Twoja rola nie pozwala na taki zapis/);
  assert.doesNotMatch(text, /may not|collection_|partner/, 'no raw server text, no untranslated names');
  await screenshot(page, '13-rejected');

  // Discarded on purpose, one by one: gone from the list and from the phone.
  await items.first().getByTestId('sync-rejected-discard').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sync-rejected-item]').length === 1);
  await items.first().getByTestId('sync-rejected-discard').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sync-rejected-item]').length === 0);
  assert.equal(await contactsHeld(), 0, 'the refused contact is gone');
  watch.assertClean();
  await context.close();
});

test('a request that never answers ends at its deadline: the phone says "no connection", keeps its records and sends them later', T, async () => {
  const olek = await server.addUser('olek-deadline');
  const { context, page, watch } = await phone(olek);
  const pill = page.getByRole('status').filter({ hasText: /SIECI|POŁĄCZENIA/ });
  const syncing = (on) => page.waitForFunction((o) => document.querySelector('[data-testid=sync-status]').dataset.syncing === String(o), on);
  // The page's clock moved a second at a time, the page's own work done between (a piece of
  // an answer read, its deadline renewed) as it would be in real time.
  const advance = async (ms) => {
    for (let t = 0; t < ms; t += 1000) {
      await page.clock.runFor(Math.min(1000, ms - t));
      await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    }
  };
  // The page's timers are under the test's hand: the deadline passes in a moment.
  await page.clock.install();
  await byId(page, 'patrol-start').click();
  await byId(page, 'contact-quick').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=sync-pending]').textContent) >= 2);
  // A weak signal: the requests go out and nothing ever comes back, no error either.
  await page.route('**/api/v1/sync/**', () => {});
  await syncing(false);
  await byId(page, 'sync-now').click();
  await syncing(true);
  // A push of a few records has 30 s.
  await advance(20_000);
  assert.equal(await byId(page, 'sync-status').getAttribute('data-syncing'), 'true', 'still waiting within the deadline');
  await advance(15_000);
  await syncing(false);
  assert.match(await byId(page, 'sync-error').textContent(), /nie powiodła się.*Dane są bezpieczne/);
  assert.equal((await pill.textContent()).trim(), 'BEZ POŁĄCZENIA');
  assert.ok(await pending(page) >= 2, 'nothing unsent is lost');
  // The signal is back: the next sync sends everything.
  await page.unroute('**/api/v1/sync/**');
  await syncNow(page);
  assert.equal(await pending(page), 0);
  assert.equal((await pill.textContent()).trim(), 'W SIECI');

  // A slow line that keeps coming: every pulled page arrives in four pieces 20 s apart, 80 s
  // in all (more than the 60 s a page may take to begin): each piece gives the answer more
  // time, and the sync ends well. Then a line that stops after the first piece: given up 30 s
  // after it, and said so.
  await page.evaluate(() => {
    const real = window.fetch.bind(window);
    window.__line = 'slow';
    window.fetch = async (input, init) => {
      const answer = await real(input, init);
      if (!String(input.url ?? input).includes('/api/v1/sync/pull')) return answer;
      const bytes = new Uint8Array(await answer.arrayBuffer());
      const step = Math.ceil(bytes.length / 4);
      const signal = init?.signal ?? input.signal;
      const stopping = window.__line === 'stops';
      const body = new ReadableStream({
        start(c) {
          let aborted = false;
          signal?.addEventListener('abort', () => { aborted = true; c.error(new DOMException('aborted', 'AbortError')); });
          let at = 0;
          const next = () => {
            if (aborted || (stopping && at > 0)) return;
            c.enqueue(bytes.slice(at, at + step));
            at += step;
            if (at >= bytes.length) c.close(); else setTimeout(next, 20_000);
          };
          setTimeout(next, 20_000);
        },
      });
      return new Response(body, { status: answer.status, headers: answer.headers });
    };
  });
  await byId(page, 'sync-now').click();
  await syncing(true);
  let waited = 0;
  while (await byId(page, 'sync-status').getAttribute('data-syncing') === 'true' && waited < 400_000) {
    await advance(20_000);
    waited += 20_000;
  }
  await syncing(false);
  assert.ok(waited >= 80_000, `read whole over ${waited / 1000} s`);
  assert.equal(await byId(page, 'sync-error').count(), 0, `no error: the slow page was read whole (${waited} ms; ${await byId(page, 'sync-error').textContent().catch(() => '')})`);
  assert.equal((await pill.textContent()).trim(), 'W SIECI');

  await page.evaluate(() => { window.__line = 'stops'; });
  await byId(page, 'sync-now').click();
  await syncing(true);
  await advance(45_000);
  assert.equal(await byId(page, 'sync-error').count(), 0, 'within 30 s of the last piece: still waiting');
  await advance(10_000);
  await byId(page, 'sync-error').waitFor();
  assert.match(await byId(page, 'sync-error').textContent(), /nie powiodła się/);
  assert.equal((await pill.textContent()).trim(), 'BEZ POŁĄCZENIA');
  watch.assertClean();
  await context.close();
});
