// Three real kubelet nodes with Petrel installed by `helm install` (chart defaults: 2 controller
// replicas spread over 2 nodes), kube-proxy and CoreDNS (test/support/kubelet-cluster.ts); then
//  1. the upstream Kubernetes e2e suite's [sig-network] tests (e2e.test of the pinned release):
//     a CI subset by default, every [sig-network] Conformance test with PETREL_CONFORMANCE=full;
//  2. fault drills, each printing its result: `helm upgrade` to a changed node image, a reboot of
//     one node's processes, drain and delete of a node.
// docs/k8s-rig.md ("Three kubelet nodes") says how long each part takes and what it last printed.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { containsAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import { changedImage } from "../rig/changed-image.ts";
import { agnhostImage, e2eBusyboxImage } from "../rig/e2e-images.ts";
import { ciFocus, conformanceFocus, formatE2eSummary, runE2e } from "../rig/e2e-suite.ts";
import { chartDir, helmOk } from "../support/helm.ts";
import { KubeletCluster, clusterDomain, petrelNamespace, petrelVersion, waitFor } from "../support/kubelet-cluster.ts";
import { requireRoot } from "../rig/netns.ts";
import { must } from "../rig/run-process.ts";
import { formatPairs, probeDuring, probePodManifest, type ProbePod } from "../support/traffic-probe.ts";

requireRoot();

const full = process.env.PETREL_CONFORMANCE === "full";
// A regular expression of test names to run instead (by hand: one test, or the ones that failed).
const focusOverride = process.env.PETREL_E2E_FOCUS;
const version = petrelVersion;
const say = (line: string): void => {
  process.stderr.write(`[kubelet-cluster.test] ${line}\n`);
};

let clusterOrUndefined: KubeletCluster | undefined;
let work = "";
function cluster(): KubeletCluster {
  if (clusterOrUndefined === undefined) throw new Error("the cluster did not start (see the beforeAll error)");
  return clusterOrUndefined;
}
const kubectl = (args: readonly string[], input?: string) => cluster().kubectlOk(args, input);

beforeAll(async () => {
  work = mkdtempSync("/tmp/petrel-kc-e2e-");
  clusterOrUndefined = await KubeletCluster.start({ label: "kc", nodes: 3, log: say });
  // Drills wait for the controller to free a deleted node's blocks: 30 s instead of 5 min.
  await cluster().installPetrel({ controller: { nodeGracePeriod: "30s" } });
  await cluster().installCoreDNS();
}, 1_200_000);

afterAll(async () => {
  await clusterOrUndefined?.stop();
  if (work !== "") rmSync(work, { recursive: true, force: true });
}, 300_000);

test("chart defaults: two controller replicas on two different nodes, one agent per node", async () => {
  const controllers = await cluster().pods(petrelNamespace, "app.kubernetes.io/component=controller");
  const agents = await cluster().pods(petrelNamespace, "app.kubernetes.io/component=node");
  say(`controllers on ${controllers.map((p) => p.node).join(", ")}; agents on ${agents.map((p) => p.node).join(", ")}`);
  expect(controllers.filter((p) => p.ready)).toHaveLength(2);
  expect(new Set(controllers.map((p) => p.node)).size).toBe(2);
  expect(agents.map((p) => p.node).sort()).toEqual(["node-1", "node-2", "node-3"]);
}, 60_000);

const selection = focusOverride !== undefined ? `PETREL_E2E_FOCUS=${focusOverride}` : full ? "every Conformance test" : "the CI subset";
test(`upstream e2e.test [sig-network]: ${selection}`, async () => {
  const r = await runE2e({
    binDir: cluster().rig.binDir,
    kubeconfig: cluster().rig.kubeconfigPath,
    focus: focusOverride ?? (full ? conformanceFocus : ciFocus),
    dir: join(work, "e2e"),
    dnsDomain: clusterDomain,
    timeout: full ? "3h" : "40m",
    log: say,
  });
  say(`\n${formatE2eSummary(r, `e2e.test ${selection}`)}`);
  expect(r.specs.length).toBeGreaterThan(0);
  if (!full && focusOverride === undefined) expect(r.specs.length).toBeGreaterThanOrEqual(6);
  expect(r.specs.filter((s) => s.state !== "passed" && s.state !== "skipped").map((s) => `${s.name}: ${s.message.slice(0, 500)}`)).toEqual([]);
  // A skip must say why (a feature the rig lacks); the CI subset has none.
  for (const s of r.specs.filter((x) => x.state === "skipped")) expect([s.name, s.message]).not.toEqual([s.name, ""]);
  if (!full && focusOverride === undefined) expect(r.specs.filter((s) => s.state === "skipped").map((s) => s.name)).toEqual([]);
}, (full ? 200 : 45) * 60_000);

