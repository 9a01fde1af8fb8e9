// Runs before the app: applies the saved theme (no flash at night) and registers the service
// worker. When a new version has been fetched in the background, it tells the app, which
// offers "reload to update"; the new version takes over only when the user says so.
(function () {
  try {
    var theme = localStorage.getItem('theme');
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage blocked: keep the dark default */ }

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

  window.addEventListener('load', function () {
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
  });
})();
