// What an operator sees of BGP on the routed cluster (test/support/routed-cluster.ts: real
// apiserver, controller, gobgpd + agent per node, BIRD as the top-of-rack router), with a rogue
// peer that sends hostile announcements: `petrelctl bgp routes --local` against each real agent
// (what petrelctl runs in a node's Petrel pod; these nodes have no kubelet, so petrelctl runs on
// the host against the agent's health address) compared with the node's kernel and gobgpd, and
// the agent's per-peer series in a real scrape, a departed peer's series gone.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { RoutesView } from "../../common/bgp-routes.ts";
import { connectGobgp } from "../../bgp/gobgp/host/connect-gobgp.ts";
import type { BgpRoutesReport } from "../../bgp/petrelctl/bgp-routes.ts";
import { killGobgpd, startGobgpd } from "../support/gobgpd.ts";
import { listBlocks, waitFor } from "../support/ipam.ts";
import { requireRoot } from "../rig/netns.ts";
import { sumSamples } from "../support/prom-text.ts";
import { repoRoot } from "../rig/repo-root.ts";
import { RoutedCluster, torAddress, type ClusterNode } from "../support/routed-cluster.ts";

jest.setTimeout(300_000);

const petrelctl = join(repoRoot, "dist", "bin", "petrelctl");
const rogueAddress = "192.0.2.250";
let cluster: RoutedCluster;

beforeAll(async () => {
  requireRoot();
  cluster = await RoutedCluster.start({ nodes: 3, label: "ops" });
  await cluster.waitReady();
});

afterAll(async () => {
  await cluster?.stop();
});

const ctl = (args: readonly string[]) => spawnSync(petrelctl, [`--kubeconfig=${cluster.rig.kubeconfigPath}`, ...args], { encoding: "utf8", timeout: 60_000 });

