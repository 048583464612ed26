// `helm uninstall` cleans the node, and nothing before it does. On the kubelet node of
// test/e2e/helm-kubelet.test.ts (real kubelet + containerd, the chart's images, two netns nodes of
// the routed demo as BGP peers): the agent programs the other nodes' blocks (protocol 88), a
// blackhole for its own block and the natOutgoing nft table. An agent SIGTERM and a `helm
// upgrade` rolling the node pod leave every one of them in place (sampled every 200 ms) and lose
// no ping across nodes; their DaemonSet still exists, and the agent says so in its log. After
// `helm uninstall` the node has no route of protocol 88, no blackhole in the pool and no Petrel nft
// table, the CNI files are gone too (the installer shares the decision, common/release-gone.ts),
// while a pod still running keeps its own route (protocol 89) and stays reachable from its node.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chartDir, helmOk } from "../support/helm.ts";
import { agentNodeState, chartNamespace as NS, HelmKubeletSetup, kubeletNodeName, waitFor, type AgentNodeState, type PodInfo } from "../support/helm-kubelet-setup.ts";
import { requireRoot } from "../rig/netns.ts";
import { formatLoss, pingDuring, podRoutes } from "../support/route-checks.ts";
import type { ClusterNode, Pod } from "../support/routed-cluster.ts";
import { must, run } from "../rig/run-process.ts";

requireRoot();

const say = (line: string): void => {
  process.stderr.write(`[helm-uninstall.test] ${line}\n`);
};

const h = new HelmKubeletSetup("hu", say);
const netnsNodes: ClusterNode[] = [];
let remotePod: Pod | undefined;
let target: PodInfo | undefined;
let before: AgentNodeState | undefined;

beforeAll(() => h.start(), 900_000);
afterAll(() => h.stop(), 180_000);

const kubectl = (args: readonly string[], input?: string) => h.kubectl(args, input);
const state = () => agentNodeState(h.kubelet.netns);
const show = (s: AgentNodeState) => `${s.via.length} via [${s.via.join(", ")}], blackholes [${s.blackholes.join(", ")}], nft table ${s.natTable ? "present" : "absent"}`;

/** Samples the node's Petrel state every 200 ms while `during` runs: the fewest routes and blackholes seen, and how often the table was missing. */
async function sampled(during: () => Promise<void>): Promise<{ samples: number; minVia: number; minBlackholes: number; natMissing: number }> {
  const r = { samples: 0, minVia: Number.POSITIVE_INFINITY, minBlackholes: Number.POSITIVE_INFINITY, natMissing: 0 };
  let on = true;
  const sampler = (async () => {
    while (on) {
      const s = state();
      r.samples++;
      r.minVia = Math.min(r.minVia, s.via.length);
      r.minBlackholes = Math.min(r.minBlackholes, s.blackholes.length);
      if (!s.natTable) r.natMissing++;
      await sleep(200);
    }
  })();
  try {
    await during();
  } finally {
    on = false;
    await sampler;
  }
  return r;
}

const agentSaid = (message: string) => h.logLines("agent").filter((l) => l.json?.["message"] === message);

