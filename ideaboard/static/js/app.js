// The site's own script (the Content-Security-Policy allows no inline script): forms that ask before they act.
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// htmx leaves error responses unswapped (only 422 forms are swapped, see base.html's htmx-config), so without this
// a refused or failed request shows nothing. Show the server's own message in the page's alert region instead.
(function () {
  "use strict";

  function serverMessage(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    var body = xhr.responseText || "";
    if (type.indexOf("text/html") === 0) {
      var page = new DOMParser().parseFromString(body, "text/html");
      var marked = page.querySelector("[data-error-message]");
      body = marked ? marked.textContent : "";
    }
    body = body.trim();
    if (body && body.length <= 300) return body;
    if (xhr.status === 429) return "Too many requests. Wait a moment and try again.";
    if (xhr.status >= 500) return "Something went wrong on our side. Nothing you typed is lost; try again in a moment.";
    return "That did not work (error " + xhr.status + "). Reload the page and try again.";
  }

  function show(message) {
    var region = document.getElementById("request-errors");
    if (!region) return;
    var line = document.createElement("p");
    line.className = "flash flash-error";
    line.textContent = message;
    region.replaceChildren(line);
    region.hidden = false;
    region.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:responseError", function (event) {
    show(serverMessage(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    show("Could not reach the server. Check your connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-errors");
    if (region) region.hidden = true;
  });
})();

// Live updates (ideaboard/live.py) with the htmx SSE extension: <body sse-connect> opens the page's one stream;
// elements swap what it sends (sse-swap) or re-fetch themselves (hx-trigger="sse:..."). The browser reconnects by
// itself with Last-Event-ID; when the extension has to open a new stream (the old one was refused), this asks for
// what was missed with ?since=. Without JavaScript or EventSource the page is the same; a reload shows all.
(function () {
  "use strict";
  if (!window.EventSource || !window.htmx) return;
  var lastId = null;
  var wrapped = new WeakMap();

  window.htmx.createEventSource = function (url) {
    if (lastId) url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(lastId);
    var source = new EventSource(url, { withCredentials: true });
    var add = source.addEventListener.bind(source);
    var remove = source.removeEventListener.bind(source);
    source.addEventListener = function (name, listener, options) {
      var inner = function (event) {
        if (event.lastEventId) lastId = event.lastEventId;
        return listener.call(this, event);
      };
      wrapped.set(listener, inner);
      add(name, inner, options);
    };
    source.removeEventListener = function (name, listener, options) {
      remove(name, wrapped.get(listener) || listener, options);
    };
    return source;
  };

  document.addEventListener("htmx:sseOpen", function (event) {
    event.target.setAttribute("data-live-state", "open");
  });
  document.addEventListener("htmx:sseError", function (event) {
    event.target.setAttribute("data-live-state", "lost");
  });
  // A comment this page already shows (its author's own page got it back from the post) is not added twice.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (event.detail.type !== "comment") return;
    var match = /id="(comment-\d+)"/.exec(event.detail.data || "");
    if (match && document.getElementById(match[1])) event.preventDefault();
  });
})();

// "Copy link" beside the share link: without JavaScript the link stays in a read-only box to select and copy.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.value).then(function () {
      button.textContent = "Link copied";
    }, function () {
      source.select();
    });
  });
})();

// @name suggestions under a comment box (GET /mentions, swapped in by htmx): a click completes the name being typed.
document.addEventListener("click", function (event) {
  "use strict";
  var button = event.target.closest && event.target.closest("[data-mention]");
  if (!button) return;
  var box = document.querySelector(button.getAttribute("data-for"));
  if (!box) return;
  box.value = box.value.replace(/@[\w.\-]*$/, "") + button.getAttribute("data-mention") + " ";
  box.focus();
  var list = button.parentNode;
  if (list) list.replaceChildren();
});

// Image uploads: a file dropped on the form goes into its file input (the form is a plain upload without this).
(function () {
  "use strict";
  function zone(event) { return event.target.closest && event.target.closest("form[data-drop]"); }
  document.addEventListener("dragover", function (event) {
    var form = zone(event);
    if (!form) return;
    event.preventDefault();
    form.classList.add("dropping");
  });
  document.addEventListener("dragleave", function (event) {
    var form = zone(event);
    if (form) form.classList.remove("dropping");
  });
  document.addEventListener("drop", function (event) {
    var form = zone(event);
    if (!form || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    form.classList.remove("dropping");
    var input = form.querySelector("input[type=file]");
    input.files = event.dataTransfer.files;
    if (form.dataset.drop !== "keep") form.requestSubmit();  // a form being written keeps the file for its submit
  });
})();
