// Register the service worker (offline page, home-screen install). Served from /sw.js so it covers the whole app.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
  });
}
