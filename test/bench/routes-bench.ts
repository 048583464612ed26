// `npm run bench:routes`: the routed data plane of Petrel on one machine, with the real pieces
// (etcd + kube-apiserver, petrel-controller, gobgpd + petrel-agent per node namespace, pods wired
// by the CNI plugin), built by test/support/routed-cluster.ts. Three parts, one table each:
//   1. convergence: for N = 3, 10, 20 nodes, a new IPAMBlock for one node (created through the
//      API as the controller would) until `<block> via <node>` is in every other node's kernel,
//      timed with `ip -ts monitor route` per node; also the owner's blackhole and the withdrawal.
//      Goals: p99 < 500 ms at 20 nodes, for the new route and for the withdrawal.
//   2. 10,000 remote block routes (real IPAMBlocks, announced via their owner) from one peer into
//      a Petrel node's kernel and, in the same run from the same source, a BIRD 2 node's; time until
//      all are in each kernel and gone again, RSS and idle CPU of the agent and of BIRD.
//      Goals: < 1 s and no slower than BIRD; agent idle CPU < 1 % of a core; RSS < 100 / 150 MiB.
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
import { cpus, loadavg } from "node:os";
import { requireRoot } from "../rig/netns.ts";
import { agentBin, RoutedCluster } from "../support/routed-cluster.ts";
import { ControllerGuard } from "./routes/controller-guard.ts";
import { convergencePlots, manyRoutesPlots, runContext, writeBenchPlots } from "./bench-plots.ts";
import { RouteTimeline } from "./routes/route-timeline.ts";
import { runConvergence, waitMesh, type ConvergenceResult } from "./routes/convergence.ts";
import { runManyRoutes, type ManyRoutesResult } from "./routes/many-routes.ts";
import { runThroughput, scenarios, type ThroughputResult } from "./routes/throughput.ts";
import { Cleanup, fmt, stopExecs, table } from "./routes/util.ts";
import { median, quantile } from "./stats.ts";

/** Parts 2 and 3 run the agents with the defaults of bgp/agent/options.ts where the routed cluster's differ. */
const productAgentFlags = ["--resync-period=5m", "--status-interval=2s", "--log-level=info"];

interface Options {
  parts: number[];
  nodes: number[];
  iterations: number;
  routes: number;
  rounds: number;
  /** Part 2: bursts to a gobgpd without an agent, beside BIRD (0: none). */
  aloneRounds: number;
  concurrency: number;
  idle: number;
  iperfRuns: number;
  iperfSeconds: number;
  verbose: boolean;
  /** Extra petrel-agent flags (after the cluster's own, so they win): for A/B experiments. */
  agentFlags: string[];
}

const usage = "usage: routes-bench.ts [--parts 1,2,3] [--nodes 3,10,20] [--iterations 20] [--routes 10000] [--rounds 4] [--alone-rounds 4] [--concurrency 64] [--idle 60] [--iperf-runs 5] [--iperf-seconds 5] [--verbose] [--agent-flag=--x=y ...]";

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { parts: [1, 2, 3], nodes: [3, 10, 20], iterations: 20, routes: 10_000, rounds: 4, aloneRounds: 4, concurrency: 64, idle: 60, iperfRuns: 5, iperfSeconds: 5, verbose: false, agentFlags: [] };
  const keys: Record<string, Exclude<keyof Options, "verbose" | "agentFlags">> = {
    parts: "parts", nodes: "nodes", iterations: "iterations", routes: "routes", rounds: "rounds", "alone-rounds": "aloneRounds", concurrency: "concurrency", idle: "idle", "iperf-runs": "iperfRuns", "iperf-seconds": "iperfSeconds",
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
      const min = key === "aloneRounds" ? 0 : 1; // --alone-rounds 0: no floor rounds
      if (!Number.isInteger(n) || n < min) throw new Error(`--${m[1]} takes ${min === 0 ? "a whole number" : "a positive integer"}, got ${text}`);
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
    const w99 = quantile(big.samples.map((x) => x.withdrawMs), 0.99);
    const at = `at ${big.nodes} nodes${big.nodes === 20 ? "" : " (20 not run)"}`;
    console.log(`goal: new block -> route on every other node, p99 < 500 ms ${at}: ${p99 < 500 && big.failures.length === 0 ? "met" : "NOT met"} (p99 ${fmt(p99)} ms, ${big.failures.length} failed)`);
    console.log(`goal: withdrawal -> gone from every other node, p99 < 500 ms ${at}: ${w99 < 500 && big.failures.length === 0 ? "met" : "NOT met"} (p99 ${fmt(w99)} ms)`);
  }
}

