// The benchmark scripts' plot specs from their samples (pure), and the files written for them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cniPlots, convergencePlots, manyRoutesPlots, podStartupPlots, ramps } from "./bench-plots.ts";
import { replotDir, writePlots } from "./plot-files.ts";
import { quantile } from "./stats.ts";

const petrel = { label: "petrel" };
const ref = { label: "ptp+host-local" };
const sample = (base: number) => ({ pair: [base, base + 1], add: [base / 2], del: [base / 2 + 1] });

test("cniPlots: a pair CDF and an ADD/DEL CDF per scenario, series named after the plugins", () => {
  const plots = cniPlots([["sequential", new Map([[petrel, sample(10)], [ref, sample(20)]])], ["parallel-16", new Map([[petrel, sample(30)], [ref, sample(40)]])]], "ctx");
  expect(Object.keys(plots)).toEqual(["cni-sequential-pair", "cni-sequential-add-del", "cni-parallel-16-pair", "cni-parallel-16-add-del"]);
  const pair = plots["cni-sequential-pair"];
  expect(pair?.kind).toBe("cdf");
  expect(pair?.series.map((s) => s.name)).toEqual(["petrel", "ptp+host-local"]);
  expect(plots["cni-parallel-16-add-del"]?.series.map((s) => s.name)).toEqual(["petrel ADD", "petrel DEL", "ptp+host-local ADD", "ptp+host-local DEL"]);
  expect(pair?.subtitle).toBe("ctx");
});

test("podStartupPlots: all rounds of a CNI in one series", () => {
  const p = podStartupPlots([{ cni: "petrel", ms: [1, 2] }, { cni: "reference", ms: [3] }, { cni: "petrel", ms: [4] }], 100, "ctx")["pod-startup"];
  expect(p?.kind === "cdf" ? p.series : []).toEqual([{ name: "petrel", values: [1, 2, 4] }, { name: "ptp+host-local (reference)", values: [3] }]);
});

test("convergencePlots: p50/p99 against node count, and a CDF per node count", () => {
  const r = (nodes: number, ms: number[]) => ({ nodes, samples: ms.map((m) => ({ lastMs: m, withdrawMs: m * 2 })) });
  const plots = convergencePlots([r(3, [10, 20, 30]), r(10, [40, 50, 60])], "ctx", quantile);
  const line = plots["routes-convergence"];
  expect(line?.kind).toBe("line");
  expect(line?.kind === "line" ? line.series.map((s) => s.points) : []).toEqual([[[3, 20], [10, 50]], [[3, 30], [10, 60]], [[3, 40], [10, 100]], [[3, 60], [10, 120]]]);
  expect(plots["routes-convergence-cdf"]?.series.map((s) => s.name)).toEqual(["3 nodes", "10 nodes"]);
});

test("writePlots writes <name>.svg and its spec; replotDir draws the same SVG from the spec", () => {
  const dir = mkdtempSync(join(tmpdir(), "petrel-plots-"));
  try {
    const plots = podStartupPlots([{ cni: "petrel", ms: [1, 2, 3] }], 3, "ctx");
    const [svg] = writePlots(dir, plots);
    expect(svg).toBe(join(dir, "pod-startup.svg"));
    const first = readFileSync(join(dir, "pod-startup.svg"), "utf8");
    expect(JSON.parse(readFileSync(join(dir, "pod-startup.json"), "utf8"))).toEqual(plots["pod-startup"]);
    writeFileSync(join(dir, "pod-startup.svg"), "stale");
    expect(replotDir(dir)).toEqual([join(dir, "pod-startup.svg")]);
    expect(readFileSync(join(dir, "pod-startup.svg"), "utf8")).toBe(first);
    expect(() => writePlots(dir, { "Bad Name": plots["pod-startup"] as never })).toThrow("lower-case letters");
    writeFileSync(join(dir, "other.json"), "{\"kind\":\"pie\"}");
    expect(() => replotDir(dir)).toThrow("is not a plot spec");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ramps: each rise to the top and fall back to the start, relative to its first change", () => {
  // Start at 2 (a node's own routes), two rounds up to 5 and back; the second fall never completes.
  const pts: [number, number][] = [[0, 2], [100, 3], [110, 4], [120, 5], [500, 4], [530, 2], [900, 3], [905, 5], [1200, 3]];
  expect(ramps(pts)).toEqual({
    rises: [[[0, 0], [0, 1], [10, 2], [20, 3]], [[0, 0], [0, 1], [5, 3]]],
    falls: [[[0, 3], [0, 2], [30, 0]], [[0, 3], [0, 1]]],
  });
  expect(ramps([[0, 1], [5, 1]])).toEqual({ rises: [], falls: [] });
  expect(ramps([])).toEqual({ rises: [], falls: [] });
  const plots = manyRoutesPlots(pts, "node-1", "ctx");
  expect(Object.keys(plots)).toEqual(["routes-many-timeline", "routes-many-arrival", "routes-many-withdrawal"]);
  expect(plots["routes-many-arrival"]?.series.map((s) => s.name)).toEqual(["round 1", "round 2"]);
  expect(plots["routes-many-timeline"]).toMatchObject({ kind: "line", steps: true });
});
