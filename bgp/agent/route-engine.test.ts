import { parseCidr } from "../../common/cidr.ts";
import type { RouteUpdate } from "../gobgp/types.ts";
import { routeBounds } from "./cidr-bounds.ts";
import { RouteEngine, type EngineRefusal } from "./route-engine.ts";
import type { BlockOwner, TrustInputs } from "./route-trust.ts";
import { RecordingLogger } from "./testing/fake-gobgpd.ts";
import { FakeKernel } from "./testing/fake-kernel.ts";
import { ipPool } from "./testing/fixtures.ts";

const addresses: Record<string, string> = { "node-a": "192.0.2.11", "node-b": "192.0.2.12", "node-c": "192.0.2.13" };

function trust(blocks: Record<string, string>, parts: Partial<TrustInputs> = {}): TrustInputs {
  const bounds = routeBounds([ipPool("default", "198.18.0.0/16")], [], Object.entries(addresses));
  return {
    me: "node-a",
    blocks: new Map(Object.entries(blocks).map(([cidr, node]): [string, BlockOwner] => [cidr, { node, pool: "default", cidr: parseCidr(cidr) }])),
    bounds,
    address: (n) => addresses[n],
    learnFrom: new Set(),
    nodeAddresses: new Set(Object.values(addresses)),
    services: new Set(),
    ...parts,
  };
}

const best = (prefix: string, nextHop: string, peer: string | undefined = nextHop): RouteUpdate =>
  ({ family: "ipv4-unicast", prefix, nextHop, peer, withdrawal: false, stale: false, best: true });
const gone = (prefix: string): RouteUpdate => ({ family: "ipv4-unicast", prefix, nextHop: "", peer: "192.0.2.12", withdrawal: true, stale: false, best: false });

let now: number;
let kernel: FakeKernel;
let refusals: Map<string, EngineRefusal>;
let engine: RouteEngine;

beforeEach(() => {
  now = 1_000_000;
  kernel = new FakeKernel();
  refusals = new Map();
  engine = new RouteEngine(kernel, new RecordingLogger(), {
    now: () => now,
    onRefusal: (p, r) => (r === undefined ? refusals.delete(p) : refusals.set(p, r)),
  });
});

const blocks = { "198.18.0.0/26": "node-a", "198.18.0.64/26": "node-b", "198.18.0.128/26": "node-c" };

