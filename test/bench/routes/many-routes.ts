// Part 2 of bench:routes: 10,000 remote routes. A "route source" gobgpd (AS 65099) in its own
// netns on the underlay peers with node-1 only, declared by a BGPPeer (spec.node: node-1) so that
// node-1's agent configures the session. An extra pool 198.19.0.0/16 with blockSize 30 and a
// nodeSelector that matches no node (so the controller cuts no block from it) makes /30s inside it
// acceptable to the agents. The source announces 10,000 distinct /30s (198.19.0.0/30 …
// 198.19.156.60/30, well clear of the rig's service range 198.19.255.0/24) with itself as next hop.
//
// Two ways to announce them:
//   stream - the session is up and the source adds the paths with AddPath (N calls in flight);
//            gobgpd takes about 1 ms per AddPath, so the announcements trickle out over ~10 s.
//            Timed from the first AddPath and from the last one returning.
//   burst  - the paths are already in the source's RIB, held back by its export policy (default
//            reject); switching the policy to accept and a soft reset out sends all of them at
//            once. Timed from the soft reset call. This is the agent's own speed.
// Withdrawal (after every round): export policy back to reject, then a hard reset of the session:
// node-1's gobgpd drops all routes from the source at once (no graceful restart: the source does
// not offer it). Timed from the reset call; then the session comes back up, exporting nothing.
// Measured, polled every 100 ms: node-1's gobgpd's count of accepted routes from the source, and
// the routes of the range in node-1's kernel (first one, all of them). node-2 is the bystander:
// agents export only their own blocks, so it must never see these routes (checked, reported).
import { connectGobgp } from "../../../bgp/gobgp/host/connect-gobgp.ts";
import type { GobgpClient } from "../../../bgp/gobgp/client.ts";
import { startGobgpd, killGobgpd } from "../../support/gobgpd.ts";
import type { RoutedCluster, ClusterNode } from "../../support/routed-cluster.ts";
import { type Cleanup, cpuSeconds, exec, memoryMiB, metricValue, sleep, wallMs } from "./util.ts";

export const sourceAddress = "192.0.2.200";
export const sourceAsn = 65099;
const routesPool = "198.19.0.0/16";

export interface ManyRoutesRound {
  kind: "stream" | "burst";
  /** Source side: stream: all AddPath calls, first call to last answer; burst: the soft reset call. */
  announceMs: number;
  /** From the announcement start (first AddPath / soft reset): node-1's gobgpd accepted all; first route in node-1's kernel; all of them. */
  bgpAllMs: number;
  kernelFirstMs: number;
  kernelAllMs: number;
  /** Stream only: all in the kernel, from the last AddPath returning. */
  fromLastAddMs: number;
  /** From the hard reset: node-1's gobgpd holds none; none left in node-1's kernel. */
  bgpGoneMs: number;
  kernelGoneMs: number;
  /** node-1's agent: RSS with the routes in place; CPU seconds while they were added / removed. */
  rssAfterMiB: number;
  /** node-1's agent: V8 heap in use with the routes in place (its own metric). */
  heapAfterMiB: number;
  cpuAddS: number;
  cpuDelS: number;
  /** Most routes of the range node-2 (the bystander) had at any poll: 0 expected. */
  bystanderMax: number;
}

export interface ManyRoutesResult {
  routes: number;
  concurrency: number;
  rounds: ManyRoutesRound[];
  memoryBefore: Memory[];
  memoryAfter: Memory[];
  /** Agent CPU (% of one core) over an idle window without and with the routes installed. */
  idleCpu: { node: string; emptyPct: number; fullPct: number }[];
  idleWindowS: number;
}

export interface Memory {
  node: string;
  rss: number;
  hwm: number;
  heap: number;
  gobgpdRss: number;
}

const heapMiB = async (n: ClusterNode) => (await metricValue(n.healthPort, "petrel_agent_nodejs_heap_size_used_bytes")) / 2 ** 20;

export function routePrefixes(count: number): string[] {
  if (count > 16320) throw new Error("at most 16320 /30s below 198.19.255.0/24");
  return Array.from({ length: count }, (_, i) => {
    const base = i * 4;
    return `198.19.${base >> 8}.${base & 255}/30`;
  });
}

async function countRoutes(netns: string): Promise<number> {
  const r = await exec(["ip", "-n", netns, "-4", "route", "show", "proto", "88", "root", routesPool]);
  if (r.status !== 0) throw new Error(`ip route show in ${netns}: ${r.stderr}`);
  let n = 0;
  for (const line of r.stdout.split("\n")) if (line.startsWith("198.19.")) n++;
  return n;
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  }));
}

interface PollResult {
  /** Wall-clock ms of the first poll at which node-1's gobgpd / kernel met the target, and the kernel first changed. */
  bgpAt: number;
  kernelAt: number;
  kernelFirstAt: number;
  bystanderMax: number;
}

