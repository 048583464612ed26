// Part 3 of bench:routes: TCP throughput with iperf3 between node-1 and node-2, three scenarios
// interleaved (the order rotates every run, so machine noise hits all three alike):
//   pod    - a pod on node-1 to a pod on node-2, routed by Petrel (no encapsulation);
//   host   - node-1's underlay address to node-2's (192.0.2.11 -> 192.0.2.12), the ceiling;
//   vxlan  - a VXLAN overlay built by this script between the same two node namespaces over ul0
//            (VNI 4242, UDP 4789, 203.0.113.1 -> 203.0.113.2), the usual alternative.
// Servers run in the pod's and node's namespaces (one `iperf3 -s` each, killed by pid); the
// client runs for a few seconds per run, first second omitted (TCP slow start).
import { join } from "node:path";
import { startProcess, killAll, type Started } from "../../rig/start-process.ts";
import type { RoutedCluster, Pod } from "../../support/routed-cluster.ts";
import { type Cleanup, exec, execOk, sleep } from "./util.ts";

export type Scenario = "pod" | "host" | "vxlan";
export const scenarios: readonly Scenario[] = ["pod", "host", "vxlan"];

export interface IperfRun {
  scenario: Scenario;
  gbps: number;
  retransmits: number;
  senderCpuPct: number;
  receiverCpuPct: number;
}

export interface ThroughputResult {
  seconds: number;
  runs: IperfRun[];
  mtu: Record<Scenario, number>;
}

const port = 5201;

interface IperfJson {
  error?: string;
  end?: {
    sum_received?: { bits_per_second?: number };
    sum_sent?: { retransmits?: number };
    cpu_utilization_percent?: { host_total?: number; remote_total?: number };
  };
}

async function iperf(clientNs: string, server: string, seconds: number): Promise<IperfJson> {
  let last = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await exec(["ip", "netns", "exec", clientNs, "iperf3", "-c", server, "-p", String(port), "-t", String(seconds + 1), "-O", "1", "-J"]);
    let parsed: IperfJson | undefined;
    try {
      parsed = JSON.parse(r.stdout) as IperfJson;
    } catch {
      parsed = undefined;
    }
    if (r.status === 0 && parsed?.end?.sum_received?.bits_per_second !== undefined) return parsed;
    last = parsed?.error ?? (r.stderr.trim() || r.stdout.slice(0, 300));
    // The server may still be starting, or busy finishing the previous test.
    await sleep(500);
  }
  throw new Error(`iperf3 ${clientNs} -> ${server} failed: ${last}`);
}

function mtuOf(netns: string, dev: string): Promise<number> {
  return execOk(["ip", "-n", netns, "-j", "link", "show", "dev", dev]).then((t) => (JSON.parse(t) as { mtu: number }[])[0]?.mtu ?? NaN);
}

export async function runThroughput(cluster: RoutedCluster, opts: { runs: number; seconds: number }, cleanup: Cleanup, say: (line: string) => void): Promise<ThroughputResult> {
  const [a, b] = cluster.nodes;
  if (a === undefined || b === undefined) throw new Error("part 3 needs two nodes");
  const podA: Pod = await cluster.addPod(a);
  const podB: Pod = await cluster.addPod(b);
  const t = Date.now();
  while (!cluster.ping(podA, podB.ip, 1)) {
    if (Date.now() - t > 30_000) throw new Error(`pod ${podA.ip} on ${a.name} cannot reach ${podB.ip} on ${b.name}`);
    await sleep(200);
  }
  // The overlay: one VXLAN device per node namespace over its underlay port.
  const vx = "vxbench0";
  const ends = [
    { node: a, local: a.address, remote: b.address, addr: "203.0.113.1/24" },
    { node: b, local: b.address, remote: a.address, addr: "203.0.113.2/24" },
  ];
  const removeVxlan = cleanup.add("vxlan devices", async () => {
    for (const e of ends) await exec(["ip", "-n", e.node.netns, "link", "del", vx]);
  });
  for (const e of ends) {
    await execOk(["ip", "-n", e.node.netns, "link", "add", vx, "type", "vxlan", "id", "4242", "local", e.local, "remote", e.remote, "dstport", "4789", "dev", "ul0"]);
    await execOk(["ip", "-n", e.node.netns, "addr", "add", e.addr, "dev", vx]);
    await execOk(["ip", "-n", e.node.netns, "link", "set", vx, "up"]);
  }
  const servers: Started[] = [
    startProcess("iperf3-pod", "ip", ["netns", "exec", podB.netns, "iperf3", "-s", "-p", String(port)], join(cluster.dir, "iperf3-pod.log")),
    startProcess("iperf3-node", "ip", ["netns", "exec", b.netns, "iperf3", "-s", "-p", String(port)], join(cluster.dir, "iperf3-node.log")),
  ];
  const stopServers = cleanup.add("iperf3 servers", () => killAll(servers));
  try {
    const target: Record<Scenario, { ns: string; ip: string }> = {
      pod: { ns: podA.netns, ip: podB.ip },
      host: { ns: a.netns, ip: b.address },
      vxlan: { ns: a.netns, ip: "203.0.113.2" },
    };
    const mtu: Record<Scenario, number> = {
      pod: await mtuOf(podA.netns, "eth0"),
      host: await mtuOf(a.netns, "ul0"),
      vxlan: await mtuOf(a.netns, vx),
    };
    await sleep(500);
    const runs: IperfRun[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const order = scenarios.map((_, i) => scenarios[(i + r) % scenarios.length] as Scenario);
      for (const s of order) {
        const j = await iperf(target[s].ns, target[s].ip, opts.seconds);
        const run: IperfRun = {
          scenario: s,
          gbps: (j.end?.sum_received?.bits_per_second ?? NaN) / 1e9,
          retransmits: j.end?.sum_sent?.retransmits ?? NaN,
          senderCpuPct: j.end?.cpu_utilization_percent?.host_total ?? NaN,
          receiverCpuPct: j.end?.cpu_utilization_percent?.remote_total ?? NaN,
        };
        runs.push(run);
        say(`  run ${r + 1} ${s}: ${run.gbps.toFixed(2)} Gbit/s, ${run.retransmits} retransmits`);
      }
    }
    return { seconds: opts.seconds, runs, mtu };
  } finally {
    await stopServers();
    await removeVxlan();
    for (const p of [podA, podB]) await cluster.removePod(p).catch(() => undefined);
  }
}
