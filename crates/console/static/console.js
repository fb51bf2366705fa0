// orderbridge console: progressive enhancement only; every page works without this file.
// - A button with data-confirm asks before its form is posted.
// - A posted form's buttons are disabled, so that a double click posts once.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  window.setTimeout(function () {
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  }, 0);
});
