// Part 2's floor: the same burst to a gobgpd with no agent beside the BIRD node, in the same run.
//
// A Petrel node's routes reach the kernel only after gobgpd has received them, run its import
// policy and best-path selection, and sent the best paths to the agent's WatchEvent stream; no
// agent can be faster than that. So after Petrel's rounds the route source drops node-1 and
// peers with a bare gobgpd (its own namespace, the same import policy the agent gives node-1's
// gobgpd: the 10,000 block prefixes via their owner), and the bench itself watches its best paths
// exactly as the agent does (one BEST WatchEvent stream, decoded lean). Recorded per round: when
// gobgpd had accepted all (GetPeer, polled every 10 ms), when the last best path reached the
// watcher, and BIRD's time to have all in its kernel, for the same burst.
import { connectGobgp } from "../../../bgp/gobgp/host/connect-gobgp.ts";
import type { GobgpClient } from "../../../bgp/gobgp/client.ts";
import { startGobgpd, killGobgpd } from "../../support/gobgpd.ts";
import type { RoutedCluster } from "../../support/routed-cluster.ts";
import { birdSessionState, type BirdNode } from "./bird-node.ts";
import type { RouteCounter } from "./route-counter.ts";
import { cpuSeconds, sleep, wallMs } from "./util.ts";

export const aloneAddress = "192.0.2.202";
const aloneAsn = 64513;

export interface AloneRound {
  first: "gobgpd" | "bird";
  /** ms from the reset call: gobgpd had accepted every route (after its import policy). */
  acceptedMs: number;
  /** ms from the reset call: the last best path reached the watcher (what the agent would read). */
  lastBestMs: number;
  /** ms from BIRD's reset call: all routes in its kernel. */
  birdAllMs: number;
  /** gobgpd's CPU seconds for the burst. */
  gobgpdCpuS: number;
}

export interface AloneSetup {
  readonly cluster: RoutedCluster;
  readonly src: GobgpClient;
  readonly sourceAddress: string;
  readonly sourceAsn: number;
  readonly exportAll: (on: boolean) => Promise<void>;
  readonly bird: BirdNode;
  readonly birdAddress: string;
  readonly birdCount: RouteCounter;
  /** The prefixes announced, and the import policy's set (the blocks via their owner). */
  readonly prefixes: readonly string[];
}

export async function runGobgpdAlone(s: AloneSetup, rounds: number, say: (line: string) => void): Promise<AloneRound[]> {
  const ns = s.cluster.ns.create();
  s.cluster.plugUnderlay(ns, "alone", aloneAddress);
  const g = await startGobgpd("gobgpd-alone", ns, s.cluster.dir);
  const c = connectGobgp({ address: g.address });
  let best = 0;
  let lastBestAt = 0;
  let watch: { stop(): void } | undefined;
  try {
    await c.startBgp({ asn: aloneAsn, routerId: aloneAddress, listenPort: 179 });
    // The agent's import policy for node-1 (import-policy.ts): the owner's blocks, via the owner.
    await c.addDefinedSet({ type: "prefix", name: "blocks", prefixes: s.prefixes.map((prefix) => ({ prefix })) });
    await c.addPolicy({ name: "petrel-import", statements: [{ name: "petrel-import-owner", conditions: { prefixSet: { name: "blocks", match: "any" }, nextHopInList: [s.sourceAddress] }, action: "accept" }] });
    await c.setPolicyAssignment({ direction: "import", policies: ["petrel-import"], defaultAction: "reject" });
    await c.addPeer({ address: s.sourceAddress, asn: s.sourceAsn, timers: { connectRetry: 5 } });
    await s.src.addPeer({ address: aloneAddress, asn: aloneAsn, timers: { connectRetry: 5 } });
    watch = c.watchRoutes((e) => {
      if (e.type !== "routes") return;
      for (const r of e.routes) {
        if (r.withdrawal) continue;
        best++;
        lastBestAt = wallMs();
      }
    });
    const established = async () => (await s.src.listPeers()).filter((p) => p.state === "Established" && (p.address === aloneAddress || p.address === s.birdAddress)).length === 2 && birdSessionState(s.bird) === "Established";
    for (const t = Date.now(); !(await established()); await sleep(100)) {
      if (Date.now() - t > 90_000) throw new Error("the bare gobgpd's session with the route source did not come up in 90 s");
    }
    await sleep(2000);
    const out: AloneRound[] = [];
    for (let r = 0; r < rounds; r++) {
      const first: AloneRound["first"] = r % 2 === 0 ? "gobgpd" : "bird";
      const order = first === "gobgpd" ? [aloneAddress, s.birdAddress] : [s.birdAddress, aloneAddress];
      best = 0;
      s.birdCount.reset();
      const cpu0 = cpuSeconds(g.proc.pid);
      await s.exportAll(true);
      const resetAt = new Map<string, number>();
      for (const peer of order) {
        resetAt.set(peer, wallMs());
        await s.src.resetPeer(peer, { soft: "out" });
      }
      const t = resetAt.get(aloneAddress) ?? 0;
      let acceptedMs = NaN;
      for (;;) {
        const p = await c.getPeer(s.sourceAddress);
        if (p?.prefixes.accepted === s.prefixes.length) {
          acceptedMs = wallMs() - t;
          break;
        }
        if (wallMs() - t > 120_000) throw new Error(`the bare gobgpd accepted ${p?.prefixes.accepted ?? 0} of ${s.prefixes.length} routes in 120 s`);
        await sleep(10);
      }
      for (; best < s.prefixes.length; await sleep(5)) {
        if (wallMs() - t > 120_000) throw new Error(`the bare gobgpd's watcher saw ${best} of ${s.prefixes.length} best paths in 120 s`);
      }
      const birdAt = await s.birdCount.waitCount(s.prefixes.length, 120_000);
      const round: AloneRound = { first, acceptedMs, lastBestMs: lastBestAt - t, birdAllMs: birdAt - (resetAt.get(s.birdAddress) ?? 0), gobgpdCpuS: cpuSeconds(g.proc.pid) - cpu0 };
      out.push(round);
      say(`  gobgpd alone round ${r} (${first} first): accepted all ${round.acceptedMs.toFixed(0)} ms, last best path ${round.lastBestMs.toFixed(0)} ms; BIRD all in its kernel ${round.birdAllMs.toFixed(0)} ms`);
      await sleep(1000);
      s.birdCount.reset();
      await s.exportAll(false);
      for (const peer of order) await s.src.resetPeer(peer);
      await s.birdCount.waitCount(0, 120_000);
      for (const t1 = Date.now(); !(await established()); await sleep(100)) {
        if (Date.now() - t1 > 90_000) throw new Error("the sessions with the route source did not come back in 90 s");
      }
      await sleep(1000);
    }
    return out;
  } finally {
    watch?.stop();
    c.close();
    await s.src.deletePeer(aloneAddress).catch(() => {});
    await killGobgpd(g);
    s.cluster.ns.remove(ns);
  }
}
