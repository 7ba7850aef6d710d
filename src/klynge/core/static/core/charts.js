// Renders every element with data-vega-spec="<id of a json_script>" with vega-embed,
// on page load and after htmx swaps. Specs are built on the server; nothing leaves
// the machine (all scripts are served locally).
(function () {
  function render(root) {
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      var source = document.getElementById(el.dataset.vegaSpec);
      if (!source || el.dataset.rendered === source.textContent.length + "") return;
      el.dataset.rendered = source.textContent.length + "";
      vegaEmbed(el, JSON.parse(source.textContent), { actions: false, renderer: "svg", ast: true })
        .catch(function (err) { el.textContent = "Kortet kunne ikke vises: " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (e) { render(e.target); });
})();
