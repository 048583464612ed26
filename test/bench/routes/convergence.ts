// Part 1 of bench:routes: how long a new block takes to become a route on every other node.
// For one cluster of N nodes: repeatedly create one IPAMBlock for one node through the API
// (exactly as the controller does: name from the CIDR, labels petrel.dev/node and petrel.dev/pool,
// spec {cidr, pool, node}) and time, from the create returning, the route `<block> via <owner>`
// arriving in every other node's kernel (one `ip monitor` per node). Then delete the block and
// time the route's removal everywhere, so each iteration starts from the same table.
import { listBlocks } from "../../support/ipam.ts";
import { RoutedCluster, type ClusterNode } from "../../support/routed-cluster.ts";
import { ControllerGuard } from "./controller-guard.ts";
import { RouteMonitor } from "./route-monitor.ts";
import { median, quantile } from "../stats.ts";
import { type Cleanup, busyPct, cpuSeconds, machineCpu, metricValue, sleep, wallMs } from "./util.ts";

export interface ConvergenceSample {
  owner: string;
  cidr: string;
  createMs: number;
  /** Owner's blackhole route, from the create returning (API watch + agent pass + gobgpd). */
  ownerMs: number;
  /** First and last other node with the route, from the create returning. */
  firstMs: number;
  lastMs: number;
  /** Route gone from every other node, from the delete returning. */
  withdrawMs: number;
  /** Largest gap between ip's stamp and this process reading the line (event-loop lag). */
  readLagMs: number;
}

export interface ConvergenceResult {
  nodes: number;
  startMs: number;
  meshMs: number;
  samples: ConvergenceSample[];
  failures: string[];
  /** Before the iterations, over 5 s: the whole machine's busy % (both CPUs) and all agents' CPU together (% of one core). */
  idleMachinePct: number;
  idleAgentsPct: number;
  /** The same while the iterations ran. */
  runMachinePct: number;
  runAgentsPct: number;
  /** PetrelNode status writes by all agents together, per block (create and delete): the fan-out of one change. */
  nodeStatusWritesPerBlock: number;
  /** Times the controller exited (lost its Lease under load) and was replaced. */
  controllerRestarts: number;
}

const group = "/apis/petrel.dev/v1alpha1/ipamblocks";
const poolName = "default";

/** /26 blocks of 198.18.0.0/16 from the top down, skipping names already taken. */
function* freeBlocks(taken: Set<string>): Generator<{ cidr: string; name: string }> {
  for (let i = 1023; i >= 0; i--) {
    const base = i * 64;
    const cidr = `198.18.${base >> 8}.${base & 255}/26`;
    const name = cidr.replace(/[.:/]/g, "-");
    if (!taken.has(name)) yield { cidr, name };
  }
}

/** Waits until every node routes every other node's blocks via that node (sessions are up). */
export async function waitMesh(cluster: RoutedCluster, timeoutMs: number, guard: ControllerGuard): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await guard.check();
    const blocks = await listBlocks(cluster.rig);
    const missing: string[] = [];
    const byNode = new Map(cluster.nodes.map((n) => [n.name, n]));
    for (const n of cluster.nodes) {
      const routes = cluster.routes(n);
      for (const b of blocks) {
        const owner = byNode.get(b.spec.node);
        if (owner === undefined) continue;
        const want = owner === n ? "blackhole" : owner.address;
        if (routes.get(b.spec.cidr) !== want) missing.push(`${n.name}:${b.spec.cidr}`);
      }
    }
    const everyNodeHasABlock = cluster.nodes.every((n) => blocks.some((b) => b.spec.node === n.name));
    if (missing.length === 0 && everyNodeHasABlock) return;
    if (Date.now() > deadline) throw new Error(`mesh not converged after ${timeoutMs} ms; missing ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}`);
    await sleep(500);
  }
}

