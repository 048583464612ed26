// `npm run bench:cni`: ADD+DEL latency of Petrel against the reference ptp + host-local plugins,
// measured in the same run with the two interleaved (alternating order, ABBA) so that machine
// noise hits both alike. Scenarios: sequential pairs, and N workers (default 16) in parallel.
// Must run as root. Pods use 198.18.250.0/24 (Petrel) and 198.19.250.0/24 (reference), inside
// the benchmarking range 198.18.0.0/15 and away from the /26s the privileged tests use.
//
//   node test/bench/cni-bench.ts [--iterations 200] [--workers 16] [--warmup 10] [--chunk 4] [--petrel PATH]
// (--petrel: another build of the plugin, to A/B a change against the same reference run.)
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hostVethName, retiredVethName } from "../../cni-plugin/veth-name.ts";
import { NetnsSet, netnsPath } from "../rig/netns.ts";
import { run } from "../rig/run-process.ts";
import { cniPlots, runContext, writeBenchPlots } from "./bench-plots.ts";
import { quantile } from "./stats.ts";
import {
  gnuTime, hostLinks, hostLocalLeftovers, hostRoutesIn, petrelLeftovers, runPlugin, running,
} from "./lib.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface Options { iterations: number; workers: number; warmup: number; chunk: number; petrel: string }

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { iterations: 200, workers: 16, warmup: 10, chunk: 4, petrel: join(root, "dist", "bin", "petrel") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") {
      console.log("usage: cni-bench.ts [--iterations N=200] [--workers N=16] [--warmup N=10] [--chunk N=4 pairs per worker per parallel round] [--petrel PATH=dist/bin/petrel]");
      process.exit(0);
    }
    const m = /^--(iterations|workers|warmup|chunk|petrel)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unknown argument ${arg} (try --help)`);
    const key = m[1] as keyof Options;
    const text = m[2] ?? argv[++i];
    if (key === "petrel") {
      if (text === undefined || text === "") throw new Error("--petrel needs a path");
      opts.petrel = resolve(text);
      continue;
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < (key === "warmup" ? 0 : 1)) throw new Error(`--${key} needs a positive integer, got ${String(text)}`);
    opts[key] = n;
  }
  return opts;
}

interface Sample { pair: number[]; add: number[]; del: number[]; busyMs: number }
interface Plugin {
  key: string; label: string; binary: string; network: string; config: string; podCidr: string;
  containerIds: string[]; hostVeths: Set<string>; netns: string[];
}

const pid = process.pid;
const netnsSet = new NetnsSet("bench");
const dirs: string[] = [];
let plugins: Plugin[] = [];
let seq = 0;
let interrupted: NodeJS.Signals | undefined;

function makePlugins(workers: number, petrelBinary: string): Plugin[] {
  const stateDir = mkdtempSync(`/tmp/ptl-bench-${pid}-petrel-`);
  const dataDir = mkdtempSync(`/tmp/ptl-bench-${pid}-hostlocal-`);
  dirs.push(stateDir, dataDir);
  const petrelNet = `ptlbench-${pid}`;
  const refNet = `refbench-${pid}`;
  const fresh = (): Pick<Plugin, "containerIds" | "hostVeths" | "netns"> =>
    ({ containerIds: [], hostVeths: new Set(), netns: Array.from({ length: workers }, () => netnsSet.create()) });
  return [
    {
      ...fresh(), key: "p", label: "petrel", binary: petrelBinary, network: petrelNet, podCidr: "198.18.250.0/24",
      config: JSON.stringify({ cniVersion: "1.0.0", name: petrelNet, type: "petrel", mtu: 1500, stateDir, ipam: { blocks: ["198.18.250.0/24"] } }),
    },
    {
      ...fresh(), key: "r", label: "ptp+host-local", binary: "/usr/lib/cni/ptp", network: refNet, podCidr: "198.19.250.0/24",
      config: JSON.stringify({
        cniVersion: "1.0.0", name: refNet, type: "ptp", mtu: 1500,
        ipam: { type: "host-local", ranges: [[{ subnet: "198.19.250.0/24" }]], dataDir },
      }),
    },
  ];
}

function hostSideVeth(stdout: string): string | undefined {
  const res = JSON.parse(stdout) as { interfaces?: Array<{ name: string; sandbox?: string }> };
  return res.interfaces?.find((i) => i.sandbox === undefined || i.sandbox === "")?.name;
}

/** One ADD then DEL of a fresh container ID in `ns`; records times when `s` is given. */
async function pair(p: Plugin, ns: string, s: Sample | undefined, rss?: number[]): Promise<void> {
  if (interrupted !== undefined) throw new Error(`interrupted by ${interrupted}`);
  const cid = `ptlbench-${pid}-${p.key}-${seq++}`;
  p.containerIds.push(cid);
  const env = { CNI_COMMAND: "ADD", CNI_CONTAINERID: cid, CNI_NETNS: netnsPath(ns), CNI_IFNAME: "eth0", CNI_PATH: "/usr/lib/cni" };
  const t0 = process.hrtime.bigint();
  const add = await runPlugin(p.binary, env, p.config, rss !== undefined);
  if (rss !== undefined && add.peakRssKiB !== undefined) rss.push(add.peakRssKiB);
  if (add.status !== 0) throw new Error(`${p.label} ADD ${cid} failed (${add.status}): ${add.stdout.trim()} ${add.stderr.trim()}`);
  const veth = hostSideVeth(add.stdout);
  if (veth !== undefined) p.hostVeths.add(veth);
  if (interrupted !== undefined) throw new Error(`interrupted by ${interrupted}`);
  const del = await runPlugin(p.binary, { ...env, CNI_COMMAND: "DEL" }, p.config);
  if (del.status !== 0) throw new Error(`${p.label} DEL ${cid} failed (${del.status}): ${del.stdout.trim()} ${del.stderr.trim()}`);
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  if (s !== undefined) {
    s.add.push(add.ms);
    s.del.push(del.ms);
    s.pair.push(total);
  }
}

const emptySample = (): Sample => ({ pair: [], add: [], del: [], busyMs: 0 });
const ordered = (round: number): Plugin[] => (round % 2 === 0 ? plugins : [...plugins].reverse());

async function sequential(opts: Options): Promise<Map<Plugin, Sample>> {
  const out = new Map(plugins.map((p) => [p, emptySample()] as const));
  for (let i = 0; i < opts.warmup + opts.iterations; i++) {
    for (const p of ordered(i)) await pair(p, p.netns[0] as string, i < opts.warmup ? undefined : out.get(p));
  }
  return out;
}

async function parallel(opts: Options): Promise<Map<Plugin, Sample>> {
  const out = new Map(plugins.map((p) => [p, emptySample()] as const));
  const burst = async (p: Plugin, k: number, s: Sample | undefined): Promise<void> => {
    const t0 = performance.now();
    // allSettled: on a failure, let every worker stop before main() tears the namespaces down.
    const settled = await Promise.allSettled(p.netns.map(async (ns) => {
      for (let j = 0; j < k; j++) await pair(p, ns, s);
    }));
    for (const r of settled) if (r.status === "rejected") throw r.reason;
    if (s !== undefined) s.busyMs += performance.now() - t0;
  };
  for (const p of plugins) await burst(p, 1, undefined); // warm-up round
  const perWorker = Math.ceil(opts.iterations / opts.workers);
  for (let done = 0, round = 0; done < perWorker; round++) {
    const k = Math.min(opts.chunk, perWorker - done);
    for (const p of ordered(round)) await burst(p, k, out.get(p));
    done += k;
  }
  return out;
}

/** Peak RSS of one ADD (under GNU time, so outside the timed scenarios), interleaved. */
async function footprint(rounds: number): Promise<Map<Plugin, number[]>> {
  const out = new Map(plugins.map((p) => [p, [] as number[]] as const));
  for (let i = 0; i < rounds; i++) {
    for (const p of ordered(i)) await pair(p, p.netns[0] as string, undefined, out.get(p));
  }
  return out;
}

const fmt = (x: number, d = 1, unit = ""): string => (Number.isFinite(x) ? `${x.toFixed(d)}${unit}` : "-");

function table(rows: string[][]): void {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  rows.forEach((r, i) => {
    console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(" | "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  });
}

function report(results: Array<[string, Map<Plugin, Sample>]>): void {
  const [petrel, ref] = plugins as [Plugin, Plugin];
  const main: string[][] = [["scenario", "plugin", "n", "median ms", "p99 ms", "pairs/s"]];
  const split: string[][] = [["scenario", "plugin", "ADD median", "ADD p99", "DEL median", "DEL p99"]];
  for (const [name, m] of results) {
    const stat = (p: Plugin): { med: number; p99: number; tput: number; s: Sample } => {
      const s = m.get(p) ?? emptySample();
      return { med: quantile(s.pair, 0.5), p99: quantile(s.pair, 0.99), tput: s.busyMs > 0 ? s.pair.length / (s.busyMs / 1000) : Number.NaN, s };
    };
    const a = stat(petrel);
    const b = stat(ref);
    for (const [p, x] of [[petrel, a], [ref, b]] as const) {
      main.push([name, p.label, String(x.s.pair.length), fmt(x.med), fmt(x.p99), fmt(x.tput)]);
      split.push([name, p.label, fmt(quantile(x.s.add, 0.5)), fmt(quantile(x.s.add, 0.99)), fmt(quantile(x.s.del, 0.5)), fmt(quantile(x.s.del, 0.99))]);
    }
    main.push([name, "ratio petrel/ref", "", fmt(a.med / b.med, 2, "x"), fmt(a.p99 / b.p99, 2, "x"), fmt(a.tput / b.tput, 2, "x")]);
  }
  console.log("");
  table(main);
  console.log("\nADD alone and DEL alone (ms, per invocation):");
  table(split);
}

function reportFootprint(rss: Map<Plugin, number[]>): void {
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  const size = (paths: string[]): string => paths.map((f) => mib(statSync(f).size)).join(" + ");
  const rows: string[][] = [["plugin", "executables", "size MiB", "ADD peak RSS MiB (median)", "max"]];
  for (const p of plugins) {
    const kib = rss.get(p) ?? [];
    const files = p.key === "p" ? [p.binary] : [p.binary, "/usr/lib/cni/host-local"];
    rows.push([p.label, files.map((f) => f.split("/").pop()).join(" + "), size(files), fmt(quantile(kib, 0.5) / 1024), fmt(Math.max(...kib) / 1024)]);
  }
  console.log(`\nfootprint (${rss.get(plugins[0] as Plugin)?.length ?? 0} ADDs each under GNU time; for ptp the larger of ptp and host-local):`);
  table(rows);
}

/**
 * Petrel's DEL retires pairs (link group 89) and a DEL destroys the retired ones in one batch
 * once the oldest is 10 s old, so the DEL times above include such batches. What is still
 * retired at the end is destroyed here the same way, timed, so its cost stands beside DEL's.
 */
function reapRetired(): void {
  const group = run(["ip", "-j", "link", "show", "group", "89"]);
  // iproute2 6.1's `ip -j link show group N` prints {} for every link outside the group.
  const inGroup = (JSON.parse(group.stdout || "[]") as Array<{ ifname?: string }>).flatMap((l) => (l.ifname === undefined ? [] : [l.ifname]));
  const petrel = plugins.find((p) => p.key === "p");
  const mine = new Set((petrel?.containerIds ?? []).map((cid) => retiredVethName(hostVethName(petrel?.network ?? "", cid, "eth0"))));
  const retired = inGroup.filter((n) => mine.has(n));
  if (retired.length < inGroup.length) {
    // Someone else's retired pairs are here too: remove only ours, one by one (untimed).
    for (const n of retired) run(["ip", "link", "del", "dev", n]);
    console.log(`\nretired pairs left at the end: ${retired.length}, removed one by one (group 89 also holds ${inGroup.length - retired.length} not made by this run)`);
    return;
  }
  const t0 = performance.now();
  if (retired.length > 0) run(["ip", "link", "del", "group", "89"]);
  const ms = performance.now() - t0;
  console.log(`\nretired pairs left at the end: ${retired.length}; destroyed with one \`ip link del group 89\` in ${ms.toFixed(1)} ms ` +
    "(ip's own start-up included; a DEL that reaps does the same request itself)");
}

