// Tell the coordinator that a person opened the invitation. Runs only in a real browser
// that shows the page; the GET itself never changes anything (mail scanners open links).
(function () {
  var page = document.getElementById("signing-page");
  if (!page || !window.fetch) return;
  function report() {
    if (document.visibilityState !== "visible") return;
    document.removeEventListener("visibilitychange", report);
    fetch(page.dataset.openedUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": page.dataset.csrf },
    })
      // Read the answer: Chromium leaves an unread, uncacheable (no-store) body unfinished.
      .then(function (response) { return response.text(); })
      .catch(function () {});
  }
  document.addEventListener("visibilitychange", report);
  report();
})();

// A form sent back with errors: bring its summary into view and give it the focus, for
// browsers that do not honour autofocus on an element that is not a form control.
(function () {
  var summary = document.getElementById("error-summary");
  if (!summary || document.activeElement === summary) return;
  summary.focus();
  if (summary.scrollIntoView) summary.scrollIntoView({ block: "start" });
})();
