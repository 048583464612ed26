// Draws the benchmark plots again from the specs a run saved beside them (test/bench/plot-files.ts):
//   node test/bench/replot.ts docs/plots/cni-bench [more dirs...]
// For a change to test/bench/svg-plot.ts: the committed plots in docs/ are redrawn from the same samples.
import { replotDir } from "./plot-files.ts";

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node test/bench/replot.ts DIR...");
  process.exit(2);
}
for (const d of dirs) for (const svg of replotDir(d)) console.log(svg);
