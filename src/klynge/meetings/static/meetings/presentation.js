// The meeting presentation (MEET-7): shows one `.slide` at a time.
// Next: → ↓ PageDown space Enter, a tap on the right half, a swipe to the left.
// Back: ← ↑ PageUp Shift+space Backspace, a tap on the left half, a swipe to the right.
// Home/End: first/last slide. "f": full screen (Fullscreen API). The slide number is
// kept in the address (#3), so a reload stays on the slide. No text lives here: the
// page's labels are translated in the template.
(function () {
  "use strict";

  function start() {
    var root = document.documentElement;
    var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
    if (!slides.length) return;
    root.classList.add("js");
    var current = document.querySelector("[data-current]");
    var total = document.querySelector("[data-total]");
    var index = 0;

    function fromHash() {
      var n = parseInt(window.location.hash.slice(1), 10);
      return isNaN(n) ? 0 : n - 1;
    }

    function show(n) {
      index = Math.max(0, Math.min(slides.length - 1, n));
      slides.forEach(function (slide, i) {
        var on = i === index;
        slide.classList.toggle("current", on);
        slide.setAttribute("aria-hidden", on ? "false" : "true");
      });
      if (current) current.textContent = String(index + 1);
      if (total) total.textContent = String(slides.length);
      var hash = "#" + (index + 1);
      if (window.location.hash !== hash && window.history.replaceState) {
        window.history.replaceState(null, "", hash);
      }
    }

    function fullscreenElement() {
      return document.fullscreenElement || document.webkitFullscreenElement || null;
    }

    function toggleFullscreen() {
      if (fullscreenElement()) {
        (document.exitFullscreen || document.webkitExitFullscreen).call(document);
      } else {
        var request = root.requestFullscreen || root.webkitRequestFullscreen;
        if (request) {
          var result = request.call(root);
          if (result && result.catch) result.catch(function () {});
        }
      }
    }

    var canFullscreen = !!(root.requestFullscreen || root.webkitRequestFullscreen);
    var fsButton = document.querySelector('[data-go="fullscreen"]');
    if (fsButton && !canFullscreen) fsButton.hidden = true;  // e.g. Safari on iPhone
    ["fullscreenchange", "webkitfullscreenchange"].forEach(function (name) {
      document.addEventListener(name, function () {
        root.classList.toggle("fullscreen", !!fullscreenElement());
      });
    });

    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var target = e.target;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      var onControl = target && target.closest && target.closest("button, a");
      switch (e.key) {
        case "ArrowRight":
        case "ArrowDown":
        case "PageDown":
          show(index + 1);
          break;
        case " ":
        case "Spacebar":
          show(e.shiftKey ? index - 1 : index + 1);
          break;
        case "Enter":
          if (onControl) return;  // let a focused button or link act
          show(index + 1);
          break;
        case "ArrowLeft":
        case "ArrowUp":
        case "PageUp":
        case "Backspace":
          show(index - 1);
          break;
        case "Home":
          show(0);
          break;
        case "End":
          show(slides.length - 1);
          break;
        case "f":
        case "F":
          toggleFullscreen();
          break;
        default:
          return;
      }
      e.preventDefault();
    });

    document.addEventListener("click", function (e) {
      var go = e.target.closest && e.target.closest("[data-go]");
      if (go) {
        var action = go.getAttribute("data-go");
        if (action === "prev") show(index - 1);
        else if (action === "next") show(index + 1);
        else if (action === "fullscreen") toggleFullscreen();
        return;
      }
      if (e.target.closest && e.target.closest("a, button, .controls")) return;
      if (window.getSelection && String(window.getSelection())) return;  // selecting text
      show(e.clientX < window.innerWidth / 2 ? index - 1 : index + 1);
    });

    var touch = null;
    document.addEventListener("touchstart", function (e) {
      if (e.touches.length !== 1) { touch = null; return; }
      touch = { x: e.touches[0].clientX, y: e.touches[0].clientY };
    }, { passive: true });
    document.addEventListener("touchend", function (e) {
      if (!touch) return;
      var dx = e.changedTouches[0].clientX - touch.x;
      var dy = e.changedTouches[0].clientY - touch.y;
      touch = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
        e.preventDefault();  // a swipe, not a tap: no click follows
        show(dx < 0 ? index + 1 : index - 1);
      }
    });

    window.addEventListener("hashchange", function () { show(fromHash()); });
    show(fromHash());
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
