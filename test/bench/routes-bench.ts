// `npm run bench:routes`: the routed data plane of Petrel on one machine, with the real pieces
// (etcd + kube-apiserver, petrel-controller, gobgpd + petrel-agent per node namespace, pods wired
// by the CNI plugin), built by test/support/routed-cluster.ts. Three parts, one table each:
//   1. convergence: for N = 3, 10, 20 nodes, a new IPAMBlock for one node (created through the
//      API as the controller would) until `<block> via <node>` is in every other node's kernel,
//      timed with `ip -ts monitor route` per node; also the owner's blackhole and the withdrawal.
//      Goal: p99 < 1 s at 20 nodes.
//   2. 10,000 remote routes: a gobgpd "route source" peering with node-1 announces 10,000 /30s,
//      trickled in with AddPath once, then three times all at once (a soft reset out); time
//      until all are in node-1's kernel and gone again, the agent's RSS, heap and CPU.
//      Goal: < 2 s, memory reported.
//   3. throughput: iperf3 pod-to-pod across two nodes, host-to-host on the underlay and a VXLAN
//      overlay between the same namespaces, interleaved. Goals: pod >= 95 % of host, pod > VXLAN.
// Parts 2 and 3 share one 2-node cluster. --verbose prints every block of part 1 (with wall-clock
// times, to read beside the agents' logs, which PETREL_RIG_KEEP=1 keeps). --agent-flag
// (repeatable) appends a petrel-agent flag, e.g. --agent-flag=--status-interval=5s, to try a
// setting without editing the harness. Method and results: docs/bench-routes.md.
//
//   node test/bench/routes-bench.ts [--parts 1,2,3] [--nodes 3,10,20] [--iterations 20]
//       [--routes 10000] [--rounds 3] [--concurrency 64] [--idle 10] [--iperf-runs 5]
//       [--iperf-seconds 5] [--verbose] [--agent-flag=--x=y ...]
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { requireRoot } from "../support/netns.ts";
import { agentBin, RoutedCluster } from "../support/routed-cluster.ts";
import { ControllerGuard } from "./routes/controller-guard.ts";
import { convergencePlots, manyRoutesPlots, runContext, writeBenchPlots } from "./bench-plots.ts";
import { RouteTimeline } from "./routes/route-timeline.ts";
import { runConvergence, waitMesh, type ConvergenceResult } from "./routes/convergence.ts";
import { runManyRoutes, type ManyRoutesResult } from "./routes/many-routes.ts";
import { runThroughput, scenarios, type ThroughputResult } from "./routes/throughput.ts";
import { Cleanup, fmt, median, quantile, stopExecs, table } from "./routes/util.ts";

interface Options {
  parts: number[];
  nodes: number[];
  iterations: number;
  routes: number;
  rounds: number;
  concurrency: number;
  idle: number;
  iperfRuns: number;
  iperfSeconds: number;
  verbose: boolean;
  /** Extra petrel-agent flags (after the cluster's own, so they win): for A/B experiments. */
  agentFlags: string[];
}