// --- fault drills ---------------------------------------------------------------------------------
const drillNs = "drills";
const probes: ProbePod[] = [];

async function startProbes(): Promise<void> {
  await kubectl(["create", "namespace", drillNs]).catch(() => "");
  const agnhost = agnhostImage().ref;
  const busybox = e2eBusyboxImage().ref;
  for (const n of cluster().nodes) {
    await kubectl(["apply", "-n", drillNs, "-f", "-"], JSON.stringify(probePodManifest(`probe-${n.name}`, n.name, agnhost, busybox)));
  }
  await kubectl(["wait", "-n", drillNs, "--for=condition=Ready", "pod", "-l", "app=probe", "--timeout=180s"]);
  probes.length = 0;
  for (const p of await cluster().pods(drillNs, "app=probe")) probes.push({ name: p.name, node: p.node, ip: p.ip });
  say(`probe pods: ${probes.map((p) => `${p.name}=${p.ip}`).join(" ")}`);
}

const probeOn = (node: string): ProbePod => {
  const p = probes.find((x) => x.node === node);
  if (p === undefined) throw new Error(`no probe pod on ${node}`);
  return p;
};

test("drill: helm upgrade to a changed node image; pods on the other nodes lose no packets and no connection", async () => {
  await startProbes();
  // The changed image: the node image rebuilt with one more label (a new image ID and digest).
  const { archive, tag } = changedImage(cluster().images[1] ?? "", `localhost/petrel/node:${version}`, "drill", work);
  for (const n of cluster().nodes) await n.kubelet.containerd.importImage(archive);
  const before = (await cluster().pods(petrelNamespace, "app.kubernetes.io/component=node")).map((p) => p.name).sort();
  const pairs = cluster().nodes.flatMap((a) => cluster().nodes.filter((b) => b !== a).map((b) => [probeOn(a.name), probeOn(b.name)] as const));
  const t0 = Date.now();
  const { pairs: results } = await probeDuring(cluster().rig, drillNs, pairs, 90, async () => {
    await helmOk(["upgrade", "petrel", chartDir, "-n", petrelNamespace, "--reuse-values", "--set", `node.image.tag=${tag}`], cluster().rig.kubeconfigPath);
    await kubectl(["-n", petrelNamespace, "rollout", "status", "daemonset/petrel-node", "--timeout=300s"]);
    say(`helm upgrade: DaemonSet rolled to ${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  const after = (await cluster().pods(petrelNamespace, "app.kubernetes.io/component=node")).map((p) => p.name).sort();
  say(`\n${formatPairs(`drill helm upgrade (node image -> ${tag}; agents ${before.join(",")} -> ${after.join(",")}):`, results)}`);
  expect(after).not.toEqual(before);
  for (const r of results) {
    expect([r.from.name, r.to.name, r.pingsLost, r.tcpBroken]).toEqual([r.from.name, r.to.name, 0, undefined]);
    expect(r.pingsSent).toBeGreaterThan(100);
  }
}, 600_000);

test("drill: reboot of node-3's containerd, kubelet, kube-proxy and Petrel pod; node-1 and node-2 pods keep talking", async () => {
  const pairs = [[probeOn("node-1"), probeOn("node-2")], [probeOn("node-2"), probeOn("node-1")]] as const;
  const old3 = probeOn("node-3");
  const agentOn3 = async () => (await cluster().pods(petrelNamespace, "app.kubernetes.io/component=node")).find((x) => x.node === "node-3");
  const agentBefore = await agentOn3();
  const t0 = Date.now();
  let agentS = 0;
  let podS = 0;
  const { pairs: results, result: back } = await probeDuring(cluster().rig, drillNs, pairs, 90, async () => {
    await cluster().rebootNode("node-3");
    // The Node's Ready condition may never have gone stale: wait for the containers to come back.
    await waitFor("node-3's Petrel pod restarted and Ready", 240_000, async () => {
      const a = await agentOn3();
      return a !== undefined && a.ready && a.restarts > (agentBefore?.restarts ?? 0) ? a : undefined;
    });
    agentS = (Date.now() - t0) / 1000;
    // The pods of node-3 come back with new sandboxes (and new addresses from node-3's blocks).
    const p = await waitFor("node-3's probe pod Ready again in a new sandbox", 240_000, async () => {
      const x = (await cluster().pods(drillNs, "app=probe")).find((y) => y.node === "node-3");
      return x?.ready === true && x.ip !== "" && x.ip !== old3.ip ? x : undefined;
    });
    podS = (Date.now() - t0) / 1000;
    return p;
  });
  const agent = await agentOn3();
  const i = probes.indexOf(old3);
  probes[i] = { name: back.name, node: back.node, ip: back.ip };
  const { pairs: after } = await probeDuring(cluster().rig, drillNs, [[probeOn("node-1"), probes[i]], [probes[i], probeOn("node-2")]], 5, async () => {});
  say(`\n${formatPairs(`drill reboot node-3 (Petrel pod ${agent?.name ?? "?"} back and Ready after ${agentS.toFixed(1)} s; probe pod in a new sandbox after ${podS.toFixed(1)} s, ${old3.ip} -> ${back.ip}; last two rows: node-3's new pod, right after):`, [...results, ...after])}`);
  for (const r of results) expect([r.from.name, r.to.name, r.pingsLost, r.tcpBroken]).toEqual([r.from.name, r.to.name, 0, undefined]);
  // Reachable again (some loss right after is allowed: routes to the new address's block never changed, but ARP and conntrack start afresh).
  for (const r of after) expect([r.from.name, r.to.name, r.pingsLost < r.pingsSent]).toEqual([r.from.name, r.to.name, true]);
}, 900_000);

test("drill: drain and delete node-3; its pods reschedule with addresses elsewhere, its block is freed and withdrawn", async () => {
  await kubectl(["apply", "-n", drillNs, "-f", "-"], JSON.stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" },
    spec: {
      replicas: 6, selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "web", image: agnhostImage().ref, args: ["netexec", "--http-port=8080"] }] } },
    },
  }));
  await kubectl(["-n", drillNs, "rollout", "status", "deployment/web", "--timeout=180s"]);
  const blocksOf = async (node: string) => (await kubectl(["get", "ipamblocks", "-l", `petrel.dev/node=${node}`, "-o", "jsonpath={.items[*].spec.cidr}"])).trim().split(" ").filter((b) => b !== "");
  const oldBlocks = await blocksOf("node-3");
  const before = (await cluster().pods(drillNs, "app=web")).filter((p) => p.node === "node-3");
  expect(oldBlocks.length).toBeGreaterThan(0);
  const t0 = Date.now();
  await kubectl(["drain", "node-3", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=180s"]);
  const drainedS = (Date.now() - t0) / 1000;
  await kubectl(["-n", drillNs, "rollout", "status", "deployment/web", "--timeout=180s"]);
  const after = (await cluster().pods(drillNs, "app=web")).filter((p) => !p.deleting);
  await cluster().removeNode("node-3");
  const freed = await waitFor("node-3's blocks to be freed", 180_000, async () => ((await blocksOf("node-3")).length === 0 ? (Date.now() - t0) / 1000 : undefined));
  const withdrawn = await waitFor("node-1 and node-2 to drop their routes to node-3's blocks", 180_000, () => {
    for (const n of cluster().nodes) {
      const routes = JSON.parse(must(["ip", "-n", n.netns, "-j", "route", "show"]) || "[]") as { dst: string }[];
      if (routes.some((r) => oldBlocks.includes(r.dst))) return undefined;
    }
    return (Date.now() - t0) / 1000;
  });
  const otherBlocks = [...(await blocksOf("node-1")), ...(await blocksOf("node-2"))].map((b) => parseCidr(b));
  const lines = [
    `drill drain+delete node-3: drained in ${drainedS.toFixed(1)} s; ${before.length} web pods moved; blocks ${oldBlocks.join(",")} freed after ${freed.toFixed(1)} s, routes withdrawn after ${withdrawn.toFixed(1)} s`,
    ...before.map((p) => `  was ${p.name} ${p.ip} on node-3`),
    ...after.map((p) => `  now ${p.name} ${p.ip} on ${p.node}${p.ready ? "" : " (not Ready)"}`),
  ];
  say(`\n${lines.join("\n")}`);
  expect(after).toHaveLength(6);
  for (const p of after) {
    expect([p.name, p.node === "node-3", p.ready, otherBlocks.some((b) => containsAddress(b, parseAddress(p.ip)))]).toEqual([p.name, false, true, true]);
  }
  // The moved pods serve: one HTTP request from node-1's probe to each.
  for (const p of after) {
    const r = await cluster().kubectl(["exec", "-n", drillNs, probeOn("node-1").name, "-c", "client", "--", "curl", "-s", "--max-time", "5", `http://${p.ip}:8080/hostname`]);
    expect([p.name, r.stdout.trim()]).toEqual([p.name, p.name]);
  }
}, 900_000);

