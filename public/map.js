// The map, driven by the app (src/components/map_view.rs): Leaflet and its marker clustering,
// loaded on first use from /vendor/ (copied from npm by Trunk, precached by the service worker).
// The app hands it plain data (JSON) and callbacks; it never reads the app's storage.
//
// With no tiles (offline, never seen, or the tile server unreachable) the map is a plain
// background with the scale, and every place is still drawn.
(function () {
  'use strict';
  var loading = null;

  function script(src) {
    return new Promise(function (ok, fail) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = ok;
      s.onerror = function () { fail(new Error('could not load ' + src)); };
      document.head.appendChild(s);
    });
  }

  function style(href) {
    if (document.querySelector('link[href="' + href + '"]')) return;
    var l = document.createElement('link');
    l.rel = 'stylesheet';
    l.href = href;
    document.head.appendChild(l);
  }

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  // One marker: a round badge, coloured by status, with the place type's letter; reports are
  // a diamond. HTML text, escaped: the element is made only when the marker is shown.
  function icon(p) {
    var testid = p.kind === 'report' ? 'map-report' : 'map-marker';
    return L.divIcon({
      className: 'map-marker ' + p.classes,
      html: '<span class="marker-badge" data-testid="' + testid + '" data-id="' + escape(p.id) + '" title="' +
        escape(p.label) + '">' + escape(p.symbol || '') + '</span>',
      iconSize: [30, 30],
      iconAnchor: [15, 15],
    });
  }

  function Map(el, o) {
    var self = this;
    this.o = o;
    this.map = L.map(el, {
      zoomControl: true,
      minZoom: 5, // Poland: fewer levels for the clustering to build

      preferCanvas: true,
      tap: true,
      attributionControl: true,
    });
    this.map.attributionControl.setPrefix(false);
    this.tiles = L.tileLayer(o.tileUrl, {
      attribution: o.attribution,
      maxZoom: 19,
      crossOrigin: 'anonymous',
    }).addTo(this.map);
    L.control.scale({ imperial: false }).addTo(this.map);
    this.cluster = L.markerClusterGroup({
      chunkedLoading: true,
      // Called before the last chunk's markers reach the page: measured just after.
      chunkProgress: function (done, total) { if (done === total) setTimeout(function () { self.drawn(total); }, 0); },
      showCoverageOnHover: false,
      disableClusteringAtZoom: 17,
      maxClusterRadius: 50,
    });
    this.map.addLayer(this.cluster);
    this.here = null;
    this.pin = null;
    this.fitted = false;
    this.map.setView([o.lat, o.lon], o.zoom);
    this.map.on('click', function (e) {
      // A form choosing a position: a tap puts the pin there (the first tap makes it).
      if (o.pinMovable) self.movePin(e.latlng.lat, e.latlng.lng, true);
      if (o.onTap) o.onTap(e.latlng.lat, e.latlng.lng);
    });
  }

  // Replaces every marker: [{id, lat, lon, kind, classes, symbol, label}].
  Map.prototype.setPoints = function (json) {
    var self = this;
    performance.mark('map-points');
    var points = JSON.parse(json);
    var markers = points.map(function (p) {
      var m = L.marker([p.lat, p.lon], { icon: icon(p), keyboard: true, title: p.label });
      m.on('click', function () { if (self.o.onSelect) self.o.onSelect(p.kind, p.id); });
      return m;
    });
    performance.mark('map-markers');
    this.cluster.clearLayers();
    this.cluster.addLayers(markers);
    performance.mark('map-clustered');
    if (markers.length === 0) this.drawn(0);
    if (!this.fitted && this.o.fit && markers.length > 0) {
      this.fitted = true;
      var bounds = L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; }));
      this.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17, animate: false });
    }
  };

  // Replaces the drawn areas (a count's sectors): [{label, corners: [[lat, lon]…], classes}].
  // An area of fewer than three corners is drawn as its line so far.
  Map.prototype.setShapes = function (json) {
    if (this.shapes) this.shapes.remove();
    var layers = JSON.parse(json).map(function (a) {
      // Styled here: the map draws on a canvas, where CSS classes do not reach.
      var drawing = (a.classes || '').indexOf('drawing') >= 0;
      var opts = { color: '#9a6700', weight: drawing ? 4 : 3, dashArray: drawing ? '6 4' : null,
        fillColor: '#ffc43d', fillOpacity: 0.15, interactive: false };
      var shape = a.corners.length >= 3 ? L.polygon(a.corners, opts) : L.polyline(a.corners, opts);
      if (a.label && a.corners.length > 0) shape.bindTooltip(a.label, { permanent: true, direction: 'center', className: 'sector-label' });
      return shape;
    });
    this.shapes = L.layerGroup(layers).addTo(this.map);
    if (!this.fitted && this.o.fit && layers.length > 0) {
      var all = [];
      JSON.parse(json).forEach(function (a) { all = all.concat(a.corners); });
      if (all.length > 1) {
        this.fitted = true;
        this.map.fitBounds(L.latLngBounds(all), { padding: [30, 30], maxZoom: 17, animate: false });
      }
    }
  };

  // Every marker is on the map (clustered): the tests and the benchmark wait for this.
  Map.prototype.drawn = function (count) {
    this.el().setAttribute('data-marker-count', String(count));
    try { performance.measure('map-render', 'map-start'); } catch (e) { /* no start mark */ }
  };

  // The phone's position and its accuracy circle.
  Map.prototype.setHere = function (lat, lon, accuracy) {
    if (this.here) this.here.remove();
    this.here = null;
    if (!isFinite(lat) || !isFinite(lon)) return;
    // The first fix centres a map that has nothing else to show yet.
    if (!this.fitted && !this.hereSeen && !this.pin) this.map.setView([lat, lon], 17, { animate: false });
    this.hereSeen = true;
    this.here = L.layerGroup([
      L.circle([lat, lon], { radius: Math.max(accuracy, 1), className: 'here-accuracy', interactive: false }),
      L.circleMarker([lat, lon], { radius: 7, className: 'here-dot', interactive: false }),
    ]).addTo(this.map);
  };

  // The pin of a place being edited: dragged, or moved by a tap.
  Map.prototype.setPin = function (lat, lon) {
    var self = this;
    if (!isFinite(lat) || !isFinite(lon)) {
      if (this.pin) this.pin.remove();
      this.pin = null;
      return;
    }
    if (this.pin) {
      this.pin.setLatLng([lat, lon]);
      return;
    }
    this.map.setView([lat, lon], Math.max(this.map.getZoom(), 17), { animate: false });
    var el = document.createElement('span');
    el.className = 'marker-badge';
    el.setAttribute('data-testid', 'map-pin');
    this.pin = L.marker([lat, lon], {
      draggable: true,
      autoPan: true,
      icon: L.divIcon({ className: 'map-marker map-pin', html: el, iconSize: [34, 34], iconAnchor: [17, 34] }),
    }).addTo(this.map);
    this.pin.on('dragend', function () {
      var p = self.pin.getLatLng();
      if (self.o.onPin) self.o.onPin(p.lat, p.lng);
    });
  };

  Map.prototype.movePin = function (lat, lon, tell) {
    this.setPin(lat, lon);
    if (tell && this.o.onPin) this.o.onPin(lat, lon);
  };

  Map.prototype.el = function () { return this.map.getContainer(); };
  Map.prototype.destroy = function () { this.map.remove(); };

  window.latarniaMap = {
    // Resolves when Leaflet is there (loaded once per page).
    ready: function () {
      if (!loading) {
        // The map's styles come with it: the first screen does not wait for them.
        ['/vendor/leaflet.css', '/vendor/MarkerCluster.css', '/vendor/MarkerCluster.Default.css'].forEach(style);
        loading = script('/vendor/leaflet.js').then(function () {
          return script('/vendor/leaflet.markercluster.js');
        }).then(function () { performance.mark('map-leaflet'); });
        loading.catch(function () { loading = null; });
      }
      return loading;
    },
    // Fetches and parses Leaflet ahead of the map (the app calls it after a sync: never on the
    // sign-in page, where it would compete with the first load); a failure is tried again when
    // the map opens.
    warm: function () { this.ready().catch(function () {}); },
    create: function (el, options) { return new Map(el, options); },
  };
})();
