// The source page's 24-hour chart: executions per hour as bars on a time axis, errors
// stacked at the foot of each bar (they are part of its executions), values on hover in
// the legend. uPlot draws it on a canvas; the colours come from the page's CSS variables,
// so it follows dark mode too.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const HEIGHT = 160;

const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function hourlyChart(container, hours) {
  const times = hours.map((row) => Date.parse(row.hour) / 1000);
  const totals = hours.map((row) => row.total);
  const errors = hours.map((row) => row.errors);
  const bars = uPlot.paths.bars({ size: [0.85, 48], align: 1 });
  const axis = { stroke: cssColor("--muted"), grid: { stroke: cssColor("--line"), width: 1 }, ticks: { stroke: cssColor("--line") } };
  const options = {
    width: Math.max(240, container.clientWidth),
    height: HEIGHT,
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    // Each bar covers its hour: from its start to the next (the last one, this hour, too).
    scales: { x: { time: true, range: () => [times[0], times[times.length - 1] + 3600] }, y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
    axes: [axis, { ...axis, size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000] }],
    series: [
      { label: "Hour", value: (_u, t) => (t == null ? "–" : new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })) },
      { label: "Executions", fill: cssColor("--bar"), stroke: cssColor("--bar"), width: 0, paths: bars, points: { show: false } },
      { label: "Errors", fill: cssColor("--err"), stroke: cssColor("--err"), width: 0, paths: bars, points: { show: false } },
    ],
  };
  container.replaceChildren();
  const chart = new uPlot(options, [times, totals, errors], container);
  new ResizeObserver(() => chart.setSize({ width: Math.max(240, container.clientWidth), height: HEIGHT })).observe(container);
  return chart;
}