const usage = "usage: routes-bench.ts [--parts 1,2,3] [--nodes 3,10,20] [--iterations 20] [--routes 10000] [--rounds 3] [--concurrency 64] [--idle 10] [--iperf-runs 5] [--iperf-seconds 5] [--verbose] [--agent-flag=--x=y ...]";

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { parts: [1, 2, 3], nodes: [3, 10, 20], iterations: 20, routes: 10_000, rounds: 3, concurrency: 64, idle: 10, iperfRuns: 5, iperfSeconds: 5, verbose: false, agentFlags: [] };
  const keys: Record<string, Exclude<keyof Options, "verbose" | "agentFlags">> = {
    parts: "parts", nodes: "nodes", iterations: "iterations", routes: "routes", rounds: "rounds", concurrency: "concurrency", idle: "idle", "iperf-runs": "iperfRuns", "iperf-seconds": "iperfSeconds",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    }
    if (arg === "--verbose" || arg === "-v") {
      o.verbose = true;
      continue;
    }
    const flag = /^--agent-flag(?:=(.*))?$/.exec(arg);
    if (flag !== null) {
      const value = flag[1] ?? argv[++i] ?? "";
      if (!value.startsWith("--")) throw new Error(`--agent-flag takes one petrel-agent flag such as --status-interval=5s, got ${value}`);
      o.agentFlags.push(value);
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const key = m === null ? undefined : keys[m[1] ?? ""];
    if (m === null || key === undefined) throw new Error(`unknown argument ${arg} (try --help)`);
    const text = m[2] ?? argv[++i] ?? "";
    if (key === "parts" || key === "nodes") {
      const list = text.split(",").map(Number);
      const max = key === "parts" ? 3 : 200;
      if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < (key === "nodes" ? 2 : 1) || n > max)) throw new Error(`--${m[1]} takes a list of numbers (${key === "parts" ? "1-3" : "2-200"}), got ${text}`);
      o[key] = list;
    } else {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--${m[1]} takes a positive integer, got ${text}`);
      o[key] = n;
    }
  }
  if (o.routes > 16_320) throw new Error("--routes: at most 16320 (/30s of 198.19.0.0/16 below the rig's service range)");
  return o;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

function printConvergence(results: readonly ConvergenceResult[]): void {
  console.log("\nPart 1: convergence of a new block (ms from the IPAMBlock create returning; route via the owner on every other node)");
  const rows = results.map((r) => {
    const s = r.samples;
    const col = (f: (x: (typeof s)[number]) => number, q: number) => fmt(quantile(s.map(f), q), 0);
    return [
      String(r.nodes), String(s.length), String(r.failures.length), fmt(r.startMs / 1000, 1), fmt(r.meshMs / 1000, 1),
      col((x) => x.createMs, 0.5), col((x) => x.ownerMs, 0.5), col((x) => x.firstMs, 0.5),
      col((x) => x.lastMs, 0.5), col((x) => x.lastMs, 0.99), col((x) => x.lastMs, 1),
      col((x) => x.withdrawMs, 0.5), col((x) => x.withdrawMs, 0.99), fmt(Math.max(0, ...s.map((x) => x.readLagMs)), 1),
      fmt(r.idleMachinePct), fmt(r.idleAgentsPct), fmt(r.runMachinePct), fmt(r.runAgentsPct), fmt(r.nodeStatusWritesPerBlock, 1),
    ];
  });
  console.log(table(["nodes", "blocks", "failed", "start s", "mesh s", "create", "owner med", "first med", "all med", "all p99", "all max", "withdraw med", "withdraw p99", "max read lag", "idle busy %", "idle agents %", "run busy %", "run agents %", "status writes/block"], rows));
  console.log("(create: the API call; owner: its blackhole; first/all: the route on the first/last other node; withdraw: route gone everywhere after the DELETE returned; read lag: ip's stamp to this process reading it;");
  console.log(" busy %: the whole machine (both CPUs) before (idle, 5 s) and during the iterations; agents %: all agents' CPU together, % of one core;");
  console.log(" status writes/block: PetrelNode status writes by all agents per block created and deleted)");
  for (const r of results) for (const f of r.failures) console.log(`  N=${r.nodes} failed: ${f}`);
  for (const r of results) if (r.controllerRestarts > 0) console.log(`  N=${r.nodes}: petrel-controller lost its Lease under load and exited ${r.controllerRestarts} time(s); replaced by one without leader election`);
  const big = results.find((r) => r.nodes === 20) ?? results.reduce<ConvergenceResult | undefined>((a, r) => (a === undefined || r.nodes > a.nodes ? r : a), undefined);
  if (big !== undefined) {
    const p99 = quantile(big.samples.map((x) => x.lastMs), 0.99);
    const ok = p99 < 1000 && big.failures.length === 0;
    console.log(`goal: p99 < 1 s at ${big.nodes} nodes${big.nodes === 20 ? "" : " (20 not run)"}: ${ok ? "met" : "NOT met"} (p99 ${fmt(p99)} ms, ${big.failures.length} failed)`);
  }
}

function printManyRoutes(r: ManyRoutesResult): void {
  console.log(`\nPart 2: ${r.routes} remote /30 routes announced to node-1 by a gobgpd route source over eBGP; node-1's gobgpd (accepted count) and kernel polled every 100 ms; ms from the announcement start`);
  console.log(`(stream: the source adds the paths with AddPath, ${r.concurrency} calls in flight; burst: they are in the source's RIB already and one soft reset out sends them all; withdrawal: a hard reset of the session)`);
  type Round = ManyRoutesResult["rounds"][number];
  const cells = (x: (f: (rd: Round) => number) => number): string[] => [
    fmt(x((rd) => rd.announceMs)), fmt(x((rd) => rd.bgpAllMs)), fmt(x((rd) => rd.kernelFirstMs)), fmt(x((rd) => rd.kernelAllMs)), fmt(x((rd) => rd.fromLastAddMs)), fmt(x((rd) => rd.cpuAddS), 2),
    fmt(x((rd) => rd.bgpGoneMs)), fmt(x((rd) => rd.kernelGoneMs)), fmt(x((rd) => rd.cpuDelS), 2), fmt(x((rd) => rd.rssAfterMiB), 1), fmt(x((rd) => rd.heapAfterMiB), 1), fmt(x((rd) => rd.bystanderMax)),
  ];
  const rows = r.rounds.map((rd, i) => [`${i} ${rd.kind}`, ...cells((f) => f(rd))]);
  const bursts = r.rounds.filter((rd) => rd.kind === "burst");
  if (bursts.length > 0) {
    rows.push(["burst median", ...cells((f) => median(bursts.map(f)))]);
    rows.push(["burst max", ...cells((f) => Math.max(...bursts.map(f)))]);
  }
  console.log(table(["round", "source ms", "all in gobgpd", "1st in kernel", "all in kernel", "from last AddPath", "agent CPU s", "gone from gobgpd", "gone from kernel", "agent CPU s", "agent RSS MiB", "agent heap MiB", "node-2 saw"], rows));
  console.log("(agent RSS and V8 heap in use: with the routes in place; node-2 saw: most of these routes ever on node-2, 0 expected since nodes export only their own blocks)");
  console.log(`\nMemory (MiB) and idle CPU (% of one core over ${r.idleWindowS} s; agents resync every 5 s):`);
  console.log(table(["node", "agent RSS before", "agent heap before", "agent RSS at end", "agent heap at end", "agent peak (VmHWM)", "gobgpd RSS before", "gobgpd RSS at end", "agent idle CPU, no routes", `agent idle CPU, ${r.routes} routes`],
    r.memoryBefore.map((b, i) => {
      const a = r.memoryAfter[i];
      const c = r.idleCpu[i];
      return [b.node, fmt(b.rss, 1), fmt(b.heap, 1), fmt(a?.rss ?? NaN, 1), fmt(a?.heap ?? NaN, 1), fmt(a?.hwm ?? NaN, 1), fmt(b.gobgpdRss, 1), fmt(a?.gobgpdRss ?? NaN, 1), fmt(c?.emptyPct ?? NaN, 1), fmt(c?.fullPct ?? NaN, 1)];
    })));
  const burst = median(bursts.map((rd) => rd.kernelAllMs));
  const stream = r.rounds.find((rd) => rd.kind === "stream");
  const n1 = r.memoryAfter[0];
  console.log(`goal: ${r.routes} routes in node-1's kernel in < 2 s: ${burst < 2000 ? "met" : "NOT met"} for a burst (median ${fmt(burst)} ms, worst ${fmt(Math.max(...bursts.map((rd) => rd.kernelAllMs)))} ms); stream: ${fmt(stream?.kernelAllMs ?? NaN)} ms from the first AddPath, ${fmt(stream?.fromLastAddMs ?? NaN)} ms from the last (${stream !== undefined && stream.fromLastAddMs < 2000 ? "met" : "NOT met"}); node-1 agent RSS ${fmt(r.memoryBefore[0]?.rss ?? NaN, 1)} MiB before, ${fmt(Math.max(...r.rounds.map((rd) => rd.rssAfterMiB)), 1)} MiB with the routes, peak ${fmt(n1?.hwm ?? NaN, 1)} MiB`);
}

