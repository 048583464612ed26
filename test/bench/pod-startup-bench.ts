// `npm run bench:pod-startup`: pod startup latency on a real kubelet node with Petrel (installed by
// helm on a 2-node KubeletCluster, test/support/kubelet-cluster.ts), against the reference ptp +
// host-local configured on the same node in the same run, interleaved round by round.
//
// A round creates N pods (default 100; the pause image, already imported: no pull) pinned to one
// node by nodeSelector (so the scheduler is part of it, as in the SLO), POSTed with 10 requests in
// flight, and polls the pod list every 200 ms: startup = first Ready seen − the pod's POST sent
// (Kubernetes' pod startup SLO: p99 ≤ 5 s, excluding image pulls). Then the pods are deleted and
// the next round waits until they are gone. For the reference rounds a `000-reference.conflist`
// (ptp + host-local on 198.19.0.0/24, the executables copied from /usr/lib/cni) is put before
// Petrel's `00-petrel.conflist` in the node's /etc/cni/net.d; containerd takes the first one.
//
// Also printed: CPU and memory of each node's Petrel pod (agent, gobgpd, CNI installer: the pod's
// cgroup) while idle and during each round (500 ms samples). Not asserted: a printed table.
//
//   node test/bench/pod-startup-bench.ts [--pods 100] [--rounds 2] [--idle 20]
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { KubeletCluster, petrelNamespace, waitFor, type ClusterNode } from "../support/kubelet-cluster.ts";
import { requireRoot } from "../rig/netns.ts";
import { UsageSampler } from "../rig/pod-cgroups.ts";
import { upstreamPauseImage } from "../rig/e2e-images.ts";
import { nodeBinaries } from "../rig/binaries.ts";
import { fmt, table } from "./routes/util.ts";
import { quantile } from "./stats.ts";
import { podStartupPlots, runContext, writeBenchPlots } from "./bench-plots.ts";

interface Options {
  pods: number;
  rounds: number;
  idle: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { pods: 100, rounds: 2, idle: 20 };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = (argv[i] ?? "").split("=", 2);
    const v = inline ?? argv[++i];
    if (k === "--pods") o.pods = Number(v);
    else if (k === "--rounds") o.rounds = Number(v);
    else if (k === "--idle") o.idle = Number(v);
    else throw new Error(`unknown argument ${k}; usage: pod-startup-bench.ts [--pods 100] [--rounds 2] [--idle 20]`);
  }
  return o;
}

const say = (line: string): void => {
  process.stderr.write(`[bench:pod-startup] ${line}\n`);
};
const ns = "startup-bench";
const referenceRange = "198.19.0.0/24";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Cni = "petrel" | "reference";

interface Round {
  cni: Cni;
  round: number;
  ms: number[];
  notReady: number;
  usage: ReturnType<UsageSampler["stop"]>;
  wallS: number;
}

async function petrelPods(c: KubeletCluster): Promise<{ key: string; cgroupRoot: string; uid: string }[]> {
  const list = JSON.parse(await c.kubectlOk(["get", "pods", "-n", petrelNamespace, "-l", "app.kubernetes.io/component=node", "-o", "json"])) as { items: { metadata: { uid: string }; spec: { nodeName: string } }[] };
  return list.items.map((p) => ({ key: p.spec.nodeName, cgroupRoot: c.node(p.spec.nodeName).kubelet.cgroupRoot.path, uid: p.metadata.uid }));
}

