// Erasure on request (issue 15): a coordinator erases a person by pseudonym on the settings
// screen; a streetworker's phone no longer shows the pseudonym or the notes after its sync, and
// the counts of the contact stay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, byId, screenshot, phone as openPhone, syncNow } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const T = { timeout: 180_000 };
const phone = (user) => openPhone(server, user);

test('a coordinator erases a person by pseudonym; a streetworker\'s phone no longer shows it after its sync', T, async () => {
  const kasia = await server.addUser('kasia-e', 'coordinator');
  const ula = await server.addUser('ula-e');
  const sw = await phone(ula);
  await byId(sw.page, 'patrol-start').click();
  await byId(sw.page, 'contact-new').click();
  await byId(sw.page, 'contact-pseudonym').fill('Pan Janek');
  await byId(sw.page, 'contact-headcount').fill('2');
  await byId(sw.page, 'contact-notes').fill('kaszle, prosi o śpiwór');
  await byId(sw.page, 'contact-save').click();
  const item = byId(sw.page, 'contact-list').getByTestId('contact-item');
  await item.first().waitFor();
  assert.match(await item.first().textContent(), /kaszle/);
  await syncNow(sw.page);

  const co = await phone(kasia);
  await byId(co.page, 'nav-settings').click();
  // An empty pseudonym is refused in words, at the field.
  await byId(co.page, 'erasure-submit').click();
  assert.equal(await byId(co.page, 'error-pseudonym').textContent(), 'Podaj pseudonim.');
  await byId(co.page, 'erasure-pseudonym').fill('  pan JANEK ');
  await byId(co.page, 'erasure-submit').click();
  assert.match(await byId(co.page, 'erasure-confirm-box').textContent(), /„pan JANEK”\? Tego nie da się cofnąć/);
  await screenshot(co.page, '25-erasure-confirm');
  await byId(co.page, 'erasure-confirm').click();
  await byId(co.page, 'erasure-result').waitFor();
  assert.equal(await byId(co.page, 'erasure-result').textContent(), 'Usunięto dane z kontaktów: 1.');

  // The streetworker's phone, after its sync: no notes in the list, no pseudonym in the form;
  // the count of people stays.
  await syncNow(sw.page);
  await sw.page.waitForFunction(() => !document.querySelector('[data-testid=contact-item]')?.textContent.includes('kaszle'), null, { timeout: 30_000 });
  assert.match(await item.first().getByTestId('contact-item-headcount').textContent(), /^2 /);
  await item.first().locator('a').click();
  await byId(sw.page, 'contact-pseudonym').waitFor();
  assert.equal(await byId(sw.page, 'contact-pseudonym').inputValue(), '');
  assert.equal(await byId(sw.page, 'contact-notes').inputValue(), '');
  const held = await sw.page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('latarnia');
    open.onsuccess = () => {
      const all = open.result.transaction('contacts').objectStore('contacts').getAll();
      all.onsuccess = () => resolve(JSON.stringify(all.result));
      all.onerror = () => reject(all.error);
    };
    open.onerror = () => reject(open.error);
  }));
  assert.doesNotMatch(held.toLowerCase(), /janek|kaszle/, 'nothing of it is left in the phone\'s store');
  for (const p of [sw, co]) {
    assert.deepEqual(p.watch.problems, []);
    await p.context.close();
  }
});

// Remote wipe (issue 16): a lost phone is withdrawn with `token revoke`; at its next request it
// erases its records (sent or not), its outbox and its map tiles, keeps the app shell, and says why.
const idbDump = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('latarnia');
  open.onsuccess = () => {
    const db = open.result;
    const names = [...db.objectStoreNames];
    const tx = db.transaction(names);
    const out = {};
    for (const n of names) tx.objectStore(n).getAll().onsuccess = (e) => { out[n] = e.target.result; };
    tx.oncomplete = () => resolve(JSON.stringify(out));
    tx.onerror = () => reject(tx.error);
  };
  open.onerror = () => reject(open.error);
}));

test('a phone withdrawn with `token revoke` empties itself at its next sync and says why', T, async () => {
  const ola = await server.addUser('ola-w');
  const sw = await phone(ola);
  await byId(sw.page, 'patrol-start').click();
  const record = async (pseudonym, notes) => {
    await byId(sw.page, 'contact-new').click();
    await byId(sw.page, 'contact-pseudonym').fill(pseudonym);
    await byId(sw.page, 'contact-notes').fill(notes);
    await byId(sw.page, 'contact-save').click();
    await byId(sw.page, 'contact-list').getByText(notes).waitFor();
  };
  await record('Pan Zbyszek', 'WIPE-MARKER-SENT');
  await syncNow(sw.page);
  // One more, not yet sent: the phone may be in a stranger's hands, so it goes too.
  await sw.context.setOffline(true);
  await record('Pani Irena', 'WIPE-MARKER-UNSENT');
  // Both are held (sealed: their text is never in the store, only their ids), one waiting to go.
  const held = JSON.parse(await idbDump(sw.page));
  assert.ok(held.contacts.length >= 2, 'both contacts (and the colleagues\' pulled ones)');
  assert.equal(held.outbox.length, 1);
  assert.ok(held.meta.some((m) => m.key === 'keys') && held.meta.some((m) => m.key === 'session'));
  assert.ok(await sw.page.evaluate(() => caches.has('latarnia-tiles')), 'the tile cache exists before');

  await server.cli('token', 'revoke', 'ola-w');
  await sw.context.setOffline(false);
  await byId(sw.page, 'signed-out-why').waitFor({ timeout: 60_000 });
  assert.equal(await byId(sw.page, 'signed-out-why').textContent(),
    'Organizacja cofnęła dostęp temu telefonowi. Wszystkie dane zapisane na nim zostały usunięte. Zaloguj się ponownie, jeśli to pomyłka.');
  await byId(sw.page, 'login-submit').waitFor();
  await screenshot(sw.page, '26-remote-wipe');
  const left = JSON.parse(await idbDump(sw.page));
  assert.deepEqual([left.contacts.length, left.patrols.length, left.outbox.length], [0, 0, 0], 'no record, sent or unsent, is left');
  assert.deepEqual(left.meta.map((m) => m.key).sort(), ['clock', 'schema'], 'no session, no key ring, no draft is left');
  const caches = await sw.page.evaluate(() => caches.keys());
  assert.ok(!caches.includes('latarnia-tiles'), `the tile cache is gone: ${caches}`);
  assert.ok(caches.some((c) => c.startsWith('latarnia-shell-')), `the app shell stays: ${caches}`);
  assert.deepEqual(sw.watch.problems, []);
  await sw.context.close();
});
