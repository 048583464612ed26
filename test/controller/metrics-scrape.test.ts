// The names the chart's dashboard and alerts take from the controller, checked against a scrape
// of a real petrel-controller (the built binary, against the rig's kube-apiserver), and the
// standby's scrape checked to hold none of the cluster gauges. About 15 s (one rig start).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createControllerMetrics, leaderOnlyMetricNames } from "../../controller/metrics.ts";
import { KubeRig } from "../rig/rig.ts";
import { ControllerProcess } from "../support/controller.ts";
import { listBlocks, waitFor } from "../support/ipam.ts";
import { dashboardQueries, declaredMetricNames, promqlMetricNames, ruleExpressions, type GrafanaDashboard } from "../support/promql-names.ts";
import { repoRoot } from "../rig/repo-root.ts";

jest.setTimeout(180_000);

let rig: KubeRig;
const running: ControllerProcess[] = [];

beforeAll(async () => {
  rig = await KubeRig.start();
  await rig.kubectlOk(["apply", "-f", "crds/"]);
  await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  await rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name: "main" }, spec: { cidr: "198.18.0.0/24", blockSize: 26 } }));
});

afterAll(async () => {
  for (const c of running.splice(0)) await c.stop();
  await rig?.stop();
});

/** Names of the series in a Prometheus text exposition. */
const scrapedNames = (text: string) => new Set(text.split("\n").flatMap((l) => /^([a-zA-Z_:][\w:]*)[{ ]/.exec(l)?.[1] ?? []));

test("every controller metric the dashboard and alerts name is in the leader's scrape; the standby's has no cluster gauge", async () => {
  const chart = join(repoRoot, "helm", "petrel");
  const dashboard = JSON.parse(readFileSync(join(chart, "files", "dashboards", "petrel.json"), "utf8")) as GrafanaDashboard;
  const queried = new Set([...dashboardQueries(dashboard), ...ruleExpressions(readFileSync(join(chart, "templates", "prometheus-rule.yaml"), "utf8"))].flatMap(promqlMetricNames));
  const controllerNames = await declaredMetricNames(createControllerMetrics(() => undefined, () => 0).registry);
  const wanted = [...queried].filter((n) => controllerNames.has(n)).sort();
  // The dashboard uses the controller's series, the cluster gauges among them.
  expect(wanted).toEqual(expect.arrayContaining(["petrel_controller_is_leader", "petrel_controller_reconcile_duration_seconds_bucket", "petrel_ipam_pool_exhausted", "petrel_ipam_allocations_in_use"]));

  const a = await ControllerProcess.start(rig, "scrape-a");
  running.push(a);
  await a.waitReady();
  await waitFor("a leads", 15_000, async () => (await a.metric("petrel_controller_is_leader")) === 1);
  const b = await ControllerProcess.start(rig, "scrape-b");
  running.push(b);
  await b.waitReady();

  // Two nodes get a block each (a quarter of the pool each); one agent's heartbeat, as the agent writes it.
  await Promise.all(["scrape-n1", "scrape-n2"].map((n) => rig.addNode(n)));
  await waitFor("a block per node", 30_000, async () => (await listBlocks(rig)).length === 2);
  await waitFor("the PetrelNode", 30_000, async () => (await rig.request("GET", "/apis/petrel.dev/v1alpha1/petrelnodes/scrape-n1")).status === 200);
  const beat = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const patched = await rig.request("PATCH", "/apis/petrel.dev/v1alpha1/petrelnodes/scrape-n1/status", { status: { lastHeartbeatTime: beat } }, "application/merge-patch+json");
  expect(patched.status).toBe(200);

  await waitFor("the leader's gauges", 15_000, async () => (await a.metric("petrel_ipam_pool_blocks", { pool: "main" })) === 2 &&
    (await a.metric("petrel_controller_agent_heartbeat_timestamp_seconds", { node: "scrape-n1" })) === Date.parse(beat) / 1000);
  expect(await a.metric("petrel_ipam_pool_size_addresses", { pool: "main" })).toBe(256);
  expect(await a.metric("petrel_ipam_pool_free_blocks", { pool: "main" })).toBe(2);
  expect(await a.metric("petrel_ipam_pool_exhausted", { pool: "main" })).toBe(0);
  expect(await a.metric("petrel_ipam_blocks", { pool: "main", node: "scrape-n2" })).toBe(1);

  // The standby: warm caches, no cluster gauge, is_leader 0.
  const standbyText = (await b.get("/metrics")).text;
  const standbyNames = scrapedNames(standbyText);
  expect(leaderOnlyMetricNames.filter((n) => standbyNames.has(n))).toEqual([]);
  expect(standbyText).toMatch(/^petrel_controller_is_leader 0$/m);
  expect(standbyNames.has("petrel_controller_watch_restarts_total")).toBe(true);

  // The pool runs out: two more nodes take the last two blocks, a fifth waits.
  await Promise.all(["scrape-n3", "scrape-n4", "scrape-n5"].map((n) => rig.addNode(n)));
  await waitFor("the pool exhausted", 30_000, async () => (await a.metric("petrel_ipam_pool_exhausted", { pool: "main" })) === 1);
  expect(await a.metric("petrel_ipam_pool_free_blocks", { pool: "main" })).toBe(0);
  await waitFor("the fifth node waiting", 15_000, async () => (await a.metric("petrel_ipam_node_exhausted", { pool: "main" })) === 1);
  expect(await a.metric("petrel_ipam_node_exhausted", { pool: "main", node: "scrape-n5" })).toBe(1);
  expect(await b.metric("petrel_ipam_node_exhausted")).toBe(0);

  // Now every series has samples (petrel_ipam_node_exhausted only while a node waits).
  const leaderNames = scrapedNames((await a.get("/metrics")).text);
  expect(wanted.filter((n) => !leaderNames.has(n))).toEqual([]);
});
