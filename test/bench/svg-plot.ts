// SVG plots for the benchmark scripts: pure functions from a plot spec (JSON-able data) to an SVG
// document, so a plot is unit-tested against a golden file and can be drawn again from the spec
// that a run saved beside it (test/bench/plot-files.ts).
//
//  - "cdf": the empirical distribution of samples per series (latency of petrel against the
//    reference): y = share of samples <= x, with p50 and p99 guides and the values in the legend;
//    linear or log x.
//  - "line": x/y series with point markers (convergence against node count), or steps (routes in
//    the kernel over time; thinSteps() keeps such a series small).
//
// Hand-written rather than a library: the npm plotting libraries either need a DOM or canvas
// (Observable Plot, Chart.js, d3-selection need jsdom or a browser) or are large runtimes (Vega +
// Vega-Lite: a dataflow engine and a few MB of dependencies) whose output depends on font
// measurement; what is needed here is two chart kinds, nice ticks and a legend, in one file,
// with byte-stable output.
import { quantile } from "./stats.ts";

export interface SampleSeries {
  readonly name: string;
  readonly values: readonly number[];
}

export interface XYSeries {
  readonly name: string;
  readonly points: readonly (readonly [x: number, y: number])[];
}

export interface CdfSpec {
  readonly kind: "cdf";
  readonly title: string;
  readonly xLabel: string;
  readonly series: readonly SampleSeries[];
  readonly logX?: boolean;
  /** A line under the title (what was run, when, where). */
  readonly subtitle?: string;
}

export interface LineSpec {
  readonly kind: "line";
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly XYSeries[];
  /** Draw each series as steps (a count that holds until the next point) without markers. */
  readonly steps?: boolean;
  readonly subtitle?: string;
}

export type PlotSpec = CdfSpec | LineSpec;

const width = 720;
const plotHeight = 300;
const margin = { left: 70, right: 30, top: 60, bottom: 50 };
const legendRow = 18;
/** Colour-blind safe (Okabe-Ito); the first series (petrel) gets blue, the second (reference) orange. */
export const palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(round(v, step));
  if ((ticks[0] ?? min) < min - step * 1e-9) ticks.shift();
  return ticks;
}

/** Ticks of a log axis: 1, 2, 5 times each power of ten inside [min, max] (min > 0). */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = round(m * 10 ** e, 10 ** Math.min(e, 0));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

function round(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(digits, 12)));
}

/** A number as a tick label or in the legend: at most 3 significant decimals, no float noise. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

/** At most `max` points of a step series, keeping the first, the last and evenly spaced ones between. */
export function thinSteps(points: readonly (readonly [number, number])[], max: number): [number, number][] {
  if (points.length <= max) return points.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  const stride = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) {
    const p = points[Math.round(i * stride)] as readonly [number, number];
    out.push([p[0], p[1]]);
  }
  return out;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const n1 = (v: number): string => (Math.round(v * 10) / 10).toFixed(1);

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  readonly log: boolean;
}

function axis(values: readonly number[], log: boolean, from0: boolean): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let min = finite.length === 0 ? 0 : Math.min(...finite);
  let max = finite.length === 0 ? 1 : Math.max(...finite);
  if (log) {
    min = 10 ** Math.floor(Math.log10(min));
    max = 10 ** Math.ceil(Math.log10(max));
    if (max <= min) max = min * 10;
    return { min, max, ticks: logTicks(min, max), log };
  }
  if (from0) min = Math.min(0, min);
  if (max <= min) max = min + 1;
  const ticks = niceTicks(min, max);
  const step = ticks.length > 1 ? (ticks[1] as number) - (ticks[0] as number) : 1;
  min = Math.min(min, ticks[0] ?? min);
  const last = ticks[ticks.length - 1] ?? max;
  if (last < max) {
    max = round(last + step, step);
    return { min, max, ticks: [...ticks, max], log };
  }
  return { min, max: Math.max(max, last), ticks, log };
}

function scale(a: Axis, from: number, to: number): (v: number) => number {
  if (a.log) {
    const l0 = Math.log10(a.min);
    const l1 = Math.log10(a.max);
    return (v) => from + ((Math.log10(Math.max(v, a.min)) - l0) / (l1 - l0)) * (to - from);
  }
  return (v) => from + ((v - a.min) / (a.max - a.min)) * (to - from);
}

interface Frame {
  readonly parts: string[];
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
  readonly bottom: number;
}

