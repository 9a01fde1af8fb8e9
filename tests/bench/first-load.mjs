// Issue 18's targets: what a phone downloads before the sign-in form is usable (the first
// load), the whole app with every part, the first visit on a slow phone (Chromium's DevTools
// throttling through CDP), and Lighthouse 12.2.3. Used by bench.mjs, which writes the rows.
import { get } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, openProfile, tempDir, byId, signIn, navTo } from '../e2e/harness.mjs';

const KB = (n) => `${(n / 1024).toFixed(1)} KB`;

/** A file of dist/ as the server sends it to a browser that accepts Brotli: its .br copy
 * where the build wrote one, otherwise what the server at `url` answers (the page in Brotli,
 * made once at its start; the rest gzipped per request), counted as it comes on the wire. */
export async function served(dist, rel, url) {
  const file = join(dist, rel);
  if (existsSync(`${file}.br`)) return readFileSync(`${file}.br`).length;
  const path = rel === 'index.html' ? '/' : `/${rel}`;
  return new Promise((ok, fail) => {
    get(`${url}${path}`, { headers: { 'accept-encoding': 'br, gzip' } }, (r) => {
      let n = 0;
      r.on('data', (b) => { n += b.length; });
      r.on('end', () => ok(n));
    }).on('error', fail);
  });
}

/** Every file of the app that is code or style: the page, its scripts, styles and wasm. */
export function appFiles(dist, dir = '') {
  const out = [];
  for (const f of readdirSync(join(dist, dir))) {
    const rel = dir ? `${dir}/${f}` : f;
    if (statSync(join(dist, rel)).isDirectory()) {
      if (f !== 'icons') out.push(...appFiles(dist, rel));
    } else if (/\.(wasm|js|css|html)$/.test(f)) {
      out.push(rel);
    }
  }
  return out;
}

const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 };

/** A fresh phone's first visit: the files it fetched before the sign-in form was usable, and
 * the time to that, on slow 4G with a 4× slower CPU; then, signed in, the time from the tap to
 * a coordinators' screen drawn the first time (its part fetched online). */
export async function firstVisit(server, { throttle }) {
  const context = await openProfile(tempDir('bench-first'));
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  if (throttle) {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  }
  // The moment the sign-in button exists and can be pressed, seen from inside the page.
  await page.addInitScript(() => {
    const seen = () => {
      const b = document.querySelector('[data-testid=login-submit]');
      if (b && !b.disabled && !window.__signInReady) window.__signInReady = performance.now();
    };
    new MutationObserver(seen).observe(document, { childList: true, subtree: true, attributes: true });
  });
  await page.goto(server.url);
  await page.waitForFunction(() => window.__signInReady, null, { timeout: 120_000 });
  const ready = await page.evaluate(() => window.__signInReady);
  // What the page had asked for by then (the browser's own record: the parts the app fetches
  // once its form is up, while the password is typed, are not part of the first load).
  const fetched = await page.evaluate(() => ['/', ...performance.getEntriesByType('resource')
    .filter((e) => e.startTime <= window.__signInReady).map((e) => new URL(e.name).pathname)]);
  // The page's own sign-in form (typeable, and its "sign in" held for the app) is drawn with
  // the page's first paint.
  const drawn = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
  const firstFiles = [...new Set(fetched.map((p) => (p === '/' ? 'index.html' : p.slice(1))))];
  await signIn(page, server);
  const t0 = Date.now();
  await navTo(page, 'nav-indicators');
  await byId(page, 'indicators-from').waitFor({ timeout: 120_000 });
  const coordinators = Date.now() - t0;
  await context.close();
  return { ready, drawn, firstFiles, coordinators };
}

/** Lighthouse 12.2.3 (installed under target/, not in the app's lock: only the bench needs it)
 * on `url`, mobile with its default simulated throttling; the scores of three runs. */
export function lighthouse(url, runs = 3, profile = null) {
  const dir = join(ROOT, 'target/lighthouse');
  const bin = join(dir, 'node_modules/.bin/lighthouse');
  if (!existsSync(bin)) {
    execFileSync('npm', ['i', '--prefix', dir, '--no-audit', '--no-fund', '-E', 'lighthouse@12.2.3'], { stdio: 'inherit' });
  }
  const out = [];
  for (let i = 0; i < runs; i++) {
    const json = join(tempDir('lh'), 'report.json');
    // Lighthouse now and then fails to record its trace on this VM ("NO_NAVSTART"): a failed
    // run is run again (at most twice), never counted.
    for (let attempt = 0; ; attempt++) {
      try {
        execFileSync(bin, [url, '--quiet', '--output=json', `--output-path=${json}`,
          '--only-categories=performance,accessibility,best-practices',
          `--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync${profile ? ` --user-data-dir=${profile}` : ''}`],
        { env: { ...process.env, CHROME_PATH: '/usr/bin/chromium' }, stdio: ['ignore', 'ignore', 'inherit'] });
        break;
      } catch (e) {
        if (attempt >= 2) throw e;
        console.log(`Lighthouse failed (${e.message.split('\n')[0]}); running it again`);
      }
    }
    const r = JSON.parse(readFileSync(json, 'utf8'));
    out.push({
      performance: Math.round(r.categories.performance.score * 100),
      accessibility: Math.round(r.categories.accessibility.score * 100),
      bestPractices: Math.round(r.categories['best-practices'].score * 100),
      lcp: r.audits['largest-contentful-paint'].numericValue,
      tbt: r.audits['total-blocking-time'].numericValue,
    });
  }
  return out;
}

export { KB };