function useReference(node: ClusterNode, on: boolean): void {
  const conf = node.kubelet.hostPath("/etc/cni/net.d/000-reference.conflist");
  const bin = node.kubelet.hostPath("/opt/cni/bin");
  if (!on) {
    rmSync(conf, { force: true });
    for (const p of ["ptp", "host-local"]) rmSync(join(bin, p), { force: true });
    return;
  }
  for (const p of ["ptp", "host-local"]) copyFileSync(`/usr/lib/cni/${p}`, join(bin, p));
  writeFileSync(conf, JSON.stringify({
    cniVersion: "1.0.0",
    name: "reference",
    plugins: [{ type: "ptp", mtu: 1500, ipam: { type: "host-local", ranges: [[{ subnet: referenceRange }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(node.kubelet.dir, "host-local") } }],
  }));
}

async function oneRound(c: KubeletCluster, node: ClusterNode, cni: Cni, round: number, pods: number): Promise<Round> {
  const image = upstreamPauseImage().ref;
  const sampler = new UsageSampler(await petrelPods(c));
  const sent = new Map<string, number>();
  const ready = new Map<string, number>();
  const t0 = Date.now();
  const names = Array.from({ length: pods }, (_, i) => `p-${cni}-${round}-${i}`);
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const r = await c.rig.request("GET", `/api/v1/namespaces/${ns}/pods`);
      const now = Date.now();
      for (const p of (r.body as { items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items ?? []) {
        if (!ready.has(p.metadata.name) && p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") === true) ready.set(p.metadata.name, now);
      }
      if (ready.size >= pods) break;
      await sleep(200);
    }
  })();
  const queue = [...names];
  await Promise.all(Array.from({ length: 10 }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      sent.set(name, Date.now());
      const r = await c.rig.request("POST", `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: "v1", kind: "Pod", metadata: { name, labels: { bench: "startup" } },
        spec: { nodeSelector: { "kubernetes.io/hostname": node.name }, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image, imagePullPolicy: "Never" }] },
      });
      if (r.status !== 201) throw new Error(`creating ${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
  }));
  const deadline = Date.now() + 300_000;
  while (ready.size < pods && Date.now() < deadline) await sleep(500);
  polling = false;
  await poller;
  const wallS = (Date.now() - t0) / 1000;
  const usage = sampler.stop();
  const ms = names.filter((n) => ready.has(n)).map((n) => (ready.get(n) ?? 0) - (sent.get(n) ?? 0));
  // Check the pods got addresses from the CNI under test.
  const list = JSON.parse(await c.kubectlOk(["get", "pods", "-n", ns, "-o", "jsonpath={.items[*].status.podIP}"]).then((s) => JSON.stringify(s.trim().split(" ")))) as string[];
  const wrong = list.filter((ip) => ip !== "" && (cni === "reference") !== ip.startsWith("198.19.0."));
  if (wrong.length > 0) throw new Error(`${cni} round ${round}: ${wrong.length} pods have addresses of the other CNI (${wrong.slice(0, 3).join(", ")}): the conflist switch did not take`);
  await c.kubectlOk(["delete", "pods", "-n", ns, "-l", "bench=startup", "--wait=false"]);
  await waitFor("the round's pods to be gone", 300_000, async () => ((await c.kubectlOk(["get", "pods", "-n", ns, "-o", "name"])).trim() === "" ? true : undefined));
  say(`${cni} round ${round}: ${ms.length}/${pods} Ready in ${wallS.toFixed(1)} s, p50 ${fmt(quantile(ms, 0.5))} ms, p99 ${fmt(quantile(ms, 0.99))} ms`);
  return { cni, round, ms, notReady: pods - ms.length, usage, wallS };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  requireRoot();
  console.log(`bench:pod-startup — ${cpus().length} CPUs, ${new Date().toISOString()}, ${o.pods} pods per round, ${o.rounds} rounds per CNI (interleaved)`);
  // Only the pause image (the rounds' pods and the sandboxes): no e2e images, so `build-k8s.sh --only demo` is enough.
  const c = await KubeletCluster.start({ label: "ps", nodes: 2, log: say, images: () => [upstreamPauseImage()], binaries: nodeBinaries });
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    void c.stop().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const rounds: Round[] = [];
  let idle: ReturnType<UsageSampler["stop"]> | undefined;
  try {
    await c.installPetrel();
    await c.kubectlOk(["create", "namespace", ns]);
    await waitFor("the namespace's default ServiceAccount", 60_000, async () => ((await c.kubectl(["get", "sa", "default", "-n", ns])).status === 0 ? true : undefined));
    const node = c.node("node-2");
    say(`idle: sampling the Petrel pods for ${o.idle} s`);
    const sampler = new UsageSampler(await petrelPods(c));
    await sleep(o.idle * 1000);
    idle = sampler.stop();
    for (let r = 1; r <= o.rounds; r++) {
      const order: Cni[] = r % 2 === 1 ? ["petrel", "reference"] : ["reference", "petrel"];
      for (const cni of order) {
        useReference(node, cni === "reference");
        // containerd reloads its CNI config on a change in the directory (fsnotify); give it a moment.
        await sleep(2000);
        rounds.push(await oneRound(c, node, cni, r, o.pods));
      }
    }
    useReference(node, false);
  } finally {
    await c.stop();
  }

  console.log(`\nPod startup on node-2 (Pod POST -> Ready seen, 200 ms polling), ${o.pods} pods per round; SLO p99 <= 5000 ms`);
  const rows: string[][] = [];
  const stats = (ms: number[]) => [fmt(quantile(ms, 0.5)), fmt(quantile(ms, 0.9)), fmt(quantile(ms, 0.99)), fmt(Math.max(...ms))];
  for (const r of rounds) rows.push([r.cni, String(r.round), `${r.ms.length}/${r.ms.length + r.notReady}`, ...stats(r.ms), r.wallS.toFixed(1)]);
  const all = (cni: Cni) => rounds.filter((r) => r.cni === cni).flatMap((r) => r.ms);
  for (const cni of ["petrel", "reference"] as const) rows.push([cni, "all", String(all(cni).length), ...stats(all(cni)), ""]);
  console.log(table(["CNI", "round", "Ready", "p50 ms", "p90 ms", "p99 ms", "max ms", "round s"], rows));
  const ratio = (q: number) => quantile(all("petrel"), q) / quantile(all("reference"), q);
  console.log(`petrel / reference: p50 ${ratio(0.5).toFixed(2)}x, p99 ${ratio(0.99).toFixed(2)}x; SLO (p99 <= 5 s) ${quantile(all("petrel"), 0.99) <= 5000 ? "met" : "NOT met"} by Petrel, ${quantile(all("reference"), 0.99) <= 5000 ? "met" : "NOT met"} by the reference`);

  console.log("\nPetrel pod per node (agent + gobgpd + CNI installer; cgroup of the pod): CPU in millicores, memory in MiB");
  const urows: string[][] = [];
  const add = (phase: string, u: ReturnType<UsageSampler["stop"]> | undefined) => {
    for (const [node, v] of [...(u ?? new Map())].sort()) urows.push([phase, node, fmt(v.avgMilliCpu), fmt(v.peakMilliCpu), fmt(v.peakWorkingSetMiB), fmt(v.peakRssMiB)]);
  };
  add("idle", idle);
  for (const r of rounds) add(`${r.cni} round ${r.round}`, r.usage);
  console.log(table(["phase", "node", "avg CPU m", "peak CPU m", "peak working set", "peak RSS"], urows));
  writeBenchPlots("pod-startup", podStartupPlots(rounds, o.pods, `${runContext()}, ${o.rounds} rounds per CNI, interleaved`));
  if (rounds.some((r) => r.notReady > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
