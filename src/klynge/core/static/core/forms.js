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
// A table too wide for the screen scrolls sideways inside its .table-wrap: the wrapper
// then becomes a named, focusable region, so keyboard users can scroll it too (WCAG
// 2.1.1). Named by the table's caption, or the heading before it.
(function () {
  function name(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var node = wrap.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
    }
    var th = wrap.querySelector("th");
    return th ? th.textContent.trim() : document.title;
  }
  function mark(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", name(wrap));
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  document.addEventListener("htmx:afterSettle", function (e) { mark(e.target); });
  window.addEventListener("resize", function () { mark(document); });
})();