export async function runConvergence(n: number, iterations: number, cleanup: Cleanup, say: (line: string) => void, opts: { verbose?: boolean; agentFlags?: readonly string[] } = {}): Promise<ConvergenceResult> {
  const verbose = opts.verbose ?? false;
  const t0 = Date.now();
  const cluster = await RoutedCluster.start({ nodes: n, label: `rb${n}`, withTor: false, poolCidr: "198.18.0.0/16", agentFlags: opts.agentFlags ?? [], log: (l) => say(`  ${l}`) });
  const stopCluster = cleanup.add(`cluster of ${n}`, () => cluster.stop());
  const monitors: RouteMonitor[] = [];
  const stopMonitors = cleanup.add("route monitors", async () => {
    await Promise.all(monitors.map((m) => m.stop()));
  });
  const guard = new ControllerGuard(cluster, say);
  try {
    await guard.check();
    await cluster.waitReady(120_000);
    const startMs = Date.now() - t0;
    const t1 = Date.now();
    await waitMesh(cluster, 180_000, guard);
    const meshMs = Date.now() - t1;
    // Removals are held back for --route-settle-time (5 s) after an agent starts; and the start-up
    // churn (sessions, first status writes) dies down before the idle load is measured.
    await sleep(Math.max(5000, t0 + startMs + 6000 - Date.now()));
    say(`  ${n} nodes ready in ${(startMs / 1000).toFixed(1)} s, full mesh of routes ${(meshMs / 1000).toFixed(1)} s later`);
    for (const node of cluster.nodes) monitors.push(await RouteMonitor.start(node.netns));
    const statusWrites = async () => (await Promise.all(cluster.nodes.map((x) => metricValue(x.healthPort, "petrel_agent_kube_writes_total", { kind: "node-status" })))).reduce((a, b) => a + b, 0);
    const agentsCpu = () => cluster.nodes.reduce((sum, x) => sum + cpuSeconds(x.agent.pid), 0);
    const idle0 = { m: machineCpu(), a: agentsCpu(), t: Date.now() };
    await sleep(5000);
    const idle1 = { m: machineCpu(), a: agentsCpu(), t: Date.now() };
    const writes0 = await statusWrites();
    const idleMachinePct = busyPct(idle0.m, idle1.m);
    const idleAgentsPct = ((idle1.a - idle0.a) / ((idle1.t - idle0.t) / 1000)) * 100;
    const taken = new Set((await listBlocks(cluster.rig)).map((b) => b.metadata.name));
    const free = freeBlocks(taken);
    const samples: ConvergenceSample[] = [];
    const failures: string[] = [];
    for (let i = 0; i < iterations; i++) {
      await guard.check();
      const owner = cluster.nodes[i % n] as ClusterNode;
      const next = free.next();
      if (next.done === true) throw new Error("no free /26 left in 198.18.0.0/16");
      const { cidr, name } = next.value;
      const others = cluster.nodes.filter((x) => x !== owner);
      const ownerMonitor = monitors[cluster.nodes.indexOf(owner)] as RouteMonitor;
      const otherMonitors = others.map((x) => monitors[cluster.nodes.indexOf(x)] as RouteMonitor);
      const body = {
        apiVersion: "petrel.dev/v1alpha1",
        kind: "IPAMBlock",
        metadata: { name, labels: { "petrel.dev/node": owner.name, "petrel.dev/pool": poolName } },
        spec: { cidr, pool: poolName, node: owner.name },
      };
      const before = wallMs();
      const created = await cluster.rig.request("POST", group, body);
      const createdAt = wallMs();
      if (created.status !== 201) throw new Error(`creating IPAMBlock ${name}: HTTP ${created.status}: ${JSON.stringify(created.body)}`);
      const [own, ...arrived] = await Promise.all([
        ownerMonitor.waitBlackhole(cidr, 15_000),
        ...otherMonitors.map((m) => m.waitAdded(cidr, owner.address, 15_000)),
      ]);
      const late = others.filter((_, k) => arrived[k] === undefined).map((x) => x.name);
      const deleted = await cluster.rig.request("DELETE", `${group}/${name}`);
      const deletedAt = wallMs();
      if (deleted.status !== 200 && deleted.status !== 202) throw new Error(`deleting IPAMBlock ${name}: HTTP ${deleted.status}`);
      const gone = await Promise.all(otherMonitors.map((m) => m.waitDeleted(cidr, 20_000)));
      const stuck = others.filter((_, k) => gone[k] === undefined).map((x) => x.name);
      if (late.length > 0 || own === undefined || stuck.length > 0) {
        failures.push(`${cidr} (owner ${owner.name}): ${own === undefined ? "no blackhole on the owner; " : ""}${late.length > 0 ? `not routed within 15 s on ${late.join(",")}; ` : ""}${stuck.length > 0 ? `not withdrawn within 20 s on ${stuck.join(",")}` : ""}`);
      } else {
        const times = arrived.map((e) => (e?.at ?? NaN) - createdAt);
        const all = [own, ...arrived, ...gone];
        samples.push({
          owner: owner.name,
          cidr,
          createMs: createdAt - before,
          ownerMs: own.at - createdAt,
          firstMs: Math.min(...times),
          lastMs: Math.max(...times),
          withdrawMs: Math.max(...gone.map((e) => (e?.at ?? NaN) - deletedAt)),
          readLagMs: Math.max(...all.map((e) => (e === undefined ? 0 : e.readAt - e.at))),
        });
        const sample = samples[samples.length - 1];
        if (verbose && sample !== undefined) {
          const slowest = others[times.indexOf(sample.lastMs)]?.name ?? "?";
          say(`    ${new Date(createdAt).toISOString()} ${cidr} on ${owner.name}: owner ${sample.ownerMs.toFixed(0)} ms, first ${sample.firstMs.toFixed(0)}, all ${sample.lastMs.toFixed(0)} (last: ${slowest}), withdrawn ${sample.withdrawMs.toFixed(0)}`);
        }
      }
      for (const m of monitors) m.forget(cidr);
      // Spread the iterations over the agents' 5 s resync and 500 ms status cycles.
      await sleep(300 + Math.random() * 700);
    }
    const run1 = { m: machineCpu(), a: agentsCpu(), t: Date.now() };
    // Status writes come up to --status-interval (500 ms) after the change that caused them.
    await sleep(1500);
    const nodeStatusWritesPerBlock = ((await statusWrites()) - writes0) / Math.max(1, iterations);
    const last = samples.map((s) => s.lastMs);
    say(`  N=${n}: median ${median(last).toFixed(0)} ms, p99 ${quantile(last, 0.99).toFixed(0)} ms over ${samples.length} blocks`);
    return {
      nodes: n, startMs, meshMs, samples, failures, idleMachinePct, idleAgentsPct,
      runMachinePct: busyPct(idle1.m, run1.m), runAgentsPct: ((run1.a - idle1.a) / ((run1.t - idle1.t) / 1000)) * 100,
      controllerRestarts: guard.restarts,
      nodeStatusWritesPerBlock,
    };
  } finally {
    await stopMonitors();
    await stopCluster();
  }
}