/** `bgp routes --local` against node `n`'s agent, as the JSON report. */
function localRoutes(n: ClusterNode): RoutesView {
  const r = ctl(["bgp", "routes", "--local", "--agent-address", `127.0.0.1:${n.healthPort}`, "-o", "json"]);
  if (r.status !== 0) throw new Error(`petrelctl bgp routes --local on ${n.name}: exit ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as BgpRoutesReport;
  const v = report.nodes[0]?.routes;
  if (report.nodes.length !== 1 || v === undefined) throw new Error(`not one node's routes: ${r.stdout.slice(0, 500)}`);
  return v;
}

async function scrape(n: ClusterNode): Promise<string> {
  return (await fetch(`http://127.0.0.1:${n.healthPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
}

const node = (i: number): ClusterNode => {
  const n = cluster.nodes[i];
  if (n === undefined) throw new Error(`node ${i + 1} missing`);
  return n;
};

test("bgp routes --local: sessions Established, the node's blocks advertised with its address, the others' learned from their owners and installed", async () => {
  const [n1, n2, n3] = [node(0), node(1), node(2)];
  const blocks = await listBlocks(cluster.rig);
  const own = blocks.filter((b) => b.spec.node === n1.name).map((b) => b.spec.cidr).sort();
  const others = blocks.filter((b) => b.spec.node !== n1.name);
  expect(own.length).toBeGreaterThan(0);
  expect(others.length).toBeGreaterThanOrEqual(2);
  await waitFor("node-1 to learn and install every other block, its sessions Established", 60_000, async () => {
    const v = localRoutes(n1);
    const installed = v.learned.filter((l) => l.state === "installed").length;
    return (installed === others.length && v.peers.every((p) => p.state === "Established")) || JSON.stringify({ peers: v.peers.map((p) => `${p.address} ${p.state}`), learned: v.learned });
  });
  const v = localRoutes(n1);
  expect(v).toMatchObject({ version: 1, node: n1.name, bgpConfigured: true, routesHeld: false });
  expect(v.peers.map((p) => [p.address, p.asn, p.kind, p.state])).toEqual([
    [n2.address, 64512, "NodeMesh", "Established"],
    [n3.address, 64512, "NodeMesh", "Established"],
    [torAddress, 65000, "GlobalPeer", "Established"],
  ]);
  for (const p of v.peers) expect([p.address, p.uptimeSeconds !== undefined && p.uptimeSeconds >= 0, p.advertised >= own.length]).toEqual([p.address, true, true]);
  expect(v.advertised).toEqual(own.map((prefix) => ({ prefix, nextHop: n1.address, kind: "block" })));
  // Learned from each block's owner directly (the ToR's copy has a longer AS path), in the kernel via it.
  const kernel = cluster.routes(n1);
  const ownerAddress = (node: string) => cluster.nodes.find((n) => n.name === node)?.address;
  expect(v.learned).toEqual(expect.arrayContaining(others.map((b) => ({
    prefix: b.spec.cidr, peer: ownerAddress(b.spec.node), nextHop: ownerAddress(b.spec.node), stale: false, state: "installed", kernelGateway: ownerAddress(b.spec.node),
  }))));
  expect(v.learned.length).toBe(others.length);
  for (const l of v.learned) expect([l.prefix, kernel.get(l.prefix)]).toEqual([l.prefix, l.kernelGateway]);
  // The table says the same.
  const table = ctl(["bgp", "routes", "--local", "--agent-address", `127.0.0.1:${n1.healthPort}`]);
  console.log(`petrelctl bgp routes --local on node-1:\n${table.stdout}`);
  expect(table.status).toBe(0);
  expect(table.stdout).toMatch(new RegExp(`^node-1 +${torAddress.replaceAll(".", "\\.")} +65000 +GlobalPeer +Established +\\S+ +\\d+ +0 +\\d+$`, "m"));
  for (const prefix of own) expect(table.stdout).toMatch(new RegExp(`^node-1 +${prefix.replaceAll(".", "\\.")} +192\\.0\\.2\\.11 +block$`, "m"));
  for (const b of others) expect(table.stdout).toMatch(new RegExp(`^node-1 +${b.spec.cidr.replaceAll(".", "\\.")} +(\\S+) +\\1 +installed$`, "m"));
  expect(table.stdout).toContain("No announcement refused (in force).");
});

test("per-peer metrics in a real scrape; a rogue peer's announcements refused in bgp routes with peer, next hop and reason; its series go with it", async () => {
  const n1 = node(0);
  const blocks = await listBlocks(cluster.rig);
  const b1 = blocks.find((b) => b.spec.node === n1.name)?.spec.cidr ?? "";
  const b2 = blocks.find((b) => b.spec.node === node(1).name)?.spec.cidr ?? "";
  // What node-1 must refuse, and why (route trust, docs/agent.md).
  const hostile: Record<string, string> = {
    "198.18.15.7/32": "longer_than_block",
    [b2]: "wrong_next_hop",
    [b1]: "own_block",
    "0.0.0.0/0": "default_route",
    "198.18.0.0/20": "pool_aggregate",
    "203.0.113.0/24": "foreign_prefix",
  };
  let text = await scrape(n1);
  const mesh = node(1).address;
  expect(sumSamples(text, "petrel_agent_bgp_peer_state", { peer: mesh, peer_as: "64512", state: "Established" })).toBe(1);
  expect(sumSamples(text, "petrel_agent_bgp_peer_state", { peer: mesh })).toBe(1); // exactly one state is 1
  expect(sumSamples(text, "petrel_agent_bgp_peer_routes_received", { peer: mesh })).toBeGreaterThanOrEqual(1);
  expect(sumSamples(text, "petrel_agent_bgp_peer_refused_routes", { peer: mesh })).toBe(0);
  expect(sumSamples(text, "petrel_agent_bgp_peer_routes_advertised", { peer: torAddress, peer_as: "65000" })).toBeGreaterThanOrEqual(1);
  const uptime = sumSamples(text, "petrel_agent_bgp_peer_uptime_seconds", { peer: mesh });
  await new Promise((r) => setTimeout(r, 2100));
  expect(sumSamples(await scrape(n1), "petrel_agent_bgp_peer_uptime_seconds", { peer: mesh })).toBeGreaterThanOrEqual(uptime + 2);
  expect(text).not.toContain(`peer="${rogueAddress}"`);

  const rogueNs = cluster.ns.create();
  cluster.plugUnderlay(rogueNs, "rogue", rogueAddress);
  const rogue = await startGobgpd("rogue", rogueNs, cluster.dir);
  const client = connectGobgp({ address: rogue.address });
  try {
    await client.startBgp({ asn: 65099, routerId: rogueAddress, listenPort: 179 });
    // It sends only what it makes up, and learns nothing (see routed.test.ts).
    await client.addPolicy({ name: "rogue-own", statements: [{ name: "rogue-own-local", conditions: { routeType: "local" }, action: "accept" }] });
    await client.setPolicyAssignment({ direction: "import", policies: ["rogue-own"], defaultAction: "reject" });
    await client.setPolicyAssignment({ direction: "export", policies: ["rogue-own"], defaultAction: "reject" });
    await client.addPeer({ address: n1.address, asn: 64512, timers: { connectRetry: 5 } });
    for (const prefix of Object.keys(hostile)) await client.addPath({ prefix, nextHop: rogueAddress });
    await cluster.rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind: "BGPPeer", metadata: { name: "rogue" }, spec: { peerIP: rogueAddress, asNumber: 65099, node: n1.name } }));
    await waitFor("node-1 to list every hostile announcement as refused", 60_000, async () => {
      const v = localRoutes(n1);
      return v.refused.filter((r) => r.peer === rogueAddress).length === Object.keys(hostile).length || JSON.stringify(v.refused);
    });
    const v = localRoutes(n1);
    expect(v.peers.find((p) => p.address === rogueAddress)).toMatchObject({ asn: 65099, kind: "NodePeer", source: "BGPPeer rogue", state: "Established", received: Object.keys(hostile).length, refused: Object.keys(hostile).length });
    for (const [prefix, reason] of Object.entries(hostile)) {
      // (A policy change re-evaluates what the rogue sent, so one announcement may be judged twice.)
      expect(v.refused.find((r) => r.prefix === prefix && r.peer === rogueAddress)).toMatchObject({ nextHop: rogueAddress, reason, times: expect.any(Number) });
    }
    expect(v.learned.filter((l) => l.peer === rogueAddress)).toEqual([]);
    for (const reason of new Set(Object.values(hostile))) expect([reason, (v.refusedTotals[reason] ?? 0) >= 1]).toEqual([reason, true]);
    const table = ctl(["bgp", "routes", "--local", "--agent-address", `127.0.0.1:${n1.healthPort}`, "-o", "wide"]);
    console.log(`petrelctl bgp routes --local -o wide on node-1, the rogue peering:\n${table.stdout}`);
    expect(table.stdout).toMatch(/^node-1 +0\.0\.0\.0\/0 +192\.0\.2\.250 +192\.0\.2\.250 +default_route +\d+ +\S+ ago +\S+ ago +0\.0\.0\.0\/0 is a default route$/m);
    expect(table.stdout).toMatch(/^node-1 +198\.18\.15\.7\/32 +192\.0\.2\.250 +192\.0\.2\.250 +longer_than_block /m);
    expect(table.stdout).toMatch(/^node-1 +192\.0\.2\.250 +65099 +NodePeer +Established +\S+ +6 +6 +\d+ +BGPPeer rogue$/m);
    expect(table.stdout).toMatch(/^node-1: refused since its agent started: .*default_route=\d+/m);

    // The scrape: the rogue's session, what it sent, what of it is refused (in force, and counted).
    await waitFor("the rogue's per-peer series", 30_000, async () => {
      text = await scrape(n1);
      return sumSamples(text, "petrel_agent_bgp_peer_routes_received", { peer: rogueAddress }) === Object.keys(hostile).length || text.split("\n").filter((l) => l.includes(rogueAddress)).join("\n");
    });
    const rogueLabels = { peer: rogueAddress, peer_as: "65099" };
    expect(sumSamples(text, "petrel_agent_bgp_peer_state", { ...rogueLabels, state: "Established" })).toBe(1);
    expect(sumSamples(text, "petrel_agent_bgp_peer_state", { ...rogueLabels, state: "Idle" })).toBe(0);
    expect(sumSamples(text, "petrel_agent_bgp_peer_refused_routes", rogueLabels)).toBe(Object.keys(hostile).length);
    const refusedByRogue = v.refused.filter((r) => r.peer === rogueAddress).reduce((n, r) => n + r.times, 0);
    expect(sumSamples(text, "petrel_agent_bgp_peer_routes_refused_total", rogueLabels)).toBeGreaterThanOrEqual(refusedByRogue);
    expect(sumSamples(text, "petrel_agent_bgp_peer_routes_refused_total", { peer: mesh })).toBe(0);
    console.log(`node-1's series of the rogue peer:\n${text.split("\n").filter((l) => l.includes(rogueAddress)).join("\n")}`);
    // The other nodes do not peer with it: no series there.
    expect(await scrape(node(1))).not.toContain(`peer="${rogueAddress}"`);

    // The BGPPeer goes: the session, and every series of that peer, with it.
    await cluster.rig.kubectlOk(["delete", "bgppeer", "rogue"]);
    await waitFor("the rogue's series to go from node-1's scrape", 30_000, async () => {
      const lines = (await scrape(n1)).split("\n").filter((l) => l.includes(`peer="${rogueAddress}"`));
      return lines.length === 0 || lines.join("\n");
    });
    await waitFor("the rogue's refusals to leave bgp routes", 30_000, async () => localRoutes(n1).refused.every((r) => r.peer !== rogueAddress) || "still listed");
    expect(localRoutes(n1).peers.map((p) => p.address)).not.toContain(rogueAddress);
  } finally {
    await cluster.rig.kubectlOk(["delete", "bgppeer", "rogue", "--ignore-not-found"]);
    client.close();
    await killGobgpd(rogue);
    cluster.ns.remove(rogueNs);
  }
});

test("bgp routes from far away: an unknown node is a usage error (exit 2) naming it; a node without a Petrel pod exit 1; bad flags exit 2", async () => {
  const unknown = ctl(["bgp", "routes", "--node", "node-9"]);
  expect([unknown.status, unknown.stdout]).toEqual([2, ""]);
  expect(unknown.stderr).toBe('petrelctl: --node: the cluster has no Node "node-9"; kubectl get nodes lists them (node-1, node-2, node-3)\n');
  // These nodes run the agent as a process, not in a pod: there is nobody to kubectl exec into.
  const podless = ctl(["bgp", "routes", "--node", "node-2", "-o", "json"]);
  expect(podless.status).toBe(1);
  expect(JSON.parse(podless.stdout)).toEqual({ nodes: [{ node: "node-2", unavailable: expect.stringMatching(/^no Petrel node pod runs on node-2 \(kubectl get pods -A/) }] });
  const all = ctl(["bgp", "routes"]);
  expect([all.status, all.stdout]).toEqual([1, "WARNING: no node runs Petrel's node pod: kubectl get pods -A -l app.kubernetes.io/name=petrel -o wide shows where Petrel runs\n"]);
  const wrongNode = ctl(["bgp", "routes", "--local", "--agent-address", `127.0.0.1:${node(0).healthPort}`, "--node", "node-2"]);
  expect([wrongNode.status, wrongNode.stderr]).toEqual([2, `petrelctl: --node: the agent at 127.0.0.1:${node(0).healthPort} is node "node-1", not "node-2"; run on node-2, or leave --local out\n`]);
  const nobody = ctl(["bgp", "routes", "--local", "--agent-address", "127.0.0.1:1"]);
  expect(nobody.status).toBe(1);
  expect(nobody.stderr).toMatch(/^petrelctl: the agent does not answer at http:\/\/127\.0\.0\.1:1\/bgp\/routes \(ECONNREFUSED\): is petrel-agent running on this node/);
  expect(ctl(["bgp", "routes", "-o", "xml"]).status).toBe(2);
  // Completion knows the command and its flags.
  expect(ctl(["__complete", "--", "bgp", ""]).stdout).toBe("routes\n");
  expect(ctl(["__complete", "--", "bgp", "routes", "--l"]).stdout).toBe("--local\n");
});