function frame(title: string, subtitle: string | undefined, xa: Axis, ya: Axis, xLabel: string, yLabel: string, yFormat: (v: number) => string, legendRows: number): Frame {
  const height = margin.top + plotHeight + margin.bottom + legendRows * legendRow + 10;
  const left = margin.left;
  const right = width - margin.right;
  const top = margin.top;
  const bottom = margin.top + plotHeight;
  const x = scale(xa, left, right);
  const y = scale(ya, bottom, top);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  if (subtitle !== undefined) parts.push(`<text x="${width / 2}" y="40" text-anchor="middle" fill="#555555">${esc(subtitle)}</text>`);
  parts.push('<g stroke="#dddddd" stroke-width="1">');
  for (const t of xa.ticks) parts.push(`<line x1="${n1(x(t))}" y1="${top}" x2="${n1(x(t))}" y2="${bottom}"/>`);
  for (const t of ya.ticks) parts.push(`<line x1="${left}" y1="${n1(y(t))}" x2="${right}" y2="${n1(y(t))}"/>`);
  parts.push("</g>");
  parts.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#333333"/>`);
  parts.push('<g text-anchor="middle">');
  for (const t of xa.ticks) parts.push(`<text x="${n1(x(t))}" y="${bottom + 16}">${esc(formatNumber(t))}</text>`);
  parts.push("</g>");
  parts.push('<g text-anchor="end">');
  for (const t of ya.ticks) parts.push(`<text x="${left - 6}" y="${n1(y(t) + 4)}">${esc(yFormat(t))}</text>`);
  parts.push("</g>");
  parts.push(`<text x="${(left + right) / 2}" y="${bottom + 36}" text-anchor="middle">${esc(xLabel)}${xa.log ? " (log scale)" : ""}</text>`);
  parts.push(`<text x="16" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + bottom) / 2})">${esc(yLabel)}</text>`);
  return { parts, x, y, bottom: bottom + margin.bottom };
}

function legend(f: Frame, rows: readonly { color: string; text: string; dash?: boolean }[]): void {
  rows.forEach((r, i) => {
    const y = f.bottom + i * legendRow + 4;
    f.parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + 24}" y2="${y}" stroke="${r.color}" stroke-width="2.5"${r.dash === true ? ' stroke-dasharray="6 3"' : ""}/>`);
    f.parts.push(`<text x="${margin.left + 32}" y="${y + 4}">${esc(r.text)}</text>`);
  });
}

/** The empirical CDF of each series' samples. */
export function cdfPlot(spec: CdfSpec): string {
  const log = spec.logX === true;
  const all = spec.series.flatMap((s) => s.values);
  const xa = axis(all, log, !log);
  const ya: Axis = { min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 1], log: false };
  const rows = spec.series.map((s, i) => ({
    color: palette[i % palette.length] as string,
    text: `${s.name}: n=${s.values.length}, p50 ${formatNumber(quantile(s.values, 0.5))}, p99 ${formatNumber(quantile(s.values, 0.99))}, max ${formatNumber(s.values.length === 0 ? Number.NaN : Math.max(...s.values))}`,
  }));
  const f = frame(spec.title, spec.subtitle, xa, ya, spec.xLabel, "share of samples ≤ x", (v) => `${Math.round(v * 100)} %`, rows.length);
  // p50 and p99 guides.
  for (const [q, label] of [[0.5, "p50"], [0.99, "p99"]] as const) {
    f.parts.push(`<line x1="${margin.left}" y1="${n1(f.y(q))}" x2="${width - margin.right}" y2="${n1(f.y(q))}" stroke="#999999" stroke-dasharray="4 3"/>`);
    f.parts.push(`<text x="${width - margin.right - 4}" y="${n1(f.y(q) - 3)}" text-anchor="end" fill="#777777">${label}</text>`);
  }
  spec.series.forEach((s, i) => {
    const sorted = [...s.values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    if (sorted.length === 0) return;
    // Steps: the share holds until the next sample.
    const d: string[] = [`M${n1(f.x(sorted[0] as number))},${n1(f.y(0))}`];
    sorted.forEach((v, k) => {
      d.push(`L${n1(f.x(v))},${n1(f.y(k / sorted.length))}`, `L${n1(f.x(v))},${n1(f.y((k + 1) / sorted.length))}`);
    });
    f.parts.push(`<path d="${d.join("")}" fill="none" stroke="${palette[i % palette.length] as string}" stroke-width="2"/>`);
  });
  legend(f, rows);
  f.parts.push("</svg>");
  return `${f.parts.join("\n")}\n`;
}

/** x/y series: points with markers, or steps. */
export function linePlot(spec: LineSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const xa = axis(xs, false, spec.steps === true);
  const ya = axis(ys, false, true);
  const rows = spec.series.map((s, i) => ({ color: palette[i % palette.length] as string, text: s.name }));
  const f = frame(spec.title, spec.subtitle, xa, ya, spec.xLabel, spec.yLabel, formatNumber, rows.length);
  spec.series.forEach((s, i) => {
    const color = palette[i % palette.length] as string;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) return;
    const d: string[] = [];
    pts.forEach(([x, y], k) => {
      if (k === 0) d.push(`M${n1(f.x(x))},${n1(f.y(y))}`);
      else if (spec.steps === true) d.push(`L${n1(f.x(x))},${n1(f.y((pts[k - 1] as readonly [number, number])[1]))}`, `L${n1(f.x(x))},${n1(f.y(y))}`);
      else d.push(`L${n1(f.x(x))},${n1(f.y(y))}`);
    });
    f.parts.push(`<path d="${d.join("")}" fill="none" stroke="${color}" stroke-width="2"/>`);
    if (spec.steps !== true) for (const [x, y] of pts) f.parts.push(`<circle cx="${n1(f.x(x))}" cy="${n1(f.y(y))}" r="3.5" fill="${color}"/>`);
  });
  legend(f, rows);
  f.parts.push("</svg>");
  return `${f.parts.join("\n")}\n`;
}

export function renderPlot(spec: PlotSpec): string {
  return spec.kind === "cdf" ? cdfPlot(spec) : linePlot(spec);
}
