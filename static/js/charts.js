// Charts drawn with Apache ECharts (static/vendor/echarts.min.js, from the npm registry) from the JSON block each
// chart names in data-chart; the table beside each chart holds the same figures and is what shows without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  const lang = document.documentElement.lang;
  const saveTitle = lang === "en" ? "Save as image" : "保存为图片";
  for (const box of document.querySelectorAll("[data-chart]")) {
    const source = document.getElementById(box.dataset.chart);
    if (!source) continue;
    const spec = JSON.parse(source.textContent);
    box.hidden = false;
    // The bars drawn in CSS this chart replaces (they stay for a browser without JavaScript).
    const fallback = box.dataset.replaces && document.getElementById(box.dataset.replaces);
    if (fallback) fallback.hidden = true;
    const money = (v) => Number(v).toLocaleString(lang === "en" ? "en" : "zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + (lang === "en" ? " yuan" : " 元");
    const chart = window.echarts.init(box, null, { renderer: "canvas", locale: lang === "en" ? "EN" : "ZH" });
    chart.setOption({
      aria: { enabled: true },
      tooltip: { trigger: "axis", valueFormatter: spec.money ? money : undefined, axisPointer: { type: spec.series[0].type === "line" ? "line" : "shadow" } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 64, containLabel: true },
      toolbox: { right: 0, top: 24, feature: { saveAsImage: { name: spec.filename || "chart", title: saveTitle, pixelRatio: 2 } } },
      xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", name: spec.yName || "" },
      series: spec.series.map((s) => ({
        name: s.name, type: s.type || "bar", stack: s.stack || undefined, data: s.data,
        itemStyle: s.color ? { color: s.color } : undefined, emphasis: { focus: "series" }, label: { show: !spec.money && s.type !== "line" && spec.series.length < 6, position: "inside" },
      })),
    });
    window.addEventListener("resize", () => chart.resize());
  }
});