function printManyRoutes(r: ManyRoutesResult): void {
  console.log(`\nPart 2: ${r.routes} remote block routes (real IPAMBlocks of Node route-source, announced via their owner) into the kernel, Petrel node (gobgpd + petrel-agent) beside a BIRD 2 node, same source, same run`);
  console.log(`(${r.routes} IPAMBlocks created in ${fmt(r.blocksCreateMs / 1000, 1)} s, all in node-1's import policy ${fmt(r.blocksInPolicyMs / 1000, 1)} s later; burst: one soft reset out per node, back to back, the order alternating; withdrawal: a hard reset; ms from each node's reset call, ip -ts monitor stamps)`);
  const rows = r.rounds.map((rd, i) => [
    `${i} ${rd.first} first`,
    fmt(rd.gobgpdAllMs), fmt(rd.petrel.firstMs), fmt(rd.petrel.allMs), fmt(rd.bird.firstMs), fmt(rd.bird.allMs), fmt(rd.petrel.allMs / rd.bird.allMs, 2),
    fmt(rd.petrel.cpuAddS, 2), fmt(rd.bird.cpuAddS, 2), fmt(rd.petrel.goneMs), fmt(rd.bird.goneMs), fmt(rd.petrel.cpuDelS, 2), fmt(rd.bird.cpuDelS, 2), String(rd.bystanderMax),
  ]);
  const col = (f: (rd: ManyRoutesResult["rounds"][number]) => number, q: number, d = 0) => fmt(quantile(r.rounds.map(f), q), d);
  for (const [name, q] of [["median", 0.5], ["max", 1]] as const) {
    rows.push([name, col((x) => x.gobgpdAllMs, q), col((x) => x.petrel.firstMs, q), col((x) => x.petrel.allMs, q), col((x) => x.bird.firstMs, q), col((x) => x.bird.allMs, q), col((x) => x.petrel.allMs / x.bird.allMs, q, 2),
      col((x) => x.petrel.cpuAddS, q, 2), col((x) => x.bird.cpuAddS, q, 2), col((x) => x.petrel.goneMs, q), col((x) => x.bird.goneMs, q), col((x) => x.petrel.cpuDelS, q, 2), col((x) => x.bird.cpuDelS, q, 2), col((x) => x.bystanderMax, q)]);
  }
  console.log(table(["round", "in node-1 gobgpd", "Petrel 1st", "Petrel all", "BIRD 1st", "BIRD all", "Petrel/BIRD", "agent CPU s", "BIRD CPU s", "Petrel gone", "BIRD gone", "agent CPU s", "BIRD CPU s", "node-2 saw"], rows));
  for (const note of r.notes) console.log(`note: ${note}`);
  if (r.alone.length > 0) {
    console.log(`\nPart 2, the floor: the same bursts to a gobgpd with no agent (the agent's import policy; the bench watches its best paths as the agent does), beside the same BIRD node, same run`);
    const arows = r.alone.map((a, i) => [`${i} ${a.first} first`, fmt(a.acceptedMs), fmt(a.lastBestMs), fmt(a.birdAllMs), fmt(a.lastBestMs / a.birdAllMs, 2), fmt(a.gobgpdCpuS, 2)]);
    const acol = (f: (a: (typeof r.alone)[number]) => number, q: number, d = 0) => fmt(quantile(r.alone.map(f), q), d);
    for (const [name, q] of [["median", 0.5], ["max", 1]] as const) {
      arows.push([name, acol((a) => a.acceptedMs, q), acol((a) => a.lastBestMs, q), acol((a) => a.birdAllMs, q), acol((a) => a.lastBestMs / a.birdAllMs, q, 2), acol((a) => a.gobgpdCpuS, q, 2)]);
    }
    console.log(table(["round", "gobgpd accepted all", "last best path read", "BIRD all in kernel", "gobgpd/BIRD", "gobgpd CPU s"], arows));
    const floor = median(r.alone.map((a) => a.lastBestMs));
    const petrel = median(r.rounds.map((x) => x.petrel.allMs));
    console.log(`(medians: gobgpd alone hands its last best path to a watcher after ${fmt(floor)} ms; the Petrel node has all in the kernel after ${fmt(petrel)} ms, so the agent adds about ${fmt(petrel - floor)} ms; BIRD has all in its kernel after ${fmt(median(r.alone.map((a) => a.birdAllMs)))} ms)`);
  }
  const m = r.memory;
  const c = r.idleCpu;
  console.log("\nFootprint (RSS MiB; CPU % of one core while idle):");
  console.log(table(["", "Petrel agent", "gobgpd (node-1)", "BIRD"], [
    ["RSS idle (no blocks, no routes)", fmt(m.agentIdle.rssMiB, 1), fmt(m.gobgpdIdle.rssMiB, 1), fmt(m.birdIdle.rssMiB, 1)],
    [`RSS with ${r.routes} blocks, no routes`, fmt(m.agentBlocks.rssMiB, 1), "-", "-"],
    [`RSS with ${r.routes} routes`, fmt(m.agentRoutes.rssMiB, 1), fmt(m.gobgpdRoutes.rssMiB, 1), fmt(m.birdRoutes.rssMiB, 1)],
    ["peak RSS (VmHWM)", fmt(m.agentRoutes.hwmMiB, 1), fmt(m.gobgpdRoutes.hwmMiB, 1), fmt(m.birdRoutes.hwmMiB, 1)],
    ["V8 heap in use with the routes", fmt(m.agentHeapRoutesMiB, 1), "-", "-"],
    [`CPU idle, no routes (${c.emptyWindowS} s)`, fmt(c.agentEmpty, 2), "-", fmt(c.birdEmpty, 2)],
    [`CPU idle, ${r.routes} routes (${c.routesWindowS} s)`, fmt(c.agentRoutes, 2), fmt(c.gobgpdRoutes, 2), fmt(c.birdRoutes, 2)],
  ]));
  const burst = median(r.rounds.map((x) => x.petrel.allMs));
  const birdBurst = median(r.rounds.map((x) => x.bird.allMs));
  const ok = (b: boolean) => (b ? "met" : "NOT met");
  console.log(`goal: ${r.routes} routes into the kernel < 1 s and <= BIRD: ${ok(burst < 1000 && burst <= birdBurst)} (median ${fmt(burst)} ms, BIRD ${fmt(birdBurst)} ms)`);
  console.log(`goal: agent CPU idle with ${r.routes} routes < 1 % of a core: ${ok(c.agentRoutes < 1)} (${fmt(c.agentRoutes, 2)} %, BIRD ${fmt(c.birdRoutes, 2)} %)`);
  console.log(`goal: agent RSS idle < 100 MiB, with ${r.routes} routes < 150 MiB: ${ok(m.agentIdle.rssMiB < 100 && m.agentRoutes.rssMiB < 150)} (${fmt(m.agentIdle.rssMiB, 1)} / ${fmt(m.agentRoutes.rssMiB, 1)} MiB; BIRD ${fmt(m.birdIdle.rssMiB, 1)} / ${fmt(m.birdRoutes.rssMiB, 1)} MiB)`);
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
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`bench:routes — ${cpus().length} CPUs, kernel ${kernel}, ${new Date().toISOString()}, load average at start ${load}${o.agentFlags.length > 0 ? `, extra agent flags ${o.agentFlags.join(" ")}` : ""}`);
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
      // The agent as shipped, not as the tests run it (a full pass every 60 s, debug logs, status
      // every 500 ms): the idle window would otherwise measure the tests' full pass of 10,000 routes.
      say(`  agents with the product's defaults: ${productAgentFlags.join(" ")}`);
      const cluster = await RoutedCluster.start({ nodes: 2, label: "rbx", withTor: false, poolCidr: "198.18.0.0/16", agentFlags: [...productAgentFlags, ...o.agentFlags], log: (l) => say(`  ${l}`) });
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
            printManyRoutes(await runManyRoutes(cluster, { routes: o.routes, rounds: o.rounds, aloneRounds: o.aloneRounds, concurrency: o.concurrency, idleWindowS: o.idle }, cleanup, say));
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
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
