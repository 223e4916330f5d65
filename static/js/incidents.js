/*
 * Incident pages: SLA countdowns that tick every second in the browser (no network).
 *
 *   <span data-countdown data-deadline="2026-02-10T18:00:00+08:00" data-warn="…">剩余 3 小时</span>
 *
 * The server renders the first text and refreshes the whole SLA card every 30 s by htmx; in between
 * this script rewrites the text each second and sets data-state (on_track / at_risk / breached) so
 * the badge colour follows. Countdowns inside content swapped in by htmx start ticking too.
 */
(function () {
  "use strict";

  var MINUTE = 60, HOUR = 3600, DAY = 86400;

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function span(seconds) {
    var s = Math.floor(Math.abs(seconds));
    var days = Math.floor(s / DAY);
    var hours = Math.floor((s % DAY) / HOUR);
    var minutes = Math.floor((s % HOUR) / MINUTE);
    var rest = s % MINUTE;
    var clock = pad(hours) + ":" + pad(minutes) + ":" + pad(rest);
    return days ? days + " 天 " + clock : clock;
  }

  function tick(element, now) {
    var deadline = Date.parse(element.dataset.deadline);
    if (isNaN(deadline)) {
      return;
    }
    var warn = Date.parse(element.dataset.warn || "");
    var left = (deadline - now) / 1000;
    var state = left <= 0 ? "breached" : !isNaN(warn) && now >= warn ? "at_risk" : "on_track";
    var label = left <= 0 ? element.dataset.overdueLabel || "已超时" : element.dataset.leftLabel || "剩余";
    element.textContent = label + " " + span(left);
    element.dataset.state = state;
  }

  function tickAll() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      tick(element, now);
    });
  }

  function addFilter(select) {
    if (select.dataset.filterReady) {
      return;
    }
    select.dataset.filterReady = "1";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "option-filter";
    input.placeholder = select.dataset.filterable || "";
    input.setAttribute("aria-label", select.dataset.filterable || "");
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = wanted !== "" && !option.selected && option.text.toLowerCase().indexOf(wanted) === -1;
      });
    });
    select.parentNode.insertBefore(input, select);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tickAll();
    document.querySelectorAll("select[multiple][data-filterable]").forEach(addFilter);
  });
  document.addEventListener("htmx:afterSwap", tickAll);
  window.setInterval(tickAll, 1000);
})();
