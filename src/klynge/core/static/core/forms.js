// Small behaviours without inline script (the Content Security Policy forbids it):
// <select data-autosubmit> sends its form when changed (a <noscript> button stays for
// readers without script), and <form data-confirm="question"> asks before it is sent.
(function () {
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