/**
 * Polls node-1's gobgpd (routes accepted from the source) and node-1's kernel (routes in the range)
 * every 100 ms until both reach `target`; also counts node-2's routes in the range.
 */
async function pollUntil(node: ClusterNode, bystander: ClusterNode, bgp: GobgpClient, target: number, timeoutMs: number): Promise<PollResult> {
  let bgpAt = NaN;
  let kernelAt = NaN;
  let kernelFirstAt = NaN;
  let bystanderMax = 0;
  const initial = await countRoutes(node.netns);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [peer, kernel, other] = await Promise.all([
      Number.isNaN(bgpAt) ? bgp.getPeer(sourceAddress) : Promise.resolve(undefined),
      Number.isNaN(kernelAt) ? countRoutes(node.netns) : Promise.resolve(-1),
      countRoutes(bystander.netns),
    ]);
    const now = wallMs();
    bystanderMax = Math.max(bystanderMax, other);
    const accepted = peer?.state === "Established" ? peer.prefixes.accepted : 0;
    if (Number.isNaN(bgpAt) && peer !== undefined && accepted === target) bgpAt = now;
    if (Number.isNaN(kernelFirstAt) && kernel >= 0 && kernel !== initial) kernelFirstAt = now;
    if (Number.isNaN(kernelAt) && kernel === target) kernelAt = now;
    if (!Number.isNaN(bgpAt) && !Number.isNaN(kernelAt)) return { bgpAt, kernelAt, kernelFirstAt: Number.isNaN(kernelFirstAt) ? kernelAt : kernelFirstAt, bystanderMax };
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${target}: ${node.name}'s gobgpd accepted ${peer?.prefixes.accepted ?? "?"} (${peer?.state ?? "?"}), kernel has ${kernel}`);
    await sleep(100);
  }
}

async function idleCpuPct(nodes: readonly ClusterNode[], windowS: number): Promise<number[]> {
  const before = nodes.map((n) => cpuSeconds(n.agent.pid));
  await sleep(windowS * 1000);
  return nodes.map((n, i) => ((cpuSeconds(n.agent.pid) - (before[i] as number)) / windowS) * 100);
}

async function waitEstablished(src: GobgpClient, peer: string, timeoutMs: number): Promise<number> {
  const t = Date.now();
  for (;;) {
    const p = await src.getPeer(peer);
    if (p?.state === "Established") return Date.now() - t;
    if (Date.now() - t > timeoutMs) throw new Error(`route source never reached Established with ${peer} (state ${p?.state})`);
    await sleep(100);
  }
}

