// Unit tests of test/bench/svg-plot.ts (pure: no lock needed). The golden SVGs in testdata/ are
// the plots for fixed inputs; UPDATE_GOLDEN=1 rewrites them after a reviewed change (look at them).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cdfPlot, formatNumber, linePlot, logTicks, niceTicks, renderPlot, thinSteps, type CdfSpec, type LineSpec } from "./svg-plot.ts";
import { quantile } from "./stats.ts";

const golden = (name: string, svg: string): void => {
  const file = join(__dirname, "testdata", name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, svg);
  if (!existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  expect(svg).toBe(readFileSync(file, "utf8"));
};

// Fixed samples: a tight petrel series and a slower, long-tailed reference.
const petrel = Array.from({ length: 50 }, (_, i) => 10 + (i % 10) * 0.5 + (i === 49 ? 20 : 0));
const reference = Array.from({ length: 50 }, (_, i) => 20 + (i % 7) * 2 + (i >= 48 ? 60 : 0));
const cdf: CdfSpec = { kind: "cdf", title: "ADD+DEL pair, sequential", subtitle: "fixed input", xLabel: "ms", series: [{ name: "petrel", values: petrel }, { name: "ptp+host-local", values: reference }] };
const line: LineSpec = {
  kind: "line", title: "Convergence against node count", xLabel: "nodes", yLabel: "ms",
  series: [{ name: "p50", points: [[3, 40], [10, 55], [20, 80]] }, { name: "p99", points: [[3, 90], [10, 140], [20, 260]] }],
};
const steps: LineSpec = {
  kind: "line", title: "Routes in the kernel", xLabel: "ms since the reset", yLabel: "routes", steps: true,
  series: [{ name: "petrel", points: [[0, 0], [100, 2000], [250, 8000], [300, 10000]] }, { name: "BIRD", points: [[0, 0], [150, 5000], [400, 10000]] }],
};

test("golden: a CDF of two series, linear x", () => golden("cdf.svg", cdfPlot(cdf)));
test("golden: a CDF on a log x axis", () => golden("cdf-log.svg", cdfPlot({ ...cdf, logX: true })));
test("golden: a line plot with markers", () => golden("line.svg", linePlot(line)));
test("golden: a step plot", () => golden("steps.svg", linePlot(steps)));

test("output is a well-formed SVG document with one path per series and the stats in the legend", () => {
  const svg = cdfPlot(cdf);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  expect(svg.match(/<path /g)).toHaveLength(2);
  expect(svg).toContain(`petrel: n=50, p50 ${formatNumber(quantile(petrel, 0.5))}, p99 ${formatNumber(quantile(petrel, 0.99))}, max 34.5`);
  expect(svg).toContain("ptp+host-local: n=50");
  // Every coordinate is finite.
  expect(svg).not.toMatch(/NaN|Infinity/);
  expect(renderPlot(cdf)).toBe(svg);
});

test("text is escaped", () => {
  const svg = linePlot({ ...line, title: 'a <b> & "c"' });
  expect(svg).toContain("a &lt;b&gt; &amp; &quot;c&quot;");
  expect(svg).not.toContain("<b>");
});

test("empty and degenerate series draw no path and no NaN", () => {
  const svg = cdfPlot({ kind: "cdf", title: "t", xLabel: "ms", series: [{ name: "none", values: [] }, { name: "one", values: [5] }] });
  expect(svg).not.toMatch(/NaN|Infinity/);
  expect(svg.match(/<path /g)).toHaveLength(1);
  expect(svg).toContain("none: n=0, p50 -, p99 -, max -");
  const flat = linePlot({ kind: "line", title: "t", xLabel: "x", yLabel: "y", series: [{ name: "flat", points: [[1, 0], [1, 0]] }] });
  expect(flat).not.toMatch(/NaN|Infinity/);
});

test("niceTicks: round steps that cover the range", () => {
  expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
  expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(niceTicks(3, 20)).toEqual([5, 10, 15, 20]);
  expect(niceTicks(0, 0.003)).toEqual([0, 0.0005, 0.001, 0.0015, 0.002, 0.0025, 0.003]);
  expect(niceTicks(5, 5)).toEqual([5]);
});

test("logTicks: 1-2-5 per decade", () => {
  expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
  expect(logTicks(0.1, 1)).toEqual([0.1, 0.2, 0.5, 1]);
});

test("formatNumber and quantile (stats.ts)", () => {
  expect(formatNumber(12.3456)).toBe("12.3");
  expect(formatNumber(1234.5)).toBe("1235");
  expect(formatNumber(0.000123456)).toBe("0.000123");
  expect(formatNumber(Number.NaN)).toBe("-");
  expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
  expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(5);
  expect(quantile([], 0.5)).toBeNaN();
});

test("thinSteps keeps the ends and at most max points", () => {
  const pts = Array.from({ length: 1001 }, (_, i) => [i, i * 10] as const);
  const thin = thinSteps(pts, 11);
  expect(thin).toHaveLength(11);
  expect(thin[0]).toEqual([0, 0]);
  expect(thin[10]).toEqual([1000, 10000]);
  expect(thinSteps(pts.slice(0, 3), 11)).toHaveLength(3);
});
