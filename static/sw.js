// Clientbook's service worker: a clear offline page when the shop's network drops.
// Pages hold client details and are never cached; only the offline page and what it needs are.
const CACHE = "clientbook-offline-v1";
const OFFLINE_URL = "/static/offline.html";
const OFFLINE_FILES = [OFFLINE_URL, "/static/css/app.css", "/static/icons/icon-192.png", "/static/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(OFFLINE_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  // The offline page's own style and images, when the network is gone.
  if (OFFLINE_FILES.includes(new URL(request.url).pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(request, {ignoreSearch: true})));
  }
});
