// Schemathesis (PyPI, in the virtualenv `cargo xtask test` creates) against the live release
// server and its generated `/api/v1/openapi.json`: every check, on every operation; any finding
// fails the test. The server holds real records first, so pulls, history and the audit answer
// with real bodies. Expected answers the schema cannot express: tests/api/schemathesis.toml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServer, api, apiLogin } from '../e2e/harness.mjs';

const BIN = process.env.LATARNIA_SCHEMATHESIS || join(ROOT, 'target/schemathesis/bin/schemathesis');
const CONFIG = join(ROOT, 'tests/api/schemathesis.toml');
// A fixed seed: the same document gives the same requests, so a run here is the run in CI.
const SEED = process.env.LATARNIA_SCHEMATHESIS_SEED || '1';
// The count whose table is asked for (the same id in tests/api/schemathesis.toml).
const COUNT = '00000000-0000-0000-0000-00000000c017';

function schemathesis(server, token, filter) {
  return new Promise((ok, fail) => {
    const args = ['--config-file', CONFIG, 'run', `${server.url}/api/v1/openapi.json`, '--checks', 'all',
      '--seed', SEED, '--no-color', '--workers', '1', '-H', `Authorization: Bearer ${token}`, ...filter];
    const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, SCHEMATHESIS_HOOKS: '', LATARNIA_PUBLIC_ORG: server.org ?? '' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', fail);
    child.on('exit', (code) => ok({ code, out }));
  });
}

/** A few real records: a place, a contact there and a patrol, pushed as a phone would. */
async function seed(server, token) {
  const client = crypto.randomUUID();
  const hlc = (n) => `${String(Date.now()).padStart(13, '0')}-${n.toString(16).padStart(4, '0')}-${client}`;
  const site = crypto.randomUUID();
  const at = new Date(Date.now() - 86_400_000).toISOString();
  const mutations = [
    { mid: 1, collection: 'sites', id: site, op: 'upsert', hlc: hlc(1), fields: {
      label: 'Altanka', kind: 'allotment_shed', status: 'active', position: { lat: 50.81, lon: 19.12, accuracy_m: 8 },
      address: '', access_notes: '', dangers: '', usual_headcount: 2, created_at: at, merged_into: null } },
    { mid: 2, collection: 'patrols', id: crypto.randomUUID(), op: 'upsert', hlc: hlc(2), fields: {
      kind: 'night_patrol', team: ['Ala'], partner: null, area: 'Śródmieście', started_at: at, ended_at: null } },
    { mid: 3, collection: 'contacts', id: crypto.randomUUID(), op: 'upsert', hlc: hlc(3), fields: {
      patrol_id: null, site_id: site, at, headcount: 1, gender: null, age_band: null, pseudonym: 'Pan Jurek',
      sleeping_rough: true, condition: 'ok', given: {}, referrals: [], help_refused: false, follow_up: false, notes: '',
      position: null, position_status: 'unavailable' } },
  ];
  // A count night with the id the configuration gives its table (tests/api/schemathesis.toml).
  const starts = new Date(Date.now() - 3_600_000).toISOString();
  const ends = new Date(Date.now() + 3_600_000).toISOString();
  mutations.push({ mid: 4, collection: 'counts', id: COUNT, op: 'upsert', hlc: hlc(4), fields: {
    name: 'Badanie', starts_at: starts, ends_at: ends, sectors: [], entered_total: null,
    questionnaire: { questions: [{ code: 'sex', kind: 'single', pl: 'Płeć', en: 'Sex', observed: true,
      choices: [{ code: 'f', pl: 'kobieta', en: 'woman' }, { code: 'm', pl: 'mężczyzna', en: 'man' }] }] } } });
  mutations.push({ mid: 5, collection: 'facilities', id: crypto.randomUUID(), op: 'upsert', hlc: hlc(5), fields: {
    name: 'Noclegownia', kind: 'night_shelter', address: 'ul. Zielona 1', position: null, operator: '', phone: '',
    hours: [{ day: 1, from: '18:00', to: '08:00' }], closed_days: [], takes: { men: true, women: true, families: false },
    conditions: {}, capacity: 20, free_beds: 3, beds_at: at, hold_minutes: null, logins: [] } });
  const answer = await api(server, '/api/v1/sync/push', token, { client_id: client, schema_version: 1, mutations });
  assert.deepEqual(answer.results.map((r) => r.status), ['applied', 'applied', 'applied', 'applied', 'applied'], JSON.stringify(answer));
}

test('the API does what its generated document says, for every schemathesis check', { timeout: 15 * 60_000 }, async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: \`cargo xtask test\` creates it (or set LATARNIA_SCHEMATHESIS)`);
  const server = await startServer();
  try {
    const token = await apiLogin(server, server.admin);
    // Sign-out's own session, taken now: the fuzzed sign-ins soon meet the attempt limiter.
    const own = await apiLogin(server, server.admin);
    await seed(server, token);
    // The organisation shows its aid facilities publicly (the list's operation is tested on it).
    await server.cli('org', 'public-facilities', '--org', 'Latarnia');
    server.org = (await api(server, '/api/v1/me', token)).org_id;
    // Every operation but sign-out, which would end the session the others run in.
    const main = await schemathesis(server, token, ['--exclude-path', '/api/v1/auth/logout']);
    assert.match(main.out, /Tested: 13\b/, main.out);
    assert.equal(main.code, 0, main.out);
    // The document's own operation, which schemathesis leaves out unless named.
    const self = await schemathesis(server, token, ['--include-path', '/api/v1/openapi.json']);
    assert.match(self.out, /Tested: 1\b/, self.out);
    assert.equal(self.code, 0, self.out);
    // Sign-out on its own session: 204, then 401 for the same token.
    const logout = await schemathesis(server, own, ['--include-path', '/api/v1/auth/logout']);
    assert.match(logout.out, /Tested: 1\b/, logout.out);
    assert.equal(logout.code, 0, logout.out);
    // The document served is the one generated from the code, whole: every operation is in it.
    const doc = await api(server, '/api/v1/openapi.json', token);
    assert.equal(Object.values(doc.paths).flatMap((p) => Object.keys(p)).length, 15);
  } finally {
    await server.stop();
  }
});
