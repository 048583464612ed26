// What the routed e2e tests check on a RoutedCluster: pings between every pair of pods, loss
// while something restarts, the agents' PetrelNode status and refusal metrics, a packet capture.
import { spawn } from "node:child_process";
import type { PetrelNode, PetrelNodeStatus } from "../../common/api/index.ts";
import { waitFor } from "./ipam.ts";
import { formatLoss, metric, pingDuring, type Loss } from "./route-checks.ts";
import type { ClusterNode, Pod, RoutedCluster } from "./routed-cluster.ts";

/** Every ordered pair of pods in `list` that cannot ping, as "a@node -> b@node (ip)". */
export function pingMatrix(cluster: RoutedCluster, list: readonly Pod[]): string[] {
  const failures: string[] = [];
  for (const a of list) for (const b of list) if (a !== b && !cluster.ping(a, b.ip)) failures.push(`${a.name}@${a.node.name} -> ${b.name}@${b.node.name} (${b.ip})`);
  return failures;
}

/** tcpdump in `netns` on `iface` (line-buffered), stopped by its own pid; stop() returns what it printed. */
export async function startCapture(netns: string, iface: string, filter: string): Promise<{ stop(): Promise<string> }> {
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

/** Each node's refusals by reason, from its metrics. */
export async function refusalsByNode(cluster: RoutedCluster): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  for (const n of cluster.nodes) {
    const counts: Record<string, number> = {};
    for (const reason of ["longer_than_block", "wrong_next_hop", "own_block", "default_route", "pool_aggregate", "foreign_prefix", "unknown_block"]) {
      counts[reason] = await metric(n.healthPort, "petrel_agent_routes_refused_total", { reason });
    }
    out.set(n.name, counts);
  }
  return out;
}

export async function petrelNodeStatus(cluster: RoutedCluster, name: string): Promise<PetrelNodeStatus | undefined> {
  return ((await cluster.rig.request("GET", `/apis/petrel.dev/v1alpha1/petrelnodes/${name}`)).body as PetrelNode).status;
}

/** Waits until every session of every node is Established again (the agents' status). */
export async function allEstablished(cluster: RoutedCluster, timeoutMs = 60_000): Promise<void> {
  await waitFor("every node's sessions Established", timeoutMs, async () => {
    for (const n of cluster.nodes) {
      const states = (await petrelNodeStatus(cluster, n.name))?.bgpSessions?.map((s) => s.state) ?? [];
      if (states.length !== cluster.nodes.length || states.some((s) => s !== "Established")) return `${n.name}: ${states.join(",")}`;
    }
    return true;
  });
}

/** Pings from a pod on `from` to a pod on each of `to` while `during` runs; prints and returns the losses. */
export async function lossDuring(pods: readonly Pod[], what: string, from: ClusterNode, to: readonly ClusterNode[], during: () => Promise<void>): Promise<Loss[]> {
  const a = pods.find((p) => p.node === from);
  const targets = to.map((n) => pods.find((p) => p.node === n));
  if (a === undefined || targets.some((t) => t === undefined)) throw new Error("pods missing");
  const pingers = targets.map((t) => {
    let release: () => void = () => {};
    const done = new Promise<void>((r) => (release = r));
    return { t, release, loss: pingDuring(a.netns, t?.ip ?? "", () => done) };
  });
  try {
    await during();
  } finally {
    for (const p of pingers) p.release();
  }
  const losses = await Promise.all(pingers.map((p) => p.loss));
  losses.forEach((l, i) => console.log(formatLoss(`${what}: ${from.name} -> ${to[i]?.name}`, l)));
  return losses;
}
