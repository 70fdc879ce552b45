// The ranking bar chart: child units by the chosen metric (data from the page, json_script).
document.addEventListener("DOMContentLoaded", function () {
  var node = document.querySelector("[data-ranking-chart]");
  var data = document.getElementById("ranking-data");
  if (!node || !data || !window.echarts) return;
  var chart = JSON.parse(data.textContent);
  var plot = window.echarts.init(node);
  plot.setOption({
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
    grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: chart.names, axisLabel: { interval: 0, rotate: chart.names.length > 8 ? 40 : 0 } },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{ name: chart.metric, type: "bar", data: chart.values, label: { show: true, position: "top", formatter: "{c}%" } }]
  });
  window.addEventListener("resize", function () { plot.resize(); });
});
