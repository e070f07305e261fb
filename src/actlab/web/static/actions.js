// Learner actions (an answer, a review, a finished section) are sent with an
// action id made once per action. The action waits in localStorage until the
// server has stored it, and is sent again after a failed or lost request, so
// a reload or a restarted server loses nothing; the id keeps a resent action
// from counting twice.
(function () {
  "use strict";
  if (window.actlab && window.actlab.sendAction) return;

  const KEY = "actlab.pendingActions";
  const RETRY_MS = 3000;
  let retryTimer = null;
  let flushing = null;

  class ActionError extends Error {
    // `kept` is true when the action waits to be sent again.
    constructor(message, status, kept) {
      super(message);
      this.status = status;
      this.kept = kept;
    }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function readPending() {
    try {
      const list = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (error) {
      return [];
    }
  }

  function writePending(list) {
    try {
      localStorage.setItem(KEY, JSON.stringify(list));
    } catch (error) {
      // Storage full or off: the action is still sent, only not kept.
    }
    showStatus(list.length);
  }

  function remember(action) {
    writePending([...readPending(), action]);
  }

  function forget(actionId) {
    writePending(readPending().filter((a) => a.body.action_id !== actionId));
  }

  function showStatus(count) {
    const status = document.getElementById("save-status");
    if (!status) return;
    status.hidden = count === 0;
    status.textContent =
      count === 1
        ? "1 answer waits to be saved; it is sent again automatically"
        : `${count} answers wait to be saved; they are sent again automatically`;
    document.dispatchEvent(
      new CustomEvent("actlab:pending", { detail: { count } }),
    );
  }

  async function post(action) {
    const response = await fetch(action.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(action.body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    return { response, data };
  }

  function retryLater() {
    if (retryTimer === null) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        flush();
      }, RETRY_MS);
    }
  }

  function delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function keptMessage(result) {
    if (result === null) {
      return "The lab did not respond; your answer is kept and sent again when it is back.";
    }
    const { response, data } = result;
    const detail = (data.detail || `The lab responded ${response.status}`).replace(
      /[.\s]*$/,
      ".",
    );
    return `${detail} Your answer is kept and sent again.`;
  }

  // Send one action; resolve with the server's JSON, or reject with an
  // ActionError. A 4xx response is final (the action is dropped and its
  // message shown). After a 5xx or a lost request the action is kept: with
  // `options.onWait`, this call reports the message through it and keeps
  // sending the same action until the server responds, so the page can show
  // the result and the learner cannot send the action twice. Without it, the
  // call rejects and the action is sent again later in the background.
  async function sendAction(url, body, options = {}) {
    // A page may pass the action_id of an earlier try to send it again.
    const actionId = body.action_id || newId();
    forget(actionId);
    const action = { url, body: { ...body, action_id: actionId }, at: Date.now() };
    remember(action);
    for (;;) {
      let result = null;
      try {
        result = await post(action);
      } catch (error) {
        result = null;
      }
      if (result !== null && result.response.status < 500) {
        forget(actionId);
        const { response, data } = result;
        if (!response.ok) {
          throw new ActionError(
            data.detail || `The lab responded ${response.status}.`,
            response.status,
            false,
          );
        }
        return data;
      }
      const status = result === null ? 0 : result.response.status;
      if (!options.onWait) {
        retryLater();
        throw new ActionError(keptMessage(result), status, true);
      }
      options.onWait(keptMessage(result));
      await delay(RETRY_MS);
    }
  }

  // Send every waiting action, oldest first; stop at the first that fails
  // for a reason other than the request itself.
  function flush() {
    if (flushing) return flushing;
    flushing = (async () => {
      for (const action of readPending()) {
        try {
          const { response } = await post(action);
          if (response.status >= 500) {
            retryLater();
            return;
          }
          forget(action.body.action_id);
        } catch (error) {
          retryLater();
          return;
        }
      }
    })().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  window.actlab = Object.assign(window.actlab || {}, {
    ActionError,
    sendAction,
    flushActions: flush,
    pendingActions: () => readPending().length,
  });
  window.addEventListener("online", flush);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      showStatus(readPending().length);
      flush();
    });
  } else {
    showStatus(readPending().length);
    flush();
  }
})();
