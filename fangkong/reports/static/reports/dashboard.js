/* The dashboard's charts (ECharts), drawn from the JSON the page embeds; the trend switch
   (14/30 days) and, on the large screen, the clock and the refresh every minute fetch the same
   JSON from the data endpoint. Every word shown comes from the server, already translated. */
(function () {
  "use strict";

  var root = document.querySelector("[data-dashboard]");
  if (!root || typeof echarts === "undefined") {
    return;
  }
  var dark = root.hasAttribute("data-dark");
  var endpoint = root.getAttribute("data-endpoint");
  var labels = JSON.parse(document.getElementById("dashboard-labels").textContent);
  var charts = {};
  var trendDays = 14;
  var palette = ["#2f6fd0", "#1e9e6a", "#e8a317", "#d64545", "#7b5cc4", "#17a2b8"];

  function chart(name) {
    var element = root.querySelector('[data-chart="' + name + '"]');
    if (!element) {
      return null;
    }
    if (!charts[name]) {
      charts[name] = echarts.init(element, dark ? "dark" : null, { renderer: "canvas" });
    }
    return charts[name];
  }

  function base(empty) {
    return {
      backgroundColor: "transparent",
      color: palette,
      textStyle: { fontFamily: "inherit" },
      title: { show: empty, text: labels.none, left: "center", top: "middle", textStyle: { fontSize: 14, fontWeight: "normal" } },
    };
  }

  function series(trend, key) {
    for (var i = 0; i < trend.series.length; i++) {
      if (trend.series[i].key === key) {
        return trend.series[i];
      }
    }
    return null;
  }

  function drawTrend(trend) {
    var persons = chart("persons");
    if (persons) {
      var lines = ["key_persons_new", "released_new", "under_control", "anomalies_new"].map(function (key) {
        var s = series(trend, key);
        return { name: s.label, type: "line", symbolSize: 5, data: s.data };
      });
      persons.setOption(Object.assign(base(false), {
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: trend.labels, boundaryGap: false },
        yAxis: { type: "value", name: labels.persons, minInterval: 1 },
        series: lines,
      }), true);
    }
    var screening = chart("screening");
    if (screening) {
      var screened = series(trend, "screened_new");
      var rate = series(trend, "received_rate");
      screening.setOption(Object.assign(base(false), {
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 48, right: 44, top: 36, bottom: 28 },
        xAxis: { type: "category", data: trend.labels },
        yAxis: [
          { type: "value", name: labels.persons, minInterval: 1 },
          { type: "value", name: labels.percent, min: 0, max: 100, splitLine: { show: false } },
        ],
        series: [
          { name: screened.label, type: "bar", data: screened.data, barMaxWidth: 18 },
          { name: rate.label, type: "line", yAxisIndex: 1, data: rate.data, connectNulls: true },
        ],
      }), true);
    }
  }

  function drawCompleteness(children) {
    var completeness = chart("completeness");
    if (!completeness) {
      return;
    }
    var rows = children.slice().reverse();
    if (!dark) {
      // One bar per child unit: a town with thirty villages needs a taller chart than one with three.
      completeness.getDom().style.height = Math.max(220, rows.length * 26 + 60) + "px";
      completeness.resize();
    }
    completeness.setOption(Object.assign(base(rows.length === 0), {
      tooltip: {
        trigger: "item",
        formatter: function (item) {
          var row = rows[item.dataIndex];
          var done = row.completeness;
          return row.name + "<br>" + labels.received + " " + done.received + " / " + labels.expected + " " +
            done.expected + "<br>" + labels.rate + " " + (done.received_rate === null ? "—" : done.received_rate + "%");
        },
      },
      grid: { left: 8, right: 40, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: rows.map(function (row) { return row.name; }) },
      series: [{
        type: "bar",
        barMaxWidth: 16,
        label: { show: true, position: "right", formatter: "{c}%" },
        data: rows.map(function (row) {
          var value = row.completeness.received_rate;
          return { value: value === null ? 0 : value, itemStyle: { color: value === 100 ? "#1e9e6a" : "#e8a317" } };
        }),
      }],
    }), true);
  }

  function drawCases(cases) {
    var status = chart("status");
    if (status) {
      status.setOption(Object.assign(base(cases.status.length === 0), {
        tooltip: { trigger: "item", formatter: "{b}：{c}" + labels.persons + "（{d}%）" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          type: "pie",
          radius: ["38%", "66%"],
          center: ["50%", "44%"],
          label: { formatter: "{b}\n{c}" },
          data: cases.status.map(function (row) { return { name: row.label, value: row.value }; }),
        }],
      }), true);
    }
    var category = chart("category");
    if (category) {
      var rows = cases.category.slice().reverse();
      category.setOption(Object.assign(base(rows.length === 0), {
        tooltip: { trigger: "item", formatter: "{b}：{c}" + labels.persons },
        grid: { left: 8, right: 40, top: 8, bottom: 24, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: rows.map(function (row) { return row.label; }) },
        series: [{
          type: "bar",
          barMaxWidth: 16,
          label: { show: true, position: "right" },
          data: rows.map(function (row) { return row.value; }),
        }],
      }), true);
    }
  }

  function setText(selector, text) {
    root.querySelectorAll(selector).forEach(function (element) {
      element.textContent = text;
    });
  }

  function updateFigures(data) {
    setText('[data-field="as_of_text"]', data.as_of_text);
    data.figures.forEach(function (figure) {
      setText('[data-figure="' + figure.key + '"] [data-value]', figure.value === null ? "—" : figure.value);
    });
    var done = data.completeness;
    setText('[data-completeness="received"]', done.received);
    setText('[data-completeness="expected"]', done.expected);
    setText('[data-completeness="on_time_rate"]', done.on_time_rate === null ? "—" : done.on_time_rate);
  }

  function span(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  function updateAnomalies(rows) {
    var list = root.querySelector("[data-anomalies]");
    if (!list) {
      return;
    }
    var items = rows.map(function (row) {
      var item = document.createElement("li");
      var time = document.createElement("time");
      time.setAttribute("datetime", row.time);
      time.textContent = row.time_text;
      item.append(
        span("db-who", row.name), span("db-where", row.unit),
        span("db-temp", labels.temperature + " " + row.temperature),
        span("db-symptoms", labels.symptoms + " " + row.symptoms), time
      );
      return item;
    });
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = labels.no_anomalies;
      items.push(empty);
    }
    list.replaceChildren.apply(list, items);
  }

  function draw(data) {
    drawTrend(data.trend);
    drawCompleteness(data.children);
    drawCases(data.cases);
  }

  function fetchData(query) {
    return fetch(endpoint + "&" + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error(response.status);
        }
        return response.json();
      });
  }

  function setupSwitch() {
    root.querySelectorAll("[data-days]").forEach(function (button) {
      button.addEventListener("click", function () {
        var days = Number(button.getAttribute("data-days"));
        if (days === trendDays) {
          return;
        }
        fetchData("days=" + days + "&part=trend").then(function (data) {
          trendDays = days;
          root.querySelectorAll("[data-days]").forEach(function (other) {
            other.setAttribute("aria-pressed", String(other === button));
          });
          drawTrend(data.trend);
        });
      });
    });
  }

  function setupRefresh(seconds) {
    var stale = root.querySelector("[data-stale]");
    window.setInterval(function () {
      fetchData("days=" + trendDays).then(function (data) {
        updateFigures(data);
        updateAnomalies(data.anomalies);
        draw(data);
        if (stale) {
          stale.hidden = true;
        }
      }, function () {
        if (stale) {
          stale.textContent = labels.refresh_failed;
          stale.hidden = false;
        }
      });
    }, seconds * 1000);
  }

  function setupClock() {
    var clock = root.querySelector("[data-clock]");
    if (!clock) {
      return;
    }
    // The deployment's time, whatever the time zone of the machine driving the screen.
    var format = new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN", {
      year: "numeric", month: "long", day: "numeric", weekday: "long",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      timeZone: clock.getAttribute("data-time-zone") || undefined,
    });
    function tick() {
      clock.textContent = format.format(new Date());
    }
    tick();
    window.setInterval(tick, 1000);
  }

  draw(JSON.parse(document.getElementById("dashboard-data").textContent));
  setupSwitch();
  setupClock();
  var refresh = Number(root.getAttribute("data-refresh") || 0);
  if (refresh > 0) {
    setupRefresh(refresh);
  }
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (name) {
      charts[name].resize();
    });
  });
})();
