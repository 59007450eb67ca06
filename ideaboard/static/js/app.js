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

// Live updates (ideaboard/live.py): an element with data-live="stream URL" listens to Server-Sent Events and, on
// each event, re-fetches data-live-refresh with htmx into data-live-target. data-live-key limits it to events
// naming that key (a conversation id). Without JavaScript or EventSource the page is the same; a reload shows all.
(function () {
  "use strict";
  if (!window.EventSource) return;

  function refresh(box) {
    if (!window.htmx) return;
    var target = box.getAttribute("data-live-target");
    if (!document.querySelector(target)) return;
    window.htmx.ajax("GET", box.getAttribute("data-live-refresh"), { target: target, swap: "outerHTML" });
  }

  function listen(box) {
    var key = box.getAttribute("data-live-key");
    var source = new EventSource(box.getAttribute("data-live"));
    var opened = false;
    source.addEventListener("open", function () {
      if (opened) refresh(box); // back after a reconnect: catch up on what we missed
      opened = true;
      box.setAttribute("data-live-state", "open");
    });
    source.addEventListener("message", function (event) {
      var data = {};
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (key && String(data.conversation) !== key) return;
      refresh(box);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(listen);
  });
})();
