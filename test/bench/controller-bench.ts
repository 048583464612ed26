// `npm run bench:controller`: how fast petrel-controller serves N new Nodes (N = 100, 500, 1000 by
// default), against a real etcd + kube-apiserver (test/rig). For each N: a fresh rig, the CRDs,
// one pool (198.18.0.0/15 in /26 blocks: 2048 blocks), one controller (with leader election, as
// deployed), then N Nodes created with 32 requests in flight. Measured:
//   - per-node latency from "its Node create returned" to "an IPAMBlock for it is listed"
//     (polled every 100 ms, so it has ~100 ms resolution): median and p99;
//   - total time from the first Node create to the last node served (goal: 1000 in < 30 s);
//   - API writes per node made by the controller (creates, patches, deletes, from its own
//     metrics; goal: at most 3), and its peak resident memory (VmHWM from /proc).
// There is no reference controller that can run here (Calico's kube-controllers cannot be built
// from the sources available), so the table has no reference column.
//
//   node test/bench/controller-bench.ts [--nodes 100,500,1000]
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../rig/free-port.ts";
import { KubeRig } from "../rig/rig.ts";
import { startProcess, killAll } from "../rig/start-process.ts";
import { quantile } from "./stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const node = join(root, "node_modules", ".bin", "node");
const controllerBin = join(root, "dist", "bin", "petrel-controller");

function parseArgs(argv: readonly string[]): number[] {
  let sizes = [100, 500, 1000];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") {
      console.log("usage: controller-bench.ts [--nodes 100,500,1000]");
      process.exit(0);
    }
    const m = /^--nodes(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unknown argument ${arg} (try --help)`);
    const text = m[1] ?? argv[++i] ?? "";
    sizes = text.split(",").map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 2048)) throw new Error(`--nodes takes numbers from 1 to 2048 (the pool has 2048 blocks), got ${text}`);
  }
  return sizes;
}

async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(petrel_controller_api_requests_total)\{verb="(\w+)",resource="([^"]+)"\} (\S+)$/.exec(line);
    if (m !== null) out.set(`${m[2]} ${m[3]}`, Number(m[4]));
    const heap = /^petrel_controller_nodejs_heap_size_used_bytes (\S+)$/.exec(line);
    if (heap !== null) out.set("heap", Number(heap[1]));
  }
  return out;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

interface Row { n: number; createMs: number; totalMs: number; median: number; p99: number; writesPerNode: number; readsPerNode: number; rssMiB: number; heapMiB: number }

async function runOne(n: number): Promise<Row> {
  const rig = await KubeRig.start();
  const port = await freePort();
  const proc = startProcess("petrel-controller", node, [
    controllerBin, `--kubeconfig=${rig.kubeconfigPath}`, "--identity=bench", `--health-address=127.0.0.1:${port}`, "--lease-namespace=default", "--log-level=warn",
  ], join(rig.dir, "controller.log"));
  try {
    await rig.kubectlOk(["apply", "-f", join(root, "crds")]);
    await rig.kubectlOk(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    await rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name: "bench" }, spec: { cidr: "198.18.0.0/15" } }));
    for (let i = 0; ; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).then((x) => x.status, () => 0);
      if (r === 200) break;
      if (i > 300) throw new Error("controller not ready after 60 s");
      await sleep(200);
    }
    const names = Array.from({ length: n }, (_, i) => `bench-${String(i).padStart(4, "0")}`);
    const created = new Map<string, number>();
    const served = new Map<string, number>();
    const start = performance.now();
    let stopPolling = false;
    const poller = (async () => {
      while (!stopPolling) {
        const r = await rig.request("GET", "/apis/petrel.dev/v1alpha1/ipamblocks");
        const now = performance.now();
        for (const b of (r.body as { items: { spec: { node: string } }[] }).items) if (!served.has(b.spec.node)) served.set(b.spec.node, now);
        if (served.size >= n) return;
        await sleep(100);
      }
    })();
    const queue = [...names];
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        await rig.addNode(name);
        created.set(name, performance.now());
      }
    }));
    const createMs = performance.now() - start;
    const deadline = Date.now() + 180_000;
    while (served.size < n && Date.now() < deadline) await sleep(100);
    stopPolling = true;
    await poller;
    if (served.size < n) throw new Error(`only ${served.size} of ${n} nodes served after 180 s`);
    const latencies = names.map((name) => Math.max(0, (served.get(name) ?? NaN) - (created.get(name) ?? NaN))).sort((a, b) => a - b);
    const totalMs = Math.max(...served.values()) - start;
    await sleep(1500); // let the last pool-status write land before reading the counters
    const m = await metrics(port);
    let writes = 0;
    let reads = 0;
    const heapMiB = (m.get("heap") ?? NaN) / 2 ** 20;
    m.delete("heap");
    for (const [key, v] of m) {
      if (/^(create|patch|delete|update) /.test(key)) writes += v;
      else reads += v;
    }
    return { n, createMs, totalMs, median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), writesPerNode: writes / n, readsPerNode: reads / n, rssMiB: peakRssMiB(proc.pid), heapMiB };
  } finally {
    await killAll([proc]);
    await rig.stop();
  }
}

const sizes = parseArgs(process.argv.slice(2));
const rows: Row[] = [];
for (const n of sizes) {
  process.stderr.write(`N=${n}...\n`);
  rows.push(await runOne(n));
}
const fmt = (v: number, d = 0) => v.toFixed(d);
const header = ["nodes", "creates ms", "all served ms", "per-node median ms", "per-node p99 ms", "writes/node", "reads/node", "peak RSS MiB", "heap used MiB"];
const lines = rows.map((r) => [String(r.n), fmt(r.createMs), fmt(r.totalMs), fmt(r.median), fmt(r.p99), fmt(r.writesPerNode, 2), fmt(r.readsPerNode, 3), fmt(r.rssMiB, 1), fmt(r.heapMiB, 1)]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
const row = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ");
console.log(row(header));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
for (const l of lines) console.log(row(l));
const big = rows.find((r) => r.n === 1000);
if (big !== undefined) {
  console.log(`goal: 1000 nodes served in < 30 s: ${big.totalMs < 30_000 ? "met" : "NOT met"} (${fmt(big.totalMs / 1000, 1)} s); <= 3 writes per node: ${big.writesPerNode <= 3 ? "met" : "NOT met"} (${fmt(big.writesPerNode, 2)})`);
}