export async function runManyRoutes(
  cluster: RoutedCluster,
  opts: { routes: number; rounds: number; concurrency: number; idleWindowS: number },
  cleanup: Cleanup,
  say: (line: string) => void,
): Promise<ManyRoutesResult> {
  const nodes = cluster.nodes.slice(0, 2);
  const [n1, n2] = nodes;
  if (n1 === undefined || n2 === undefined) throw new Error("part 2 needs two nodes");
  const prefixes = routePrefixes(opts.routes);
  await cluster.rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name: "bench-routes" },
    spec: { cidr: routesPool, blockSize: 30, nodeSelector: { matchLabels: { "petrel.dev/bench": "no-node-has-this" } } },
  }));
  // Both agents must have put the new pool into gobgpd's import prefix set first.
  for (const n of nodes) {
    const c = connectGobgp({ address: n.gobgpd.address });
    try {
      const t = Date.now();
      for (;;) {
        const sets = await c.listDefinedSets("prefix");
        if (sets.some((s) => s.type === "prefix" && s.prefixes.some((p) => p.prefix === routesPool))) break;
        if (Date.now() - t > 30_000) throw new Error(`${n.name}'s gobgpd never got ${routesPool} into its prefix sets`);
        await sleep(200);
      }
    } finally {
      c.close();
    }
  }
  const srcNs = cluster.ns.create();
  cluster.plugUnderlay(srcNs, "src", sourceAddress);
  const source = await startGobgpd("route-source", srcNs, cluster.dir);
  const stopSource = cleanup.add("route source gobgpd", () => killGobgpd(source));
  const removePeer = cleanup.add("BGPPeer bench-source", async () => {
    await cluster.rig.kubectlOk(["delete", "bgppeer", "bench-source", "--ignore-not-found"]);
  });
  const src = connectGobgp({ address: source.address });
  // Read-only view of node-1's gobgpd, for its count of routes accepted from the source.
  const n1bgp = connectGobgp({ address: n1.gobgpd.address });
  try {
    await src.startBgp({ asn: sourceAsn, routerId: sourceAddress, listenPort: 179 });
    const exportAll = (on: boolean) => src.setPolicyAssignment({ direction: "export", policies: [], defaultAction: on ? "accept" : "reject" });
    await exportAll(true);
    await src.addPeer({ address: n1.address, asn: 64512, timers: { connectRetry: 5 } });
    await cluster.rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({
      apiVersion: "petrel.dev/v1alpha1", kind: "BGPPeer", metadata: { name: "bench-source" },
      spec: { peerIP: sourceAddress, asNumber: sourceAsn, node: n1.name },
    }));
    say(`  route source ${sourceAddress} Established with ${n1.name} after ${(await waitEstablished(src, n1.address, 60_000) / 1000).toFixed(1)} s`);
    await sleep(3000); // the initial exchange (node-1's own block) settles
    const memoryOf = () => Promise.all(nodes.map(async (n): Promise<Memory> => ({ node: n.name, ...memoryMiB(n.agent.pid), heap: await heapMiB(n), gobgpdRss: memoryMiB(n.gobgpd.proc.pid).rss })));
    const memoryBefore = await memoryOf();
    say(`  agents idle for ${opts.idleWindowS} s without the routes`);
    const idleEmpty = await idleCpuPct(nodes, opts.idleWindowS);
    const rounds: ManyRoutesRound[] = [];
    let idleFull: number[] = [];
    const cpu = () => cpuSeconds(n1.agent.pid);
    const kinds: ("stream" | "burst")[] = ["stream", ...Array.from({ length: opts.rounds }, () => "burst" as const)];
    for (const [r, kind] of kinds.entries()) {
      const cpu0 = cpu();
      let first: number;
      let last: number;
      let installed: Promise<PollResult>;
      if (kind === "stream") {
        first = wallMs();
        installed = pollUntil(n1, n2, n1bgp, opts.routes, 120_000);
        await inParallel(prefixes, opts.concurrency, (prefix) => src.addPath({ prefix, nextHop: sourceAddress }));
        last = wallMs();
      } else {
        await exportAll(true);
        first = wallMs();
        installed = pollUntil(n1, n2, n1bgp, opts.routes, 120_000);
        await src.resetPeer(n1.address, { soft: "out" });
        last = wallMs();
      }
      const at = await installed;
      const cpu1 = cpu();
      const rss = memoryMiB(n1.agent.pid).rss;
      const heap = await heapMiB(n1);
      say(`  ${kind} ${r}: announced in ${(last - first).toFixed(0)} ms; all accepted by ${n1.name}'s gobgpd after ${(at.bgpAt - first).toFixed(0)} ms, all in its kernel after ${(at.kernelAt - first).toFixed(0)} ms`);
      if (r === kinds.length - 1) {
        say(`  agents idle for ${opts.idleWindowS} s with the routes`);
        idleFull = await idleCpuPct(nodes, opts.idleWindowS);
      } else {
        await sleep(2000);
      }
      const cpu2 = cpu();
      await exportAll(false);
      const delFirst = wallMs();
      const removed = pollUntil(n1, n2, n1bgp, 0, 120_000);
      await src.resetPeer(n1.address);
      const goneAt = await removed;
      const cpu3 = cpu();
      say(`  ${kind} ${r}: session reset; none left in ${n1.name}'s gobgpd after ${(goneAt.bgpAt - delFirst).toFixed(0)} ms, in its kernel after ${(goneAt.kernelAt - delFirst).toFixed(0)} ms`);
      rounds.push({
        kind,
        announceMs: last - first,
        bgpAllMs: at.bgpAt - first,
        kernelFirstMs: at.kernelFirstAt - first,
        kernelAllMs: at.kernelAt - first,
        fromLastAddMs: kind === "stream" ? at.kernelAt - last : NaN,
        bgpGoneMs: goneAt.bgpAt - delFirst,
        kernelGoneMs: goneAt.kernelAt - delFirst,
        rssAfterMiB: rss,
        heapAfterMiB: heap,
        cpuAddS: cpu1 - cpu0,
        cpuDelS: cpu3 - cpu2,
        bystanderMax: Math.max(at.bystanderMax, goneAt.bystanderMax),
      });
      await waitEstablished(src, n1.address, 60_000);
      await sleep(1000);
    }
    const memoryAfter = await memoryOf();
    return {
      routes: opts.routes,
      concurrency: opts.concurrency,
      rounds,
      memoryBefore,
      memoryAfter,
      idleCpu: nodes.map((n, i) => ({ node: n.name, emptyPct: idleEmpty[i] as number, fullPct: idleFull[i] as number })),
      idleWindowS: opts.idleWindowS,
    };
  } finally {
    src.close();
    n1bgp.close();
    await removePeer();
    await stopSource();
    cluster.ns.remove(srcNs);
  }
}
