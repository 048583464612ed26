// The plots of each benchmark script, built from the samples the script already has (so the hooks
// in the scripts stay one call each): pure functions from results to plot specs
// (test/bench/svg-plot.ts), and writeBenchPlots() that writes them and says where.
import { cpus } from "node:os";
import { readFileSync } from "node:fs";
import { plotDir, writePlots } from "./plot-files.ts";
import { thinSteps, type PlotSpec, type SampleSeries } from "./svg-plot.ts";

/** What a run was made on, for the plots' subtitles: date, CPUs, kernel. */
export function runContext(now = new Date()): string {
  let kernel = "?";
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {
    // not Linux: leave it out
  }
  return `${now.toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} CPUs, kernel ${kernel}`;
}

/** Writes the plots into the bench's plot dir (test/bench/plot-files.ts) and prints where; never throws (a plot must not fail a run). */
export function writeBenchPlots(bench: string, plots: Readonly<Record<string, PlotSpec>>, dir = plotDir(bench)): void {
  try {
    const files = writePlots(dir, plots);
    console.log(`\nplots (SVG, with the samples as JSON beside each): ${dir}\n${files.map((f) => `  ${f}`).join("\n")}`);
  } catch (err) {
    console.log(`\nplots not written: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// --- bench:cni ---------------------------------------------------------------------------------
interface CniSample {
  readonly pair: readonly number[];
  readonly add: readonly number[];
  readonly del: readonly number[];
}

/** Per scenario: the ADD+DEL pair latency of each plugin, and ADD and DEL alone. */
export function cniPlots(results: ReadonlyArray<readonly [scenario: string, samples: ReadonlyMap<{ readonly label: string }, CniSample>]>, context: string): Record<string, PlotSpec> {
  const plots: Record<string, PlotSpec> = {};
  for (const [scenario, m] of results) {
    const entries = [...m.entries()];
    plots[`cni-${slug(scenario)}-pair`] = {
      kind: "cdf", title: `CNI ADD+DEL pair latency, ${scenario}`, subtitle: context, xLabel: "ms per ADD+DEL pair",
      series: entries.map(([p, s]) => ({ name: p.label, values: s.pair })),
    };
    const split: SampleSeries[] = [];
    for (const [p, s] of entries) split.push({ name: `${p.label} ADD`, values: s.add }, { name: `${p.label} DEL`, values: s.del });
    plots[`cni-${slug(scenario)}-add-del`] = { kind: "cdf", title: `CNI ADD and DEL alone, ${scenario}`, subtitle: context, xLabel: "ms per invocation", series: split };
  }
  return plots;
}

// --- bench:pod-startup ---------------------------------------------------------------------------
/** Pod startup (POST -> Ready seen) of all rounds, per CNI. */
export function podStartupPlots(rounds: ReadonlyArray<{ readonly cni: string; readonly ms: readonly number[] }>, pods: number, context: string): Record<string, PlotSpec> {
  const cnis = [...new Set(rounds.map((r) => r.cni))];
  return {
    "pod-startup": {
      kind: "cdf", title: `Pod startup on a kubelet node, ${pods} pods per round`, subtitle: context, xLabel: "ms from Pod POST to Ready seen",
      series: cnis.map((c) => ({ name: c === "reference" ? "ptp+host-local (reference)" : c, values: rounds.filter((r) => r.cni === c).flatMap((r) => r.ms) })),
    },
  };
}

// --- bench:routes part 1 ---------------------------------------------------------------------------
interface ConvergenceLike {
  readonly nodes: number;
  readonly samples: ReadonlyArray<{ readonly lastMs: number; readonly withdrawMs: number }>;
}

/** Convergence against node count (p50/p99 of a new block and a withdrawal), and the distribution per node count. */
export function convergencePlots(results: readonly ConvergenceLike[], context: string, quantile: (v: readonly number[], q: number) => number): Record<string, PlotSpec> {
  const at = (f: (s: ConvergenceLike["samples"][number]) => number, q: number) => results.map((r) => [r.nodes, quantile(r.samples.map(f), q)] as const);
  return {
    "routes-convergence": {
      kind: "line", title: "Route convergence against node count", subtitle: context, xLabel: "nodes", yLabel: "ms until every other node has it",
      series: [
        { name: "new block -> route on every other node, p50", points: at((s) => s.lastMs, 0.5) },
        { name: "new block -> route on every other node, p99", points: at((s) => s.lastMs, 0.99) },
        { name: "block deleted -> route gone everywhere, p50", points: at((s) => s.withdrawMs, 0.5) },
        { name: "block deleted -> route gone everywhere, p99", points: at((s) => s.withdrawMs, 0.99) },
      ],
    },
    "routes-convergence-cdf": {
      kind: "cdf", title: "New block -> route on every other node", subtitle: context, xLabel: "ms from the IPAMBlock create",
      series: results.map((r) => ({ name: `${r.nodes} nodes`, values: r.samples.map((s) => s.lastMs) })),
    },
  };
}

// --- bench:routes part 2 ---------------------------------------------------------------------------
type Point = [number, number];

/**
 * The rises and falls of a count over time (routes arriving in a kernel and withdrawn, round after
 * round): a rise runs from the first change above the starting level until the count first reaches
 * the highest level, a fall from the first change below it back to the starting level. Times are
 * relative to each run's first change, counts relative to the starting level. A run that never
 * completes is kept as far as it got.
 */
export function ramps(points: readonly (readonly [number, number])[]): { rises: Point[][]; falls: Point[][] } {
  const rises: Point[][] = [];
  const falls: Point[][] = [];
  if (points.length === 0) return { rises, falls };
  const low = (points[0] as readonly [number, number])[1];
  const high = Math.max(...points.map((p) => p[1]));
  if (high <= low) return { rises, falls };
  let state: "low" | "rising" | "high" | "falling" = "low";
  let run: Point[] = [];
  let t0 = 0;
  for (const [t, c] of points) {
    if (state === "low" && c > low) {
      state = "rising";
      t0 = t;
      run = [[0, 0]];
      rises.push(run);
    } else if (state === "high" && c < high) {
      state = "falling";
      t0 = t;
      run = [[0, high - low]];
      falls.push(run);
    }
    if (state === "rising" || state === "falling") run.push([t - t0, c - low]);
    if (state === "rising" && c === high) state = "high";
    else if (state === "falling" && c === low) state = "low";
  }
  return { rises, falls };
}

/** Routes in node-1's kernel during part 2: the whole timeline, and each round's arrival and withdrawal overlaid. */
export function manyRoutesPlots(points: readonly (readonly [number, number])[], node: string, context: string): Record<string, PlotSpec> {
  const { rises, falls } = ramps(points);
  const start = points[0]?.[0] ?? 0;
  const round = (runs: Point[][]) => runs.map((r, i) => ({ name: `round ${i + 1}`, points: thinSteps(r, 400) }));
  return {
    "routes-many-timeline": {
      kind: "line", steps: true, title: `Routes in ${node}'s kernel during part 2`, subtitle: context, xLabel: "s since part 2 started", yLabel: "routes in the range",
      series: [{ name: node, points: thinSteps(points.map(([t, c]) => [(t - start) / 1000, c]), 2000) }],
    },
    "routes-many-arrival": {
      kind: "line", steps: true, title: `Routes arriving in ${node}'s kernel, per round`, subtitle: context, xLabel: "ms since the first route of the round", yLabel: "routes in the kernel", series: round(rises),
    },
    "routes-many-withdrawal": {
      kind: "line", steps: true, title: `Routes withdrawn from ${node}'s kernel, per round`, subtitle: context, xLabel: "ms since the first removal of the round", yLabel: "routes left in the kernel", series: round(falls),
    },
  };
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