test("helm install: the agent programs the other nodes' blocks, its own block's blackhole and the nft table", async () => {
  await helmOk(["install", "petrel", chartDir, "--namespace", NS, "--create-namespace", "-f", h.values()], h.cluster.rig.kubeconfigPath);
  await kubectl(["-n", NS, "rollout", "status", "daemonset/petrel-node", "--timeout=240s"]);
  await kubectl(["-n", NS, "rollout", "status", "deployment/petrel-controller", "--timeout=120s"]);
  await h.kubelet.waitReady(60_000);
  h.followLogs();
  netnsNodes.push(await h.cluster.addNode(), await h.cluster.addNode());
  await h.cluster.waitReady(120_000);
  const blockOf = async (node: string) => (await kubectl(["get", "ipamblocks", "-l", `petrel.dev/node=${node}`, "-o", "jsonpath={.items[0].spec.cidr}"])).trim();
  const own = await blockOf(kubeletNodeName);
  for (const n of netnsNodes) {
    const theirs = await blockOf(n.name);
    await waitFor(`the kubelet node to route ${theirs} via ${n.address}`, 90_000, () => (state().via.includes(`${theirs} via ${n.address}`) ? true : undefined));
    await waitFor(`${n.name} to route ${own} via the kubelet node`, 90_000, () => (h.cluster.routes(n).has(own) ? true : undefined));
  }
  await waitFor("the blackhole of the kubelet node's block and the nft table", 60_000, () => {
    const s = state();
    return s.blackholes.includes(own) && s.natTable ? true : undefined;
  });
  target = await h.startPod("uninstall-target");
  remotePod = await h.cluster.addPod(netnsNodes[0] as ClusterNode);
  expect(h.cluster.ping(remotePod, target.ip)).toBe(true);
  before = state();
  say(`kubelet node before: ${show(before)}; pod routes ${podRoutes(h.kubelet.netns).join(", ")}`);
  expect(before.via.length).toBeGreaterThanOrEqual(2);
  expect(before.blackholes).toContain(own);
  expect(podRoutes(h.kubelet.netns).some((r) => r.startsWith(`${target?.ip}/32 dev `) || r.startsWith(`${target?.ip} dev `))).toBe(true);
}, 600_000);

test("an agent SIGTERM (its DaemonSet exists) leaves routes, blackholes and the nft table in place and loses no ping", async () => {
  if (remotePod === undefined || target === undefined || before === undefined) throw new Error("the install test did not finish");
  const old = (await h.nodePod()).containers.find((c) => c.name === "agent");
  if (old === undefined) throw new Error("no agent container");
  let loss = { sent: 0, lost: 0 };
  const s = await sampled(async () => {
    loss = await pingDuring(remotePod?.netns ?? "", target?.ip ?? "", async () => {
      const r = await h.kubelet.ctr(["tasks", "kill", "-s", "SIGTERM", old.id]);
      if (r.status !== 0) throw new Error(`ctr tasks kill ${old.id}: ${r.stderr}`);
      await waitFor("the agent restarted and ready", 120_000, async () => {
        const now = (await h.nodePod()).containers;
        const c = now.find((x) => x.name === "agent");
        return c !== undefined && c.restarts > old.restarts && now.every((x) => x.ready) ? true : undefined;
      });
      await sleep(5000);
    }, 0.2);
  });
  say(`${formatLoss("agent SIGTERM: netns pod -> kubelet pod", loss)}; ${s.samples} samples, fewest via ${s.minVia}, fewest blackholes ${s.minBlackholes}, nft table missing ${s.natMissing} times`);
  expect(loss.sent).toBeGreaterThan(20);
  expect(loss.lost).toBe(0);
  expect(s.samples).toBeGreaterThan(10);
  expect([s.minVia, s.minBlackholes, s.natMissing]).toEqual([before.via.length, before.blackholes.length, 0]);
  const kept = agentSaid("stopping; routes and BGP sessions are left in place");
  expect(kept.length).toBeGreaterThanOrEqual(1);
  expect(String(kept.at(-1)?.json?.["why"])).toMatch(/DaemonSet petrel-node is present .*rolling update, a restart or a drain/);
}, 300_000);

test("helm upgrade rolls the node pod: routes, blackholes and the nft table never go, and no ping is lost", async () => {
  if (remotePod === undefined || target === undefined || before === undefined) throw new Error("the install test did not finish");
  const podBefore = (await h.nodePod()).pod;
  let loss = { sent: 0, lost: 0 };
  const s = await sampled(async () => {
    loss = await pingDuring(remotePod?.netns ?? "", target?.ip ?? "", async () => {
      // A changed value changes the pod template: a rolling update of the DaemonSet.
      await helmOk(["upgrade", "petrel", chartDir, "--namespace", NS, "-f", h.values(), "--set", "node.logLevel=info"], h.cluster.rig.kubeconfigPath);
      await kubectl(["-n", NS, "rollout", "status", "daemonset/petrel-node", "--timeout=240s"]);
      await sleep(10_000);
    }, 0.2);
  });
  const podAfter = (await h.nodePod()).pod;
  say(`${formatLoss(`helm upgrade (${podBefore} -> ${podAfter}): netns pod -> kubelet pod`, loss)}; ${s.samples} samples, fewest via ${s.minVia}, fewest blackholes ${s.minBlackholes}, nft table missing ${s.natMissing} times`);
  expect(podAfter).not.toBe(podBefore);
  expect(loss.sent).toBeGreaterThan(30);
  expect(loss.lost).toBe(0);
  expect([s.minVia, s.minBlackholes, s.natMissing]).toEqual([before.via.length, before.blackholes.length, 0]);
  expect(state()).toEqual(before);
  // The old pod's agent and installer both said why they kept everything.
  expect(agentSaid("stopping; routes and BGP sessions are left in place").some((l) => l.file.startsWith(`${NS}_${podBefore}_`))).toBe(true);
  expect(h.logLines("install-cni").some((l) => l.file.startsWith(`${NS}_${podBefore}_`) && l.json?.["message"] === "stopping; CNI files stay (update, drain or restart)")).toBe(true);
}, 420_000);