describe("RouteEngine", () => {
  it("holds every route, removing none and adding none, until it can verify them", async () => {
    kernel.petrel.set("198.18.0.64/26", { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" });
    kernel.petrel.set("198.18.9.0/26", { prefix: "198.18.9.0/26", kind: "via", gateway: "192.0.2.99" });
    engine.onBestPaths([best("198.18.0.128/26", "192.0.2.13")]);
    expect(await engine.pass()).toEqual({ clean: true, changed: 0 });
    expect(engine.verified).toBe(false);
    expect(engine.kernelRoutes).toBe(2);
    expect(kernel.applied).toEqual([]);
    // Verified: the new route goes in, the unknown one out (not settling here).
    engine.setTrust(trust(blocks));
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.128/26": "192.0.2.13" });
  });

  it("programs only the prefixes an event carries, adding new routes and replacing only its own", async () => {
    engine.setTrust(trust(blocks));
    engine.setOwnBlocks(new Set(["198.18.0.0/26"]));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12"), best("198.18.0.128/26", "192.0.2.13")]);
    await engine.pass();
    expect(kernel.applied.at(-1)).toEqual([
      { op: "add", route: { prefix: "198.18.0.0/26", kind: "blackhole" } },
      { op: "add", route: { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" } },
      { op: "add", route: { prefix: "198.18.0.128/26", kind: "via", gateway: "192.0.2.13" } },
    ]);
    // A learn-from peer takes over one block: one change, a replace.
    engine.setTrust(trust(blocks, { learnFrom: new Set(["192.0.2.254"]) }));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.254")]);
    await engine.pass();
    expect(kernel.applied.at(-1)).toEqual([{ op: "replace", route: { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.254" } }]);
    engine.onBestPaths([gone("198.18.0.128/26")]);
    await engine.pass();
    expect(kernel.applied.at(-1)).toEqual([{ op: "remove", prefix: "198.18.0.128/26" }]);
    expect(kernel.table()).toEqual({ "198.18.0.0/26": "blackhole", "198.18.0.64/26": "192.0.2.254" });
  });

  it("refuses what route trust refuses, and reports it, and takes the refusal back when it is resolved", async () => {
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.250"), best("198.18.0.70/32", "192.0.2.12"), best("0.0.0.0/0", "192.0.2.250")]);
    await engine.pass();
    expect(kernel.table()).toEqual({});
    expect([...refusals.values()].map((r) => [r.prefix, r.reason, r.peer]).sort()).toEqual([
      ["0.0.0.0/0", "default_route", "192.0.2.250"],
      ["198.18.0.64/26", "wrong_next_hop", "192.0.2.250"],
      ["198.18.0.70/32", "longer_than_block", "192.0.2.12"],
    ]);
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12"), gone("0.0.0.0/0")]);
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12" });
    expect([...refusals.keys()]).toEqual(["198.18.0.70/32"]);
  });

  it("a new block is re-checked on its own: the route that waited for it goes in", async () => {
    const t = trust({ "198.18.0.64/26": "node-b" });
    engine.setTrust(t);
    engine.onBestPaths([best("198.18.0.128/26", "192.0.2.13")]);
    await engine.pass();
    expect(refusals.get("198.18.0.128/26")?.reason).toBe("unknown_block");
    (t.blocks as Map<string, BlockOwner>).set("198.18.0.128/26", { node: "node-c", pool: "default", cidr: parseCidr("198.18.0.128/26") });
    engine.recheck(["198.18.0.128/26"]);
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.128/26": "192.0.2.13" });
    expect(refusals.size).toBe(0);
  });

  it("never takes over a route of another protocol: the kernel's EEXIST becomes a refusal", async () => {
    kernel.foreign.set("198.18.0.64/26", "198.18.0.64/26 dev eth1 proto static");
    engine.setTrust(trust(blocks));
    await engine.relist();
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
    await engine.pass();
    expect(kernel.applied).toEqual([]);
    expect(refusals.get("198.18.0.64/26")?.reason).toBe("kernel_route_exists");
    // One that appears after the listing: the add fails, the kernel is listed again at once, the
    // other route is found, and the announcement is refused; nothing is replaced.
    kernel.foreign.set("198.18.0.128/26", "198.18.0.128/26 dev eth2");
    engine.onBestPaths([best("198.18.0.128/26", "192.0.2.13")]);
    expect((await engine.pass()).wakeAfterMs).toBe(10);
    expect(kernel.applied.at(-1)).toEqual([{ op: "add", route: { prefix: "198.18.0.128/26", kind: "via", gateway: "192.0.2.13" } }]);
    await engine.pass();
    expect(refusals.get("198.18.0.128/26")?.reason).toBe("kernel_route_exists");
    engine.onBestPaths([best("198.18.0.128/26", "192.0.2.13", "192.0.2.14")]);
    await engine.pass();
    expect(kernel.clobbered).toEqual([]);
    expect(kernel.table()).toEqual({});
  });

  it("an add refused because Petrel's own route is there (the cache was behind) adopts that route", async () => {
    engine.setTrust(trust(blocks));
    await engine.relist();
    kernel.petrel.set("198.18.0.64/26", { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.99" });
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
    await engine.pass();
    await engine.pass();
    expect(kernel.applied.at(-1)).toEqual([{ op: "replace", route: { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" } }]);
    expect(refusals.size).toBe(0);
  });

  it("settles: while BGP settles routes come and change but none goes, then the stale ones go", async () => {
    kernel.petrel.set("198.18.0.64/26", { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" });
    kernel.petrel.set("198.18.0.128/26", { prefix: "198.18.0.128/26", kind: "via", gateway: "192.0.2.13" });
    engine.settle(30_000);
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
    const first = await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12", "198.18.0.128/26": "192.0.2.13" });
    expect(first.wakeAfterMs).toBe(30_000);
    now += 30_000;
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12" });
  });

  it("retries a failed change, and lists the kernel again after a batch that failed as a whole", async () => {
    engine.setTrust(trust(blocks));
    kernel.failOnce.add("198.18.0.64/26");
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12"), best("198.18.0.128/26", "192.0.2.13")]);
    const r = await engine.pass();
    expect(r.clean).toBe(false);
    expect(r.wakeAfterMs).toBe(1000);
    expect(kernel.table()).toEqual({ "198.18.0.128/26": "192.0.2.13" });
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12", "198.18.0.128/26": "192.0.2.13" });
    const lists = kernel.lists;
    kernel.broken = true;
    engine.onBestPaths([gone("198.18.0.64/26")]);
    expect((await engine.pass()).clean).toBe(false);
    kernel.broken = false;
    await engine.pass();
    expect(kernel.lists).toBe(lists + 1);
    expect(kernel.table()).toEqual({ "198.18.0.128/26": "192.0.2.13" });
  });

  it("a full comparison repairs drift: a route deleted by hand comes back, one added by hand with Petrel's tag goes", async () => {
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
    await engine.pass();
    kernel.petrel.delete("198.18.0.64/26");
    kernel.petrel.set("198.18.7.0/26", { prefix: "198.18.7.0/26", kind: "via", gateway: "192.0.2.12" });
    await engine.pass();
    expect(kernel.applied).toHaveLength(1); // nothing dirty, nothing done
    await engine.relist();
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12" });
  });

  it("removes nothing while gobgpd's stream is down", async () => {
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
    await engine.pass();
    engine.setConnected(false);
    engine.onBestPaths([gone("198.18.0.64/26")]);
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12" });
    engine.setConnected(true);
    await engine.pass();
    expect(kernel.table()).toEqual({});
  });

  it("keeps routes that gobgpd withdrew because it lost the peer (StopBgp), follows other withdrawals", async () => {
    const lost = new Set(["192.0.2.12"]);
    const asked: string[][] = [];
    engine = new RouteEngine(kernel, new RecordingLogger(), {
      now: () => now,
      keepWithdrawn: async (peers) => {
        asked.push([...peers]);
        return new Set(peers.filter((p) => lost.has(p)));
      },
      keepWithdrawnMs: 10_000,
    });
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12"), best("198.18.0.128/26", "192.0.2.13")]);
    await engine.pass();
    engine.onBestPaths([gone("198.18.0.64/26"), { ...gone("198.18.0.128/26"), peer: "192.0.2.13" }]);
    const r = await engine.pass();
    expect(asked).toEqual([["192.0.2.12", "192.0.2.13"]]);
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12" });
    expect(r.wakeAfterMs).toBe(10_000);
    // The peer's route comes back: nothing to do. Or the hold ends: it goes.
    now += 10_000;
    await engine.pass();
    expect(kernel.table()).toEqual({});
  });

  it("a node's own block is a blackhole, whatever a peer announces for it", async () => {
    engine.setTrust(trust(blocks));
    engine.setOwnBlocks(new Set(["198.18.0.0/26"]));
    engine.onBestPaths([best("198.18.0.0/26", "192.0.2.12")]);
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.0/26": "blackhole" });
    engine.setOwnBlocks(new Set());
    await engine.pass();
    expect(kernel.table()).toEqual({});
  });
  it("keeps the changes that arrive while it asks whether to keep withdrawn routes (bench:routes: 517 routes left after a withdrawal)", async () => {
    // gobgpd withdraws a peer's 10,000 paths in many stream messages. The first ones start a
    // pass whose keepWithdrawn question is a gRPC call (ListPeer); the messages read meanwhile
    // mark their prefixes dirty, and the pass must not forget them when it goes on.
    const during: RouteUpdate[][] = [];
    engine = new RouteEngine(kernel, new RecordingLogger(), {
      now: () => now,
      keepWithdrawn: async () => {
        await new Promise((r) => setTimeout(r, 1)); // the call is in flight: events arrive
        for (const updates of during.splice(0)) engine.onBestPaths(updates);
        return new Set(); // gobgpd still has the peer: its withdrawals are followed
      },
    });
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12"), best("198.18.0.128/26", "192.0.2.13")]);
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12", "198.18.0.128/26": "192.0.2.13" });
    engine.onBestPaths([gone("198.18.0.64/26")]);
    during.push([{ ...gone("198.18.0.128/26"), peer: "192.0.2.13" }]);
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.128/26": "192.0.2.13" });
    expect(engine.pending).toBe(1); // the withdrawal that came during the pass waits for the next
    await engine.pass();
    expect(kernel.table()).toEqual({});
    expect(engine.pending).toBe(0);
  });
  it("does not remove a route announced again while it asks whether to keep it", async () => {
    let back = false;
    engine = new RouteEngine(kernel, new RecordingLogger(), {
      now: () => now,
      keepWithdrawn: async () => {
        await new Promise((r) => setTimeout(r, 1));
        if (back) engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
        return new Set();
      },
    });
    engine.setTrust(trust(blocks));
    engine.onBestPaths([best("198.18.0.64/26", "192.0.2.12")]);
    await engine.pass();
    engine.onBestPaths([gone("198.18.0.64/26")]);
    back = true;
    await engine.pass();
    await engine.pass();
    expect(kernel.table()).toEqual({ "198.18.0.64/26": "192.0.2.12" });
    expect(kernel.applied.flat().filter((c) => c.op === "remove")).toEqual([]);
  });
});
