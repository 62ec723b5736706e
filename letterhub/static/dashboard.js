// The letter page: a box that selects every organisation on the page for the bulk actions.
// Without JavaScript the box stays hidden and each row is selected on its own.
(function () {
  var all = document.getElementById("select-page");
  if (!all) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="invitation_ids"]'));
  if (!boxes.length) return;
  all.hidden = false;
  function sync() {
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) { box.addEventListener("change", sync); });
  sync();
})();
