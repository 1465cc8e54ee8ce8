// The console works without this file; with it, parts of a page refresh themselves and forms ask first.
// An element with data-refresh="<url>" has its content replaced by that URL's HTML every data-every-ms.
// A form with data-confirm="<question>" asks before it is sent (the server asks too, without script).
"use strict";

function refresh(element) {
  const every = Math.max(500, parseInt(element.dataset.everyMs || "2000", 10));
  const tick = async () => {
    try {
      const answer = await fetch(element.dataset.refresh, {credentials: "same-origin", headers: {"Accept": "text/html"}});
      // Signed out, or no longer an operator: asking again changes nothing, and each refusal counts against the
      // address like an anonymous request. Reloading the page signs in again.
      if (answer.status === 401 || answer.status === 403) return;
      if (answer.ok) {
        element.innerHTML = await answer.text();
        if (element.querySelector("[data-final]")) return;  // nothing more will change
      }
    } catch (error) {
      // The next tick tries again; the page still shows what it last knew.
    }
    window.setTimeout(tick, every);
  };
  window.setTimeout(tick, every);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach(refresh);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
