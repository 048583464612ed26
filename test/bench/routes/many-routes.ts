// Part 2 of bench:routes: 10,000 remote block routes, Petrel beside BIRD 2 in the same run.
//
// The routes are real blocks that route trust accepts: a Node "route-source" (192.0.2.200, no
// agent, no PetrelNode) owns 10,000 IPAMBlocks of a pool 198.19.0.0/16 with blockSize 30, created
// through the API exactly as the controller does (the controller is stopped for this part, so
// that it neither moves nor reclaims them). A gobgpd at 192.0.2.200 announces them with itself as
// next hop, i.e. via their owner, to two nodes:
//   - node-1, a Petrel node (gobgpd + petrel-agent; BGPPeer bench-source selects it), and
//   - a BIRD node: BIRD 2 in its own namespace on the underlay (bird-node.ts), programming its
//     namespace's kernel, as a Calico node's BIRD does.
// Burst: the paths sit in the source's RIB behind an export policy that rejects everything;
// switching it to accept and one soft reset out per peer (back to back, the order alternating by
// round) sends all of them at once. Withdrawal: the policy back to reject and a hard reset of
// both sessions. Times come from `ip -ts monitor route` in each namespace (route-counter.ts), from
// the reset call to the kernel having all (or none) of them. node-2 is a bystander: agents export
// only their own paths, so it must never see these routes.
import { connectGobgp } from "../../../bgp/gobgp/host/connect-gobgp.ts";
import type { GobgpClient } from "../../../bgp/gobgp/client.ts";
import { startGobgpd, killGobgpd } from "../../support/gobgpd.ts";
import type { RoutedCluster } from "../../support/routed-cluster.ts";
import { startBirdNode, birdSessionState, type BirdNode } from "./bird-node.ts";
import { RouteCounter } from "./route-counter.ts";
import { runGobgpdAlone, type AloneRound } from "./gobgpd-alone.ts";
import { type Cleanup, cpuSeconds, memoryMiB, metricValue, sleep, wallMs } from "./util.ts";

export const sourceAddress = "192.0.2.200";
export const sourceAsn = 65099;
const birdAddress = "192.0.2.201";
const birdAsn = 64600;
const routesPool = "198.19.0.0/16";
const sourceNode = "route-source";

export interface SideRound {
  /** ms from this side's reset call: all routes in its kernel; none left. */
  allMs: number;
  firstMs: number;
  goneMs: number;
  /** CPU seconds of the agent (or BIRD) while the routes came, and while they went. */
  cpuAddS: number;
  cpuDelS: number;
}

export interface ManyRoutesRound {
  petrel: SideRound;
  bird: SideRound;
  /** node-1's gobgpd had accepted all, ms from node-1's reset call (polled every 10 ms). */
  gobgpdAllMs: number;
  first: "petrel" | "bird";
  bystanderMax: number;
}

export interface Footprint {
  rssMiB: number;
  hwmMiB: number;
}

export interface ManyRoutesResult {
  routes: number;
  blocksCreateMs: number;
  blocksInPolicyMs: number;
  rounds: ManyRoutesRound[];
  /** The same bursts to a gobgpd without an agent, beside BIRD (gobgpd-alone.ts): the floor. */
  alone: AloneRound[];
  /** Where a time came from a kernel listing because `ip monitor` lost changes (route-counter.ts). */
  notes: string[];
  memory: {
    agentIdle: Footprint; agentBlocks: Footprint; agentRoutes: Footprint; agentHeapRoutesMiB: number;
    birdIdle: Footprint; birdRoutes: Footprint; gobgpdIdle: Footprint; gobgpdRoutes: Footprint;
  };
  /** % of one core over the idle windows. */
  idleCpu: { agentEmpty: number; birdEmpty: number; agentRoutes: number; birdRoutes: number; gobgpdRoutes: number; emptyWindowS: number; routesWindowS: number };
}

function footprint(pid: number): Footprint {
  const m = memoryMiB(pid);
  return { rssMiB: m.rss, hwmMiB: m.hwm };
}

