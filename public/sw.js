// Latarnia's service worker. The build (`cargo xtask build`) replaces the two placeholders
// below with the build's version and the list of every file of the app shell, so a new build
// is a new worker. It never touches /api/: sync always talks to the server.
const VERSION = '__LATARNIA_VERSION__';
const PRECACHE = ['__LATARNIA_PRECACHE__'];
const CACHE = 'latarnia-shell-' + VERSION;

self.addEventListener('install', (event) => {
  // The new version is downloaded in the background; it waits until the user reloads.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('latarnia-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
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
