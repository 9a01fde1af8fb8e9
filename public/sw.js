// Latarnia's service worker. The build (`cargo xtask build`) replaces the two placeholders
// below with the build's version and the list of every file of the app shell, so a new build
// is a new worker. It never touches /api/: sync always talks to the server.
//
// Map tiles (images from another origin: the CSP allows only the configured tile server) are
// kept as they are seen, up to MAX_TILES, the oldest evicted first, so a district looked at once
// online is there offline. Nothing is ever downloaded ahead (tile servers' policies forbid bulk
// download).
const VERSION = '__LATARNIA_VERSION__';
const PRECACHE = ['__LATARNIA_PRECACHE__'];
const CACHE = 'latarnia-shell-' + VERSION;
const TILES = 'latarnia-tiles';
const MAX_TILES = 2000;
let tilesSinceTrim = 0;

self.addEventListener('install', (event) => {
  // The new version is downloaded in the background; it waits until the user reloads.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('latarnia-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => caches.open(TILES).then((cache) => trimTiles(cache, MAX_TILES)))
      .then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin && request.destination === 'image') {
    event.respondWith(tile(request));
    return;
  }
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;

  if (request.mode === 'navigate') {
    // Every app route is the same shell, from the cache of this version: works with no network.
    event.respondWith(
      caches.open(CACHE)
        .then((cache) => cache.match('/index.html'))
        .then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(
    caches.open(CACHE)
      .then((cache) => cache.match(request, { ignoreSearch: true }))
      .then((hit) => hit || fetch(request)));
});

// A tile: from the cache when seen before, else from the network (kept when it arrives).
async function tile(request) {
  const cache = await caches.open(TILES);
  const hit = await cache.match(request);
  if (hit) return hit;
  let response;
  try {
    response = await fetch(request);
  } catch (e) {
    // Offline and never seen: the map shows its plain background there.
    return new Response('', { status: 504, statusText: 'offline' });
  }
  if (response.ok && response.type !== 'opaque') {
    await cache.put(request, response.clone());
    if (++tilesSinceTrim >= 50) {
      tilesSinceTrim = 0;
      await trimTiles(cache, MAX_TILES);
    }
  }
  return response;
}

// Keeps the newest `max` tiles: a cache lists its entries in the order they were added.
async function trimTiles(cache, max) {
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - max)).map((k) => cache.delete(k)));
}
