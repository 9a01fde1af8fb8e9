// Runs before the app: applies the saved theme (no flash at night) and registers the service
// worker. When a new version has been fetched in the background, it tells the app, which
// offers "reload to update"; the new version takes over only when the user says so.
(function () {
  try {
    var theme = localStorage.getItem('theme');
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
    if (localStorage.getItem('lang') === 'en') document.documentElement.lang = 'en';
  } catch (e) { /* storage blocked: keep the defaults */ }

  // The page's first frame (web/index.html), before the app's code: its own lock screen on a
  // locked phone, its own sign-in form on a phone with no session (a flag the app keeps), the
  // splash otherwise (a phone waiting for its PIN to be set) and on the public list of beds.
  var start = 'sign-in';
  try {
    var session = localStorage.getItem('session');
    if (location.pathname.indexOf('/public/') === 0 || (session && session !== 'locked')) start = 'splash';
    else if (session === 'locked') start = 'lock';
  } catch (e) { /* storage blocked: the sign-in form */ }
  document.documentElement.dataset.start = start;
  if (document.documentElement.lang === 'en') {
    document.addEventListener('DOMContentLoaded', function () {
      document.querySelectorAll('[data-label-en]').forEach(function (el) { el.setAttribute('aria-label', el.dataset.labelEn); });
    });
  }

  // The app's code could not be fetched or started (the start script in index.html): say so,
  // with a retry, instead of a form that waits for ever.
  window.latarniaStartFailed = function () {
    document.getElementById('start-failed').hidden = false;
    var busy = document.getElementById('shell-busy');
    if (busy) busy.hidden = true;
  };
  document.addEventListener('click', function (e) {
    if (e.target.closest && e.target.closest('#start-retry')) location.reload();
  });

  // The page's forms, sent before the app has started: held until the app takes them over.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (form.id !== 'shell-form' && form.id !== 'lock-shell-form') return;
    e.preventDefault();
    window.latarniaShellSent = form.id;
    form.querySelector('[type=submit]').disabled = true;
    if (form.id === 'shell-form') document.getElementById('shell-busy').hidden = false;
  });
  // The page's PIN field: digits only, typed or from its keypad; "unlock" once there is one.
  function pinTyped(pin, text) {
    pin.value = text.replace(/\D/g, '').slice(0, pin.maxLength);
    document.getElementById('lock-shell-submit').disabled = !pin.value;
  }
  document.addEventListener('input', function (e) {
    if (e.target.id === 'lock-shell-pin') pinTyped(e.target, e.target.value);
  });
  document.addEventListener('click', function (e) {
    var key = e.target.closest && e.target.closest('#lock-shell .key');
    if (!key) return;
    var pin = document.getElementById('lock-shell-pin');
    pinTyped(pin, key.classList.contains('key-erase') ? pin.value.slice(0, -1) : pin.value + key.textContent);
  });

  // The map's script (`map.js`, Leaflet's driver) is fetched when the app first asks for the
  // map, not with the page: on a slow line every byte before the app's code delays it. Its
  // calls wait for it; `map.js` puts the real ones in place of these.
  var mapScript = null;
  function loadMap() {
    if (!mapScript) {
      mapScript = new Promise(function (ok, fail) {
        var s = document.createElement('script');
        s.src = '/map.js';
        s.onload = ok;
        s.onerror = function () { mapScript = null; s.remove(); fail(new Error('could not load /map.js')); };
        document.head.appendChild(s);
      });
    }
    return mapScript;
  }
  var mapStub = window.latarniaMap = {
    ready: function () {
      return loadMap().then(function () {
        if (window.latarniaMap === mapStub) throw new Error('/map.js did not start');
        return window.latarniaMap.ready();
      });
    },
    warm: function () { mapStub.ready().catch(function () {}); },
  };

  // Once the app's first screen is usable and the code it needs next has come (the app calls
  // this), the manifest, whose icons a browser fetches at once, and the service worker, whose
  // install downloads every part of the app: before that, both would share a slow line with
  // the app's own code.
  var started = false;
  window.latarniaStarted = function () {
    if (started) return;
    started = true;
    var manifest = document.createElement('link');
    manifest.rel = 'manifest';
    manifest.href = '/manifest.webmanifest';
    document.head.appendChild(manifest);
    registerWorker();
  };

  if (!('serviceWorker' in navigator)) return;

  function announce() {
    window.latarniaUpdateReady = true;
    window.dispatchEvent(new CustomEvent('latarnia-update'));
  }

  // Reload only when the user asked for the new version: the first install also changes the
  // controller (clients.claim), and must not reload a page someone is typing in.
  var applying = false;
  var reloading = false;
  window.latarniaApplyUpdate = function () {
    applying = true;
    navigator.serviceWorker.getRegistration().then(function (reg) {
      if (reg && reg.waiting) reg.waiting.postMessage('skip-waiting');
      else window.location.reload();
    });
  };
  navigator.serviceWorker.addEventListener('controllerchange', function () {
    if (!applying || reloading) return;
    reloading = true;
    window.location.reload();
  });

  function registerWorker() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.register('/sw.js').then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) announce();
      reg.addEventListener('updatefound', function () {
        var worker = reg.installing;
        if (!worker) return;
        worker.addEventListener('statechange', function () {
          // An installed worker while another controls the page is an update, not a first visit.
          if (worker.state === 'installed' && navigator.serviceWorker.controller) announce();
        });
      });
      // Look for a new version now and then while the app stays open (a night shift is long).
      setInterval(function () { reg.update().catch(function () {}); }, 30 * 60 * 1000);
    }).catch(function (e) { console.warn('service worker not registered', e); });
  }
})();