function printThroughput(r: ThroughputResult): void {
  console.log(`\nPart 3: TCP throughput, iperf3 node-1 -> node-2, ${r.seconds} s per run (first second omitted), scenarios interleaved`);
  const by = (s: string) => r.runs.filter((x) => x.scenario === s);
  const med = (s: string) => median(by(s).map((x) => x.gbps));
  const rows = scenarios.map((s) => {
    const runs = by(s);
    return [s, String(r.mtu[s]), String(runs.length), fmt(med(s), 2), fmt(Math.min(...runs.map((x) => x.gbps)), 2), fmt(Math.max(...runs.map((x) => x.gbps)), 2), fmt(median(runs.map((x) => x.retransmits))), fmt(median(runs.map((x) => x.senderCpuPct))), fmt(median(runs.map((x) => x.receiverCpuPct)))];
  });
  console.log(table(["scenario", "MTU", "runs", "median Gbit/s", "min", "max", "retransmits med", "sender CPU % med", "receiver CPU % med"], rows));
  const ratio = med("pod") / med("host");
  const vsVxlan = med("pod") / med("vxlan");
  console.log(`pod/host ${fmt(ratio * 100, 1)} %, pod/vxlan ${fmt(vsVxlan * 100, 1)} %`);
  console.log(`goal: pod-to-pod >= 95 % of host-to-host: ${ratio >= 0.95 ? "met" : "NOT met"}; pod-to-pod above VXLAN: ${vsVxlan > 1 ? "met" : "NOT met"}`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  requireRoot();
  if (!existsSync(agentBin)) throw new Error(`${agentBin} is missing: run \`node test/scripts/build.ts\` (npm run bench:routes builds first)`);
  const cleanup = new Cleanup();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: cleaning up`);
    stopExecs();
    void cleanup.runAll(say).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // test/rig/run-process.ts writes a program's stdin without an "error" listener, so a program
  // that exits before reading it (openssl, kubectl) raises an uncaught EPIPE that would kill the
  // benchmark without cleaning up. The call itself still completes through "close" with the
  // program's status, so that one error is reported and ignored; anything else cleans up and exits.
  process.on("uncaughtException", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" && err.syscall === "write") {
      say(`ignored: ${err.message} (a child closed its stdin before test/rig/run-process.ts wrote it)`);
      return;
    }
    say(`uncaught: ${err.stack ?? err.message}`);
    if (!stopping) {
      stopping = true;
      stopExecs();
      void cleanup.runAll(say).finally(() => process.exit(1));
    }
  });
  const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  console.log(`bench:routes — ${cpus().length} CPUs, kernel ${kernel}, ${new Date().toISOString()}${o.agentFlags.length > 0 ? `, extra agent flags ${o.agentFlags.join(" ")}` : ""}`);
  let failed = false;
  try {
    if (o.parts.includes(1)) {
      const results: ConvergenceResult[] = [];
      for (const n of o.nodes) {
        say(`part 1: ${n} nodes, ${o.iterations} blocks`);
        results.push(await runConvergence(n, o.iterations, cleanup, say, { verbose: o.verbose, agentFlags: o.agentFlags }));
      }
      printConvergence(results);
      writeBenchPlots("routes-bench", convergencePlots(results, `${runContext()}, ${o.iterations} blocks per node count`, quantile));
    }
    if (o.parts.includes(2) || o.parts.includes(3)) {
      say("parts 2 and 3: a 2-node cluster");
      const cluster = await RoutedCluster.start({ nodes: 2, label: "rbx", withTor: false, poolCidr: "198.18.0.0/16", agentFlags: o.agentFlags, log: (l) => say(`  ${l}`) });
      const stop = cleanup.add("2-node cluster", () => cluster.stop());
      try {
        const guard = new ControllerGuard(cluster, say);
        await guard.check();
        await cluster.waitReady(120_000);
        await waitMesh(cluster, 120_000, guard);
        if (guard.restarts > 0) console.log(`(the 2-node cluster's controller exited and was replaced ${guard.restarts} time(s) during start-up)`);
        if (o.parts.includes(2)) {
          say(`part 2: ${o.routes} routes, ${o.rounds} rounds`);
          const timeline = await RouteTimeline.start(cluster.nodes[0]?.netns ?? "", "198.18.0.0/15"); // plots: routes over time
          try {
            printManyRoutes(await runManyRoutes(cluster, { routes: o.routes, rounds: o.rounds, concurrency: o.concurrency, idleWindowS: o.idle }, cleanup, say));
          } catch (err) {
            failed = true;
            console.log(`\nPart 2 failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          writeBenchPlots("routes-bench", manyRoutesPlots(await timeline.stop(), "node-1", `${runContext()}, ${o.routes} routes, ${o.rounds} rounds`));
        }
        if (o.parts.includes(3)) {
          say(`part 3: ${o.iperfRuns} runs of ${o.iperfSeconds} s per scenario`);
          printThroughput(await runThroughput(cluster, { runs: o.iperfRuns, seconds: o.iperfSeconds }, cleanup, say));
        }
      } finally {
        await stop();
      }
    }
  } finally {
    await cleanup.runAll(say);
  }
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
