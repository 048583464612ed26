// Where the benchmark scripts put their plots, and how: `<name>.svg` (test/bench/svg-plot.ts)
// with `<name>.json` beside it, the spec it was drawn from (the run's samples), so a plot can be
// drawn again without running the benchmark (`node test/bench/replot.ts DIR`).
//   --plots DIR on the scripts, else $PETREL_BENCH_PLOTS/<bench>, else test-results/plots/<bench>.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "../rig/repo-root.ts";
import { renderPlot, type PlotSpec } from "./svg-plot.ts";

export function plotDir(bench: string, flag?: string): string {
  if (flag !== undefined && flag !== "") return resolve(flag);
  const env = process.env.PETREL_BENCH_PLOTS;
  return env !== undefined && env !== "" ? join(resolve(env), bench) : join(repoRoot, "test-results", "plots", bench);
}

/** Writes each plot as `<name>.svg` and `<name>.json` into `dir`; returns the SVG paths. */
export function writePlots(dir: string, plots: Readonly<Record<string, PlotSpec>>): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const [name, spec] of Object.entries(plots)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`plot name ${name}: lower-case letters, digits and dashes only`);
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(spec)}\n`);
    writeFileSync(join(dir, `${name}.svg`), renderPlot(spec));
    out.push(join(dir, `${name}.svg`));
  }
  return out;
}

/** Draws every `<name>.json` spec in `dir` again as `<name>.svg`; returns the SVG paths. */
export function replotDir(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    const spec = JSON.parse(readFileSync(join(dir, f), "utf8")) as PlotSpec;
    if (spec.kind !== "cdf" && spec.kind !== "line") throw new Error(`${join(dir, f)} is not a plot spec (kind ${String((spec as { kind?: unknown }).kind)})`);
    const svg = join(dir, f.replace(/\.json$/, ".svg"));
    writeFileSync(svg, renderPlot(spec));
    out.push(svg);
  }
  return out;
}
