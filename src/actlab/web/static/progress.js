"use strict";

// The progress page is rendered by the server from the database. It goes
// stale in two ways, and this file reloads it in both: the browser restores
// it from its back-forward cache, or actions.js finishes sending answers
// that were waiting in this browser.
(() => {
  let waiting = window.actlab?.pendingActions?.() ?? 0;

  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });

  document.addEventListener("actlab:pending", (event) => {
    const count = event.detail.count;
    if (waiting > 0 && count === 0) window.location.reload();
    waiting = count;
  });
})();
