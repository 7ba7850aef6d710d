// Renders every element with data-vega-spec="<id of a json_script>" with vega-embed,
// on page load and after htmx swaps. Specs are built on the server; nothing leaves
// the machine (all scripts are served locally).
//
// Accessibility: the container is the chart for assistive technology. It is named by
// the spec's Danish (or English) `description` (vega-embed would otherwise say "Vega
// visualization"), is reachable with the keyboard (tabindex="0" in the template), and
// the drawn SVG is hidden from screen readers: the chart's numbers are in a table
// beside it, rendered on the server from the same data.
(function () {
  function label(el, spec) {
    el.setAttribute("role", "img");
    if (spec.description) el.setAttribute("aria-label", spec.description);
    el.removeAttribute("aria-roledescription");
    el.querySelectorAll("svg, canvas").forEach(function (node) {
      node.setAttribute("aria-hidden", "true");
      node.setAttribute("focusable", "false");
    });
  }
  function render(root) {
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      var source = document.getElementById(el.dataset.vegaSpec);
      if (!source || el.dataset.rendered === source.textContent.length + "") return;
      el.dataset.rendered = source.textContent.length + "";
      var spec = JSON.parse(source.textContent);
      vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true })
        .then(function () { label(el, spec); })
        .catch(function (err) { el.textContent = (el.dataset.errorText || "The chart could not be shown:") + " " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (e) { render(e.target); });
})();
