// The letter page after closing: follow the final documents' rendering in place. Asks the
// page's JSON status address every few seconds while a document is waiting or rendering, and
// updates each row and the live region (announced by screen readers); no page reload.
(function () {
  var section = document.getElementById("documents");
  if (!section || !section.dataset.pending || !window.fetch) return;
  var summary = section.querySelector(".documents-summary");
  var delay = 2000;

  function update(row, item) {
    var state = row.querySelector(".state");
    state.className = "state render-" + item.status;
    state.textContent = item.label;
    var error = row.querySelector(".document-error");
    error.textContent = item.error;
    error.hidden = !item.error;
    row.querySelector(".document-pages").textContent = item.pages_label ? "· " + item.pages_label : "";
    row.querySelector(".document-sha256").textContent = item.sha256;
    var name = row.querySelector(".document-name");
    if (item.url && !name.querySelector("a")) {
      var link = document.createElement("a");
      link.className = "download";
      link.href = item.url;
      link.textContent = name.textContent.trim();
      name.textContent = "";
      name.appendChild(link);
    }
  }

  function poll() {
    fetch(section.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (status) {
        status.documents.forEach(function (item) {
          var row = section.querySelector('tr[data-document="' + item.languages + '"]');
          if (row) update(row, item);
        });
        if (summary.textContent !== status.summary) summary.textContent = status.summary;
        if (!status.done) window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
