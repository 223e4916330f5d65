/*
 * 舆情监控 pages: the dashboard's ECharts builders, the live stream's pause while filters are
 * being edited, the customer search beside the stream's customer filter, and "copy the token".
 *
 * Charts follow app.js: {{ data|json_script:"id" }} and <div data-chart="kind" data-chart-data="id">.
 * Labels come from data-* attributes the template translates; colours from app.css's palette.
 */
(function () {
  "use strict";

  var PRIMARY = "#1d5bbf";
  var NEGATIVE = "#c92a2a";
  var AXIS = { lineStyle: { color: "#cdd5df" } };
  var LABEL = { color: "#5f6b7c" };
  var SPLIT = { lineStyle: { color: "#eef1f5" } };

  function register(kind, builder) {
    if (window.YQ && window.YQ.charts) {
      window.YQ.charts.register(kind, builder);
    }
  }

  function goTo(element, value) {
    var base = element.dataset.link;
    if (base && value !== undefined && value !== null) {
      window.location.href = base + encodeURIComponent(value);
    }
  }

  function horizontalBars(names, values, element, colour) {
    return {
      grid: { left: 8, right: 36, top: 8, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1, splitLine: SPLIT, axisLabel: LABEL },
      yAxis: {
        type: "category",
        inverse: true,
        data: names,
        axisLine: AXIS,
        axisTick: { show: false },
        axisLabel: { color: "#1c2636", width: 130, overflow: "truncate", interval: 0 },
      },
      series: [
        {
          name: element.dataset.seriesName || "",
          type: "bar",
          data: values,
          barMaxWidth: 18,
          itemStyle: { color: colour || PRIMARY, borderRadius: [0, 3, 3, 0] },
          label: { show: true, position: "right", color: "#5f6b7c" },
        },
      ],
    };
  }

  // Mentions per day (bars, negative stacked inside) and the negative share (line, right axis).
  register("mention-trend", function (data, element) {
    var others = data.mentions.map(function (total, i) {
      return total - data.negative[i];
    });
    return {
      grid: { left: 8, right: 8, top: 36, bottom: 4, containLabel: true },
      legend: { top: 0, textStyle: LABEL },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: data.days, axisLine: AXIS, axisLabel: LABEL, axisTick: { alignWithLabel: true } },
      yAxis: [
        { type: "value", minInterval: 1, splitLine: SPLIT, axisLabel: LABEL },
        { type: "value", min: 0, max: 100, splitLine: { show: false }, axisLabel: { color: "#5f6b7c", formatter: "{value}%" } },
      ],
      series: [
        {
          name: element.dataset.seriesNegative,
          type: "bar",
          stack: "mentions",
          data: data.negative,
          barMaxWidth: 22,
          itemStyle: { color: "#e8838a" },
        },
        {
          name: element.dataset.seriesMentions,
          type: "bar",
          stack: "mentions",
          data: others,
          barMaxWidth: 22,
          itemStyle: { color: "#9db8e6", borderRadius: [3, 3, 0, 0] },
        },
        {
          name: element.dataset.seriesShare,
          type: "line",
          yAxisIndex: 1,
          data: data.negative_share,
          connectNulls: true,
          smooth: true,
          symbolSize: 5,
          lineStyle: { color: NEGATIVE, width: 2 },
          itemStyle: { color: NEGATIVE },
          tooltip: { valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
        },
      ],
    };
  });

  // Warnings by level: open now and raised in the period, each bar in its level's colour.
  register("warning-levels", function (data, element) {
    function coloured(values, faint) {
      return values.map(function (value, i) {
        return { value: value, itemStyle: { color: data.colours[i], opacity: faint ? 0.45 : 1 } };
      });
    }
    return {
      grid: { left: 8, right: 8, top: 36, bottom: 4, containLabel: true },
      legend: { top: 0, textStyle: LABEL, data: [element.dataset.seriesOpen, element.dataset.seriesRaised] },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: data.labels, axisLine: AXIS, axisLabel: LABEL },
      yAxis: { type: "value", minInterval: 1, splitLine: SPLIT, axisLabel: LABEL },
      series: [
        {
          name: element.dataset.seriesOpen,
          type: "bar",
          data: coloured(data.open, false),
          barMaxWidth: 28,
          itemStyle: { color: "#5f6b7c" },
          label: { show: true, position: "top", color: "#5f6b7c" },
        },
        {
          name: element.dataset.seriesRaised,
          type: "bar",
          data: coloured(data.raised, true),
          barMaxWidth: 28,
          itemStyle: { color: "#aab3c0" },
          label: { show: true, position: "top", color: "#8a94a3" },
        },
      ],
    };
  });

  register("top-sources", function (data, element) {
    var option = horizontalBars(data.names, data.counts, element);
    option.series[0].name = element.dataset.seriesTotal;
    option.series.push({
      name: element.dataset.seriesNegative,
      type: "bar",
      data: data.negative,
      barMaxWidth: 18,
      barGap: "-100%",
      itemStyle: { color: "#e8838a", borderRadius: [0, 3, 3, 0] },
    });
    option.legend = { top: 0, right: 0, textStyle: LABEL };
    option.grid.top = 28;
    element.__pick = function (index) {
      goTo(element, data.ids[index]);
    };
    return option;
  });

  register("top-terms", function (data, element) {
    element.__pick = function (index) {
      goTo(element, data.terms[index]);
    };
    return horizontalBars(data.terms, data.counts, element, NEGATIVE);
  });

  register("top-customers", function (data, element) {
    element.__pick = function (index) {
      goTo(element, data.ids[index]);
    };
    var values = data.counts.map(function (value, i) {
      return { value: value, itemStyle: { color: data.vip[i] ? "#c77700" : PRIMARY } };
    });
    return horizontalBars(data.names, values, element);
  });

  // Clicking a bar of a linked chart opens the stream filtered by it.
  function bindClicks(root) {
    (root || document).querySelectorAll("[data-chart][data-link]").forEach(function (element) {
      if (element.dataset.clickReady || !window.echarts) {
        return;
      }
      var chart = window.echarts.getInstanceByDom(element);
      if (!chart) {
        return;
      }
      element.dataset.clickReady = "1";
      element.style.cursor = "pointer";
      chart.on("click", function (params) {
        if (element.__pick) {
          element.__pick(params.dataIndex);
        }
      });
    });
  }

  // ---------- the live stream: pause while the filters are being edited ----------

  var lastEdit = 0;
  var PAUSE_MS = 5000;

  function filterForm() {
    return document.querySelector("[data-live-pause]");
  }

  function isEditing() {
    var form = filterForm();
    if (!form) {
      return false;
    }
    var active = document.activeElement;
    var focused = active && active !== document.body && form.contains(active) && active.tagName !== "BUTTON";
    return focused || Date.now() - lastEdit < PAUSE_MS;
  }

  function showState(indicator, paused) {
    indicator.dataset.state = paused ? "paused" : "on";
    var text = indicator.querySelector(".live-text");
    if (text) {
      text.textContent = paused ? indicator.dataset.labelPaused : indicator.dataset.labelOn;
    }
  }

  document.addEventListener("input", function (event) {
    var form = filterForm();
    if (form && form.contains(event.target)) {
      lastEdit = Date.now();
    }
  });

  document.addEventListener("focusin", function (event) {
    var form = filterForm();
    var indicator = document.querySelector("[data-live]");
    if (form && indicator && form.contains(event.target) && event.target.tagName !== "BUTTON") {
      showState(indicator, true);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (!element || !element.hasAttribute("data-live")) {
      return;
    }
    if (document.hidden || isEditing()) {
      event.preventDefault();
      showState(element, !document.hidden);
      return;
    }
    showState(element, false);
  });

  // The customer search box is not a filter itself: its changes must not submit the filter form.
  document.addEventListener(
    "change",
    function (event) {
      if (event.target.matches && event.target.matches(".customer-search")) {
        event.stopPropagation();
      }
    },
    true
  );

  document.addEventListener("htmx:afterSwap", function (event) {
    var body = document.getElementById("mention-tbody");
    if (body && event.detail.target === body && body.querySelector("tr[data-mention]")) {
      var empty = body.querySelector("tr[data-empty]");
      if (empty) {
        empty.remove();
      }
    }
    bindClicks(event.target);
  });

  // ---------- copy the one-time token ----------

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var source = document.querySelector(button.dataset.copy);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.dataset.copied || button.textContent;
      });
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // app.js draws the charts on DOMContentLoaded too; bind clicks once they exist.
    window.setTimeout(function () {
      bindClicks(document);
    }, 0);
  });
})();