/** What this run left behind: veths, routes, netns contents, allocation records. */
function leaks(): string[] {
  const out: string[] = [];
  const links = hostLinks();
  for (const p of plugins) {
    const mine = new Set(p.hostVeths);
    if (p.key === "p") for (const cid of p.containerIds) mine.add(hostVethName(p.network, cid, "eth0"));
    for (const v of mine) if (links.has(v)) out.push(`${p.label}: host veth ${v} remains`);
    for (const r of hostRoutesIn(p.podCidr)) out.push(`${p.label}: host route ${r} remains`);
  }
  for (const l of netnsSet.leftoverLinks()) out.push(`interface ${l} remains in a bench netns`);
  const [stateDir, dataDir] = dirs;
  if (stateDir !== undefined) for (const n of petrelLeftovers(stateDir)) out.push(`petrel: ${stateDir}/allocations/${n} remains`);
  if (dataDir !== undefined) for (const n of hostLocalLeftovers(dataDir)) out.push(`host-local: allocation ${dataDir}/${n} remains`);
  return out;
}

/** Removes everything this run made, by name; returns what could not be removed. */
function teardown(): string[] {
  const links = hostLinks();
  for (const p of plugins) {
    const mine = new Set(p.hostVeths);
    if (p.key === "p") for (const cid of p.containerIds) mine.add(hostVethName(p.network, cid, "eth0"));
    for (const v of mine) if (links.has(v)) run(["ip", "link", "del", "dev", v]);
  }
  const stuck = netnsSet.removeAll().map((ns) => `netns ${ns} could not be removed`);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  return stuck;
}

