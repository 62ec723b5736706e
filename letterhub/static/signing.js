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
