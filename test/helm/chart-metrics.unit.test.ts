// The chart's Grafana dashboard and alert rules name only metrics the programs declare: the names
// come from the controller's and the agent's own registries (controller/metrics.ts,
// bgp/agent/metrics.ts), not from a list kept here. Unit test: reads the chart's files, no helm needed
// (chart-render.test.ts checks the rendered objects the same way).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createAgentMetrics } from "../../bgp/agent/metrics.ts";
import { createControllerMetrics } from "../../controller/metrics.ts";
import { dashboardQueries, declaredMetricNames, promqlMetricNames, ruleExpressions, scrapeSeries, type GrafanaDashboard } from "../support/promql-names.ts";
import { repoRoot } from "../rig/repo-root.ts";

const chart = join(repoRoot, "helm", "petrel");
const dashboard = JSON.parse(readFileSync(join(chart, "files", "dashboards", "petrel.json"), "utf8")) as GrafanaDashboard;
const rulesTemplate = readFileSync(join(chart, "templates", "prometheus-rule.yaml"), "utf8");

let declared: Set<string>;
beforeAll(async () => {
  declared = new Set([
    ...await declaredMetricNames(createControllerMetrics(() => undefined, () => 0).registry),
    ...await declaredMetricNames(createAgentMetrics("node-a").registry),
  ]);
});

const unknownNames = (exprs: readonly string[]) => [...new Set(exprs.flatMap(promqlMetricNames))].filter((n) => !declared.has(n) && !scrapeSeries.has(n)).sort();

describe("promqlMetricNames", () => {
  test.each([
    ['sum by (node, state) (petrel_agent_bgp_sessions{node=~"$node",state!="Established"})', ["petrel_agent_bgp_sessions"]],
    ["histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket[$__rate_interval])))", ["a_seconds_bucket"]],
    ["(1 - a / b) > {{ .ratio }} or c > 0.9 unless on (pool) d == 1", ["a", "b", "c", "d"]],
    ["sum(x) < 1 or absent(y) and ignoring(instance) z offset 5m", ["x", "y", "z"]],
    ["time() - h > 300", ["h"]],
    ['count(f{a="b"} == 0) or vector(0) * 1e3', ["f"]],
  ])("%s", (expr, names) => {
    expect(promqlMetricNames(expr)).toEqual(names);
  });

  test("the check fails on a name no program declares", () => {
    expect(unknownNames(["sum(petrel_agent_routes) + petrel_agent_bgp_session_state", "petrel_controller_watch_restarts"])).toEqual(["petrel_agent_bgp_session_state", "petrel_controller_watch_restarts"]);
  });
});

describe("the chart's queries", () => {
  test("the dashboard's queries and variables name only declared metrics", () => {
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(20);
    expect(unknownNames(queries)).toEqual([]);
  });

  test("the alert rules name only declared metrics (or Prometheus' own up)", () => {
    const exprs = ruleExpressions(rulesTemplate);
    expect(exprs.length).toBe((rulesTemplate.match(/- alert: /g) ?? []).length);
    expect(unknownNames(exprs)).toEqual([]);
  });

  test("the dashboard's panels have unique ids and do not overlap on Grafana's 24-column grid", () => {
    const panels = (dashboard.panels ?? []) as { id: number; gridPos: { x: number; y: number; w: number; h: number } }[];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Map<string, number>();
    for (const { id, gridPos: g } of panels) {
      expect([id, g.x >= 0 && g.w > 0 && g.x + g.w <= 24]).toEqual([id, true]);
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect([id, `${x},${y}`, cells.get(`${x},${y}`)]).toEqual([id, `${x},${y}`, undefined]);
        cells.set(`${x},${y}`, id);
      }
    }
  });

  test("every Petrel metric the alerts are about is on the dashboard", () => {
    const onDashboard = new Set(dashboardQueries(dashboard).flatMap(promqlMetricNames));
    const alerted = ruleExpressions(rulesTemplate).flatMap(promqlMetricNames).filter((n) => n.startsWith("petrel_"));
    expect(alerted.filter((n) => !onDashboard.has(n))).toEqual([]);
  });
});