/** Ends our own running plugin processes (by pid); main() then removes what the run made. */
function onSignal(sig: NodeJS.Signals): void {
  if (interrupted !== undefined) return;
  interrupted = sig;
  console.error(`\n${sig}: stopping, removing the bench's namespaces and veths`);
  running.stopAll();
  setTimeout(() => {
    for (const w of teardown()) console.error(`WARNING: ${w}`);
    process.exit(130);
  }, 10_000).unref(); // fallback only if main() does not finish on its own
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("the CNI benchmark needs root (network namespaces, veths)");
  if (!existsSync(opts.petrel)) throw new Error(`${opts.petrel} is missing: run \`npm run build\``);
  if (!existsSync("/usr/lib/cni/ptp")) throw new Error("/usr/lib/cni/ptp is missing: apt-get install containernetworking-plugins");
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const problems: string[] = [];
  let failure: unknown;
  try {
    plugins = makePlugins(opts.workers, opts.petrel);
    const kernel = run(["uname", "-r"]).stdout.trim();
    console.log(`cni-bench: ${opts.iterations} pairs per plugin per scenario, warm-up ${opts.warmup}, ${opts.workers} workers; ` +
      `node ${process.version}, kernel ${kernel}, ${run(["nproc"]).stdout.trim()} CPUs; petrel = ${opts.petrel}`);
    const seqResult = await sequential(opts);
    console.log(`sequential done (${seq} pairs so far)`);
    const parResult = await parallel(opts);
    const rss = existsSync(gnuTime) ? await footprint(20) : undefined;
    report([["sequential", seqResult], [`parallel-${opts.workers}`, parResult]]);
    if (rss !== undefined) reportFootprint(rss);
    else console.log(`\nfootprint: ${gnuTime} is missing (apt-get install time): peak RSS not measured`);
    reapRetired();
    writeBenchPlots("cni-bench", cniPlots([["sequential", seqResult], [`parallel-${opts.workers}`, parResult]], `${runContext()}, ${opts.iterations} pairs each`));
  } catch (err) {
    failure = err;
  }
  if (interrupted !== undefined) {
    for (const w of teardown()) console.error(`WARNING: ${w}`);
    return 130;
  }
  problems.push(...leaks(), ...teardown());
  for (const p of problems) console.log(`WARNING: leak: ${p}`);
  if (failure !== undefined) throw failure;
  if (problems.length === 0) console.log("\nleak check: no veth, route, netns interface or allocation left behind");
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`cni-bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