export function blockPrefixes(count: number): string[] {
  if (count > 16320) throw new Error("at most 16320 /30s below 198.19.255.0/24");
  return Array.from({ length: count }, (_, i) => {
    const base = i * 4;
    return `198.19.${base >> 8}.${base & 255}/30`;
  });
}

async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  }));
}

async function idleCpu(pids: readonly number[], windowS: number): Promise<number[]> {
  const before = pids.map((p) => cpuSeconds(p));
  await sleep(windowS * 1000);
  return pids.map((p, i) => ((cpuSeconds(p) - (before[i] as number)) / windowS) * 100);
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean): Promise<number> {
  const t = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - t;
    if (Date.now() - t > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export async function runManyRoutes(
  cluster: RoutedCluster,
  opts: { routes: number; rounds: number; concurrency: number; idleWindowS: number; aloneRounds: number },
  cleanup: Cleanup,
  say: (line: string) => void,
): Promise<ManyRoutesResult> {
  const [n1, n2] = cluster.nodes;
  if (n1 === undefined || n2 === undefined) throw new Error("part 2 needs two nodes");
  // The controller would reclaim or move blocks it did not cut; the blocks here are the test's.
  await cluster.controller?.stop();
  cluster.controller = undefined;
  const agentIdle = footprint(n1.agent.pid);
  const gobgpdIdle = footprint(n1.gobgpd.proc.pid);
  const prefixes = blockPrefixes(opts.routes);
  await cluster.rig.addNode(sourceNode, { "petrel.dev/bench": "source" }, { internalIP: sourceAddress });
  await cluster.rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name: "bench-routes" },
    spec: { cidr: routesPool, blockSize: 30, nodeSelector: { matchLabels: { "petrel.dev/bench": "source" } } },
  }));
  say(`  creating ${opts.routes} IPAMBlocks of ${sourceNode} through the API`);
  const t0 = Date.now();
  await inParallel(prefixes, 16, async (cidr) => {
    const name = cidr.replace(/[.:/]/g, "-");
    const r = await cluster.rig.request("POST", "/apis/petrel.dev/v1alpha1/ipamblocks", {
      apiVersion: "petrel.dev/v1alpha1", kind: "IPAMBlock",
      metadata: { name, labels: { "petrel.dev/node": sourceNode, "petrel.dev/pool": "bench-routes" } },
      spec: { cidr, pool: "bench-routes", node: sourceNode },
    });
    if (r.status !== 201) throw new Error(`creating IPAMBlock ${name}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  });
  const blocksCreateMs = Date.now() - t0;
  // node-1's agent has every block in gobgpd's import policy (it refuses what it cannot verify).
  const n1bgp = connectGobgp({ address: n1.gobgpd.address });
  const setName = `petrel-blocks-v4-${sourceNode}`;
  const blocksInPolicyMs = await waitFor("node-1's import policy to hold every block", 120_000, async () =>
    (await n1bgp.listDefinedSets("prefix", setName)).some((set) => set.type === "prefix" && set.prefixes.length === opts.routes));
  say(`  ${opts.routes} blocks created in ${(blocksCreateMs / 1000).toFixed(1)} s; in node-1's import policy ${(blocksInPolicyMs / 1000).toFixed(1)} s later`);
  const agentBlocks = footprint(n1.agent.pid);

  const srcNs = cluster.ns.create();
  cluster.plugUnderlay(srcNs, "src", sourceAddress);
  const birdNs = cluster.ns.create();
  cluster.plugUnderlay(birdNs, "bn", birdAddress);
  const source = await startGobgpd("route-source", srcNs, cluster.dir);
  const stopSource = cleanup.add("route source gobgpd", () => killGobgpd(source));
  let bird: BirdNode | undefined;
  const stopBird = cleanup.add("BIRD node", async () => {
    if (bird !== undefined && bird.proc.exitInfo() === undefined) bird.proc.child.kill("SIGTERM");
    await bird?.proc.exited;
  });
  const removePeer = cleanup.add("BGPPeer bench-source", async () => {
    await cluster.rig.kubectlOk(["delete", "bgppeer", "bench-source", "--ignore-not-found"]);
  });
  const src: GobgpClient = connectGobgp({ address: source.address });
  const counters: RouteCounter[] = [];
  try {
    bird = await startBirdNode(birdNs, cluster.dir, birdAddress, birdAsn, { address: sourceAddress, asn: sourceAsn }, `${routesPool}{30,30}`);
    await src.startBgp({ asn: sourceAsn, routerId: sourceAddress, listenPort: 179 });
    const exportAll = (on: boolean) => src.setPolicyAssignment({ direction: "export", policies: [], defaultAction: on ? "accept" : "reject" });
    await exportAll(false);
    await src.addPeer({ address: n1.address, asn: 64512, timers: { connectRetry: 5 } });
    await src.addPeer({ address: birdAddress, asn: birdAsn, timers: { connectRetry: 5 } });
    await inParallel(prefixes, opts.concurrency, (prefix) => src.addPath({ prefix, nextHop: sourceAddress }));
    await cluster.rig.kubectlOk(["apply", "-f", "-"], JSON.stringify({
      apiVersion: "petrel.dev/v1alpha1", kind: "BGPPeer", metadata: { name: "bench-source" },
      spec: { peerIP: sourceAddress, asNumber: sourceAsn, node: n1.name },
    }));
    const established = async () => (await src.listPeers()).filter((p) => p.state === "Established").length === 2 && birdSessionState(bird as BirdNode) === "Established";
    say(`  route source Established with node-1 and the BIRD node after ${((await waitFor("the route source's sessions", 90_000, established)) / 1000).toFixed(1)} s`);
    await sleep(3000);
    const birdPid = bird.proc.pid;
    const emptyWindowS = Math.min(10, opts.idleWindowS);
    say(`  idle ${emptyWindowS} s without the routes`);
    const [agentEmpty = NaN, birdEmpty = NaN] = await idleCpu([n1.agent.pid, birdPid], emptyWindowS);
    const birdIdle = footprint(birdPid);
    const petrelCount = await RouteCounter.start(n1.netns, routesPool);
    const birdCount = await RouteCounter.start(birdNs, routesPool);
    const bystander = await RouteCounter.start(n2.netns, routesPool);
    counters.push(petrelCount, birdCount, bystander);
    const rounds: ManyRoutesRound[] = [];
    const notes: string[] = [];
    const noteLoss = (r: number, phase: string) => {
      for (const [side, c] of [["Petrel", petrelCount], ["BIRD", birdCount]] as const) {
        if (c.approximate) notes.push(`round ${r} ${phase}: the ${side} node's ip monitor overflowed (${c.overflows} time(s) so far); its time is when a kernel listing first showed the count (up to ~0.3 s late)`);
      }
    };
    let agentRoutes = agentBlocks;
    let birdRoutes = birdIdle;
    let gobgpdRoutes = gobgpdIdle;
    let heap = NaN;
    let idle = { agent: NaN, bird: NaN, gobgpd: NaN };
    for (let r = 0; r < opts.rounds; r++) {
      const first: "petrel" | "bird" = r % 2 === 0 ? "petrel" : "bird";
      const order = first === "petrel" ? [n1.address, birdAddress] : [birdAddress, n1.address];
      const cpu0 = { agent: cpuSeconds(n1.agent.pid), bird: cpuSeconds(birdPid) };
      // A new phase: the first change and ip's stamps are this arrival's (not the last withdrawal's).
      petrelCount.reset();
      birdCount.reset();
      await exportAll(true);
      const resetAt = new Map<string, number>();
      for (const peer of order) {
        resetAt.set(peer, wallMs());
        await src.resetPeer(peer, { soft: "out" });
      }
      const gobgpdAll = (async () => {
        const t = resetAt.get(n1.address) ?? 0;
        for (;;) {
          const p = await n1bgp.getPeer(sourceAddress);
          if (p?.state === "Established" && p.prefixes.accepted === opts.routes) return wallMs() - t;
          if (wallMs() - t > 120_000) return NaN;
          await sleep(10);
        }
      })();
      const [petrelAt, birdAt] = await Promise.all([petrelCount.waitCount(opts.routes, 120_000), birdCount.waitCount(opts.routes, 120_000)]);
      const gobgpdAllMs = await gobgpdAll;
      noteLoss(r, "arrival");
      const cpu1 = { agent: cpuSeconds(n1.agent.pid), bird: cpuSeconds(birdPid) };
      const firstP = (petrelCount.firstChangeAt ?? petrelAt) - (resetAt.get(n1.address) ?? 0);
      const firstB = (birdCount.firstChangeAt ?? birdAt) - (resetAt.get(birdAddress) ?? 0);
      say(`  round ${r} (${first} first): all in the Petrel node's kernel after ${(petrelAt - (resetAt.get(n1.address) ?? 0)).toFixed(0)} ms, the BIRD node's after ${(birdAt - (resetAt.get(birdAddress) ?? 0)).toFixed(0)} ms`);
      if (r === opts.rounds - 1) {
        await sleep(2000);
        say(`  idle ${opts.idleWindowS} s with the routes`);
        const [a = NaN, b = NaN, g = NaN] = await idleCpu([n1.agent.pid, birdPid, n1.gobgpd.proc.pid], opts.idleWindowS);
        idle = { agent: a, bird: b, gobgpd: g };
        agentRoutes = footprint(n1.agent.pid);
        birdRoutes = footprint(birdPid);
        gobgpdRoutes = footprint(n1.gobgpd.proc.pid);
        heap = (await metricValue(n1.healthPort, "petrel_agent_nodejs_heap_size_used_bytes")) / 2 ** 20;
      } else {
        await sleep(2000);
      }
      petrelCount.reset();
      birdCount.reset();
      const cpu2 = { agent: cpuSeconds(n1.agent.pid), bird: cpuSeconds(birdPid) };
      await exportAll(false);
      const dropAt = new Map<string, number>();
      for (const peer of order) {
        dropAt.set(peer, wallMs());
        await src.resetPeer(peer);
      }
      const [petrelGone, birdGone] = await Promise.all([petrelCount.waitCount(0, 120_000), birdCount.waitCount(0, 120_000)]);
      noteLoss(r, "withdrawal");
      const cpu3 = { agent: cpuSeconds(n1.agent.pid), bird: cpuSeconds(birdPid) };
      rounds.push({
        first,
        gobgpdAllMs,
        bystanderMax: bystander.count,
        petrel: { allMs: petrelAt - (resetAt.get(n1.address) ?? 0), firstMs: firstP, goneMs: petrelGone - (dropAt.get(n1.address) ?? 0), cpuAddS: cpu1.agent - cpu0.agent, cpuDelS: cpu3.agent - cpu2.agent },
        bird: { allMs: birdAt - (resetAt.get(birdAddress) ?? 0), firstMs: firstB, goneMs: birdGone - (dropAt.get(birdAddress) ?? 0), cpuAddS: cpu1.bird - cpu0.bird, cpuDelS: cpu3.bird - cpu2.bird },
      });
      await waitFor("the route source's sessions back", 90_000, established);
      await sleep(1000);
    }
    let alone: AloneRound[] = [];
    if (opts.aloneRounds > 0) {
      // node-1 leaves the source: its session must not take a burst meant for the bare gobgpd.
      await src.deletePeer(n1.address);
      say(`  the same bursts to a gobgpd without an agent, beside BIRD (${opts.aloneRounds} rounds)`);
      alone = await runGobgpdAlone({ cluster, src, sourceAddress, sourceAsn, exportAll, bird, birdAddress, birdCount, prefixes }, opts.aloneRounds, say);
    }
    return {
      routes: opts.routes,
      blocksCreateMs,
      blocksInPolicyMs,
      rounds,
      alone,
      notes,
      memory: { agentIdle, agentBlocks, agentRoutes, agentHeapRoutesMiB: heap, birdIdle, birdRoutes, gobgpdIdle, gobgpdRoutes },
      idleCpu: { agentEmpty, birdEmpty, agentRoutes: idle.agent, birdRoutes: idle.bird, gobgpdRoutes: idle.gobgpd, emptyWindowS, routesWindowS: opts.idleWindowS },
    };
  } finally {
    for (const c of counters) await c.stop();
    src.close();
    n1bgp.close();
    await removePeer();
    await stopSource();
    await stopBird();
    cluster.ns.remove(srcNs);
    cluster.ns.remove(birdNs);
  }
}
