/*
 * The portal's small behaviours: dismissible alerts, auto-submitting selects, and ECharts charts.
 *
 * A chart is declared in a template as
 *   {{ data|json_script:"some-id" }}
 *   <div class="chart" data-chart="activity" data-chart-data="some-id" data-series-name="…"></div>
 * and drawn by the builder registered under its kind in YQ.charts. Other apps register theirs with
 * YQ.charts.register("kind", function (data, element) { return echartsOption; }).
 * Charts inside content swapped in by htmx are drawn too.
 */
(function () {
  "use strict";

  var FONT =
    '"PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif';
  var PRIMARY = "#1d5bbf";
  var builders = {};

  function register(kind, builder) {
    builders[kind] = builder;
  }

  function readData(element) {
    var source = document.getElementById(element.dataset.chartData);
    return source ? JSON.parse(source.textContent) : null;
  }

  function draw(element) {
    if (element.dataset.chartReady || typeof window.echarts === "undefined") {
      return;
    }
    var builder = builders[element.dataset.chart];
    var data = readData(element);
    if (!builder || data === null) {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    var option = builder(data, element);
    option.textStyle = Object.assign({ fontFamily: FONT }, option.textStyle || {});
    // ECharts' HTML tooltip is markup with style="" attributes, which the Content-Security-Policy
    // refuses; the rich-text tooltip is drawn in the chart's own SVG (styled through the CSSOM).
    if (option.tooltip) {
      option.tooltip = [].concat(option.tooltip).map(function (tooltip) {
        return Object.assign({ renderMode: "richText" }, tooltip);
      });
    }
    chart.setOption(option);
    element.dataset.chartReady = "1";
    new ResizeObserver(function () {
      chart.resize();
    }).observe(element);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  // Bars declare their width as data-bar-width="37%": set through the CSSOM, which the
  // Content-Security-Policy allows, where a style="" attribute would be refused.
  function sizeBars(root) {
    var scope = root || document;
    var bars = Array.prototype.slice.call(scope.querySelectorAll("[data-bar-width]"));
    if (scope.matches && scope.matches("[data-bar-width]")) {
      bars.push(scope);
    }
    bars.forEach(function (bar) {
      bar.style.width = bar.dataset.barWidth;
    });
  }

  // Audit activity per day: bars, with the day's count on hover.
  register("activity", function (data, element) {
    return {
      grid: { left: 8, right: 12, top: 16, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: {
        type: "category",
        data: data.days,
        axisTick: { alignWithLabel: true },
        axisLine: { lineStyle: { color: "#cdd5df" } },
        axisLabel: { color: "#5f6b7c" },
      },
      yAxis: {
        type: "value",
        minInterval: 1,
        splitLine: { lineStyle: { color: "#eef1f5" } },
        axisLabel: { color: "#5f6b7c" },
      },
      series: [
        {
          name: element.dataset.seriesName || "",
          type: "bar",
          data: data.events,
          barMaxWidth: 26,
          itemStyle: { color: PRIMARY, borderRadius: [3, 3, 0, 0] },
          emphasis: { itemStyle: { color: "#174c9f" } },
        },
      ],
    };
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss='alert']");
    if (close) {
      var messages = close.closest(".messages");
      close.closest("[data-alert]").remove();
      if (messages && !messages.querySelector("[data-alert]")) {
        messages.remove();
      }
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
      select.form.requestSubmit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    sizeBars(document);
    drawAll(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawAll(event.target);
  });
  // htmx:load fires for every element htmx adds, outerHTML swaps (the SLA clocks) included.
  document.addEventListener("htmx:load", function (event) {
    sizeBars(event.target);
  });

  window.YQ = window.YQ || {};
  window.YQ.charts = { register: register, drawAll: drawAll };
})();
