// The routed multi-node cluster, end to end: real apiserver, controller, gobgpd + agent per node,
// BIRD as the top-of-rack router, pods wired by the CNI plugin. Pods reach each other across
// nodes with no encapsulation; the ToR learns every block; failures heal.
import { requireRoot } from "../support/netns.ts";
import { spawn } from "node:child_process";
import { listBlocks, waitFor } from "../support/ipam.ts";
import { birdRoutes, birdSessions } from "../support/bird.ts";
import { RoutedCluster, type Pod } from "../support/routed-cluster.ts";

jest.setTimeout(300_000);

let cluster: RoutedCluster;
const pods: Pod[] = [];

beforeAll(async () => {
  requireRoot();
  cluster = await RoutedCluster.start({ nodes: 3, label: "e2e" });
  await cluster.waitReady();
  for (const node of cluster.nodes) for (let i = 0; i < 2; i++) pods.push(await cluster.addPod(node));
});

afterAll(async () => {
  await cluster?.stop();
});

function pingMatrix(list: readonly Pod[]): string[] {
  const failures: string[] = [];
  for (const a of list) for (const b of list) if (a !== b && !cluster.ping(a, b.ip)) failures.push(`${a.name}@${a.node.name} -> ${b.name}@${b.node.name} (${b.ip})`);
  return failures;
}

test("every pod reaches every other pod, across nodes", async () => {
  // Routes spread over the mesh within seconds of the blocks being advertised.
  await waitFor("each node to route every other node's blocks", 60_000, async () => {
    for (const n of cluster.nodes) if ([...cluster.routes(n).values()].filter((g) => g !== "blackhole").length < cluster.nodes.length - 1) return `${n.name} lacks routes`;
    return true;
  });
  expect(pingMatrix(pods)).toEqual([]);
});

test("no encapsulation: on the underlay, pod addresses are the packets' own source and destination", async () => {
  const [a, b] = [pods[0], pods[2]]; // node-1 -> node-2
  if (a === undefined || b === undefined) throw new Error("pods missing");
  const port = `n${a.node.name.split("-")[1]}`;
  const capture = await startCapture(cluster.switchNs, port, `icmp and src host ${a.ip} and dst host ${b.ip}`);
  for (let i = 0; i < 3; i++) cluster.ping(a, b.ip, 1);
  const lines = await capture.stop();
  expect(lines).toMatch(new RegExp(`IP ${a.ip.replace(/\./g, "\\.")} > ${b.ip.replace(/\./g, "\\.")}: ICMP echo request`));
  // Nothing else wrapped them: no UDP 4789/8472 (VXLAN), no IP-in-IP, no GRE on the wire.
  expect(lines).not.toMatch(/VXLAN|IPIP|GRE|udp port (4789|8472)/i);
});

test("the top-of-rack router has learned each node's blocks, with the node as next hop", async () => {
  const tor = cluster.tor;
  if (tor === undefined) throw new Error("no ToR");
  await waitFor("BIRD sessions Established", 60_000, async () => [...birdSessions(tor).values()].filter((s) => s === "Established").length === cluster.nodes.length || JSON.stringify([...birdSessions(tor)]));
  const blocks = await listBlocks(cluster.rig);
  await waitFor("every block in BIRD's table", 30_000, async () => {
    const routes = birdRoutes(tor);
    const missing = blocks.filter((b) => !(routes.get(b.spec.cidr) ?? []).includes(cluster.nodes.find((n) => n.name === b.spec.node)?.address ?? "?"));
    return missing.length === 0 || `missing ${missing.map((b) => b.spec.cidr).join(", ")}`;
  });
});

/** tcpdump in `netns` on `iface` (line-buffered), stopped by its own pid; stop() returns what it printed. */
async function startCapture(netns: string, iface: string, filter: string): Promise<{ stop(): Promise<string> }> {
  const child = spawn("ip", ["netns", "exec", netns, "tcpdump", "-l", "-n", "-i", iface, filter], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await new Promise((r) => setTimeout(r, 1000)); // tcpdump needs a moment to attach
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGTERM");
      await closed;
      return out;
    },
  };
}