test("helm uninstall: no route of protocol 88, no blackhole, no nft table, no CNI files; a running pod keeps its own route", async () => {
  if (target === undefined) throw new Error("the install test did not finish");
  // What the installer will remove, kept aside so the pod still running can be deleted afterwards
  // (its CNI DEL needs the plugin; operators should delete such pods before uninstalling).
  const aside = join(h.work, "cni-aside");
  mkdirSync(aside);
  for (const d of [h.cniBinDir, h.cniConfDir]) for (const f of readdirSync(d)) copyFileSync(join(d, f), join(aside, f));
  const last = state();
  expect(last.via.length).toBeGreaterThanOrEqual(2);
  const t0 = Date.now();
  await helmOk(["uninstall", "petrel", "--namespace", NS, "--wait", "--timeout=4m"], h.cluster.rig.kubeconfigPath);
  say(`helm uninstall --wait took ${Date.now() - t0} ms`);
  await waitFor("the node pod to be gone", 120_000, async () =>
    (await kubectl(["get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=node", "-o", "name"])).trim() === "" ? true : undefined);
  await h.stopFollowingLogs();
  const after = state();
  say(`kubelet node after: ${show(after)}; pool blackholes [${after.poolBlackholes.join(", ")}]; pod routes ${podRoutes(h.kubelet.netns).join(", ")}`);
  const cleaned = agentSaid("release uninstalled: removed this node's Petrel routes and nft table");
  say(`agent: ${JSON.stringify(cleaned.at(-1)?.json ?? h.logLines("agent").slice(-3).map((l) => l.text))}`);
  const installer = h.logLines("install-cni").filter((l) => l.json?.["message"] === "uninstalled: removed the CNI files this installer wrote");
  say(`install-cni: ${JSON.stringify(installer.at(-1)?.json?.["why"] ?? h.logLines("install-cni").slice(-3).map((l) => l.text))}`);
  expect(after).toEqual({ via: [], blackholes: [], poolBlackholes: [], natTable: false });
  expect(must(["ip", "-n", h.kubelet.netns, "-6", "route", "show", "proto", "88"]).trim()).toBe("");
  expect(cleaned).toHaveLength(1);
  expect(cleaned[0]?.json?.["removedRoutes"]).toEqual({ via: last.via.length, blackhole: last.blackholes.length });
  expect(installer).toHaveLength(1);
  expect(readdirSync(h.cniConfDir)).toEqual([]);
  expect(readdirSync(h.cniBinDir)).toEqual([]);
  // The running pod is the CNI plugin's, not the agent's: its route and veth stay, and the node reaches it.
  expect(podRoutes(h.kubelet.netns).some((r) => r.startsWith(`${target?.ip}`))).toBe(true);
  expect(run(["ip", "netns", "exec", h.kubelet.netns, "ping", "-c", "1", "-W", "2", target.ip]).status).toBe(0);
  // The state directory (allocation records) stays, as the installer leaves it.
  expect(existsSync(join(h.stateDir, "allocations"))).toBe(true);

  // With the plugin back, the pod can be deleted and its DEL removes its route.
  for (const f of readdirSync(aside)) copyFileSync(join(aside, f), join(f.endsWith(".conflist") ? h.cniConfDir : h.cniBinDir, f));
  await h.deletePod(target.name);
  expect(podRoutes(h.kubelet.netns)).toEqual([]);
}, 420_000);
