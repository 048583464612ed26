// plan(): PetrelNodes, departed nodes, first blocks, exhaustion, demand.
import type { LabelSelectorRequirement } from "../../common/api/index.ts";
import { blockNameOf } from "../../common/block-name.ts";
import { parseCidr } from "../../common/cidr.ts";
import { block, cluster, createdBlocks, fail, minute, node, ofKind, petrelNode, planAt, plannedStatus, pool, t0, poolA, blocksOfPoolA, hashedBlockOfPoolA } from "./testing/fixtures.ts";

describe("plan: PetrelNodes and departed nodes", () => {
  it("creates a PetrelNode for each Node without one, and only for those", () => {
    const a = node("node-a");
    const b = node("node-b", { rack: "r1" });
    const p = planAt(cluster({ nodes: [a, b], petrelNodes: [petrelNode("node-a")] }));
    expect(ofKind(p.actions, "createPetrelNode")).toEqual([{ kind: "createPetrelNode", node: b }]);
  });

  describe("a departed node", () => {
    // node-x is gone: its PetrelNode, an active block and a draining (unacknowledged) block are left behind.
    const gone = (heartbeat?: number) => cluster({
      nodes: [node("node-a")],
      pools: [poolA()],
      petrelNodes: [petrelNode("node-a"), petrelNode("node-x", heartbeat)],
      blocks: [
        block("198.18.0.0/26", "pool-a", "node-a", { allocated: 1 }),
        block("198.18.0.64/26", "pool-a", "node-x", { allocated: 3 }),
        block("198.18.0.128/26", "pool-a", "node-x", { draining: true, generation: 2 }),
      ],
    });
    const writes = (p: ReturnType<typeof planAt>) => [
      ...ofKind(p.actions, "drainBlock").map((a) => `drain ${a.name}`),
      ...ofKind(p.actions, "deleteBlock").map((a) => `delete ${a.name}${a.abandoned === true ? " (abandoned)" : ""} uid=${a.uid ?? "?"}`),
      ...ofKind(p.actions, "deletePetrelNode").map((a) => `delete PetrelNode ${a.name} uid=${a.uid ?? "?"}`),
    ];

    it("drains its blocks after the node grace period, then abandons the undrained ones once its agent has stopped reporting too", () => {
      const first = planAt(gone(), { now: t0 });
      expect(writes(first)).toEqual([]);
      expect(first.wakeAfterMs).toBe(5 * minute);
      const almost = planAt(gone(), { now: t0 + 5 * minute - 1, since: first.since });
      expect(writes(almost)).toEqual([]);
      expect(almost.wakeAfterMs).toBe(1);
      const due = planAt(gone(), { now: t0 + 5 * minute, since: almost.since });
      expect(writes(due)).toEqual([
        "drain 198-18-0-64-26",
        "delete 198-18-0-128-26 (abandoned) uid=uid-198-18-0-128-26",
      ]);
      // The PetrelNode stays while the node holds blocks; the present node is untouched.
      expect(ofKind(due.actions, "deleteBlock").some((a) => a.node === "node-a")).toBe(false);
    });

    it("keeps undrained blocks while its agent still heartbeats, and deletes only what the agent drained", () => {
      const p1 = planAt(gone(t0), { now: t0 });
      const p2 = planAt(gone(t0 + 4 * minute), { now: t0 + 5 * minute, since: p1.since });
      expect(writes(p2)).toEqual(["drain 198-18-0-64-26"]);
      const p3 = planAt(gone(t0 + 9 * minute), { now: t0 + 10 * minute, since: p2.since });
      expect(writes(p3)).toEqual(["drain 198-18-0-64-26"]);
      // The agent acknowledges both drains; one block still has addresses in use, the other none.
      const acked = cluster({
        ...gone(t0 + 10 * minute),
        blocks: [
          block("198.18.0.64/26", "pool-a", "node-x", { allocated: 3, draining: true, generation: 2, observedGeneration: 2 }),
          block("198.18.0.128/26", "pool-a", "node-x", { allocated: 0, draining: true, generation: 2, observedGeneration: 2 }),
        ],
      });
      const p4 = planAt(acked, { now: t0 + 11 * minute, since: p3.since });
      expect(writes(p4)).toEqual(["delete 198-18-0-128-26 uid=uid-198-18-0-128-26"]);
    });

    it("starts the clock again without the since map of the earlier pass", () => {
      expect(writes(planAt(gone(), { now: t0 }))).toEqual([]);
      expect(writes(planAt(gone(), { now: t0 + 6 * minute }))).toEqual([]);
    });

    it("restarts the clock when the node comes back in between", () => {
      const back = cluster({ ...gone(), nodes: [...gone().nodes, node("node-x")] });
      const p1 = planAt(gone(), { now: t0 });
      const p2 = planAt(back, { now: t0 + 4 * minute, since: p1.since });
      expect(ofKind(p2.actions, "deleteBlock")).toEqual([]);
      const p3 = planAt(gone(), { now: t0 + 6 * minute, since: p2.since });
      expect(writes(p3)).toEqual([]);
      expect(p3.wakeAfterMs).toBe(5 * minute);
      const p4 = planAt(gone(), { now: t0 + 11 * minute - 1, since: p3.since });
      expect(writes(p4)).toEqual([]);
      const p5 = planAt(gone(), { now: t0 + 11 * minute, since: p4.since });
      expect(writes(p5)).toHaveLength(2);
    });

    it("deletes a PetrelNode with no blocks once its heartbeat has stopped for the grace period", () => {
      const state = cluster({ nodes: [], petrelNodes: [petrelNode("node-y")] });
      const p1 = planAt(state, { now: t0 });
      expect(ofKind(p1.actions, "deletePetrelNode")).toEqual([]);
      const p2 = planAt(state, { now: t0 + 5 * minute, since: p1.since });
      expect(writes(p2)).toEqual(["delete PetrelNode node-y uid=uid-pn-node-y"]);
    });

    it("keeps a PetrelNode whose agent still heartbeats, even with its Node gone", () => {
      const at = (beat: number) => cluster({ nodes: [], petrelNodes: [petrelNode("node-y", beat)] });
      const p1 = planAt(at(t0), { now: t0 });
      const p2 = planAt(at(t0 + 3 * minute), { now: t0 + 5 * minute, since: p1.since });
      expect(ofKind(p2.actions, "deletePetrelNode")).toEqual([]);
      const p3 = planAt(at(t0 + 3 * minute), { now: t0 + 10 * minute, since: p2.since });
      expect(writes(p3)).toEqual(["delete PetrelNode node-y uid=uid-pn-node-y"]);
    });
  });

});

describe("plan: a node's first block in each pool", () => {
  it("creates one aligned block per matching pool, named after its CIDR, at the node's hashed index", () => {
    const poolB = pool("pool-b", "198.18.1.0/24", { blockSize: 26 });
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [poolA(), poolB] }));
    const creates = ofKind(p.actions, "createBlock");
    expect(creates.map((c) => c.block.pool).sort()).toEqual(["pool-a", "pool-b"]);
    const a = creates.find((c) => c.block.pool === "pool-a") ?? fail("no block of pool-a");
    expect(a.block).toEqual({ name: blockNameOf(parseCidr(a.block.cidr)), cidr: hashedBlockOfPoolA("node-a"), pool: "pool-a", node: "node-a" });
    const b = creates.find((c) => c.block.pool === "pool-b") ?? fail("no block of pool-b");
    expect(["198.18.1.0/26", "198.18.1.64/26", "198.18.1.128/26", "198.18.1.192/26"]).toContain(b.block.cidr);
    expect(b.block.name).toBe(blockNameOf(parseCidr(b.block.cidr)));
  });

  it("creates nothing for a node that already has an active block of the pool", () => {
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [poolA()], blocks: [block("198.18.0.64/26", "pool-a", "node-a", { allocated: 0 })] }));
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
  });

  it("uses the family default block size: /26 for IPv4", () => {
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [pool("pool-a", "198.18.0.0/24")] }));
    const [create] = ofKind(p.actions, "createBlock");
    expect(create?.block.cidr).toMatch(/^198\.18\.0\.\d+\/26$/);
    expect(plannedStatus(p, "pool-a").blockSize).toBe(26);
  });

  it("cuts IPv6 pools too: 2001:db8::/120 with blockSize 122", () => {
    // FNV-1a("pool-v6/node-a") % 4 is 1: the second block.
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [pool("pool-v6", "2001:db8::/120", { blockSize: 122 })] }));
    expect(ofKind(p.actions, "createBlock").map((a) => a.block)).toEqual([
      { name: "2001-db8--40-122", cidr: "2001:db8::40/122", pool: "pool-v6", node: "node-a" },
    ]);
    expect(plannedStatus(p, "pool-v6").blockSize).toBe(122);
  });

  it("cuts a block from a large IPv6 pool (2^74 blocks) at once", () => {
    const p = planAt(cluster({ nodes: [node("node-a"), node("node-b")], pools: [pool("pool-v6", "2001:db8::/48")] }));
    const cidrs = ofKind(p.actions, "createBlock").map((a) => a.block.cidr);
    expect(cidrs).toHaveLength(2);
    expect(new Set(cidrs).size).toBe(2);
    for (const c of cidrs) expect(c).toMatch(/^2001:db8:[0-9a-f:]+\/122$/);
    expect(plannedStatus(p, "pool-v6").blockSize).toBe(122);
  });

  it("uses the family default block size: /122 for IPv6", () => {
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [pool("pool-v6", "2001:db8::/120")] }));
    expect(ofKind(p.actions, "createBlock").map((a) => a.block.cidr)).toEqual(["2001:db8::40/122"]);
  });

  it("never gives two nodes the same block in one plan", () => {
    const p = planAt(cluster({ nodes: ["node-a", "node-b", "node-c", "node-d"].map((n) => node(n)), pools: [poolA()] }));
    const cidrs = ofKind(p.actions, "createBlock").map((a) => a.block.cidr);
    expect([...cidrs].sort()).toEqual([...blocksOfPoolA].sort());
  });

  it("gives the second of two nodes whose hashes collide the next block", () => {
    expect(hashedBlockOfPoolA("node-e")).toBe(hashedBlockOfPoolA("node-a")); // precondition of the test
    const p = planAt(cluster({ nodes: [node("node-e"), node("node-a")], pools: [poolA()] }));
    expect(createdBlocks(p.actions)).toEqual([`node-a ${hashedBlockOfPoolA("node-a")}`, `node-e ${hashedBlockOfPoolA("node-a", 1n)}`]);
  });

  it("skips a block that another node already holds", () => {
    const taken = block(hashedBlockOfPoolA("node-a"), "pool-a", "node-b", { allocated: 2 });
    const p = planAt(cluster({ nodes: [node("node-a"), node("node-b")], pools: [poolA()], blocks: [taken] }));
    expect(createdBlocks(p.actions)).toEqual([`node-a ${hashedBlockOfPoolA("node-a", 1n)}`]);
  });

  describe("nodeSelector", () => {
    it("matchLabels: only labelled nodes get a block", () => {
      const p = planAt(cluster({
        nodes: [node("node-a", { rack: "r1" }), node("node-b", { rack: "r2" }), node("node-c")],
        pools: [pool("pool-a", "198.18.0.0/24", { nodeSelector: { matchLabels: { rack: "r1" } } })],
      }));
      expect(ofKind(p.actions, "createBlock").map((a) => a.block.node)).toEqual(["node-a"]);
    });

    const expr = (operator: LabelSelectorRequirement["operator"], values?: string[]): LabelSelectorRequirement => ({
      key: "zone", operator, ...(values === undefined ? {} : { values }),
    });
    it.each([
      ["In", expr("In", ["z1", "z2"]), ["node-z1"]],
      ["NotIn", expr("NotIn", ["z1"]), ["node-none", "node-z3"]],
      ["Exists", expr("Exists"), ["node-z1", "node-z3"]],
      ["DoesNotExist", expr("DoesNotExist"), ["node-none"]],
    ])("matchExpressions %s", (_name, requirement, expected) => {
      const p = planAt(cluster({
        nodes: [node("node-z1", { zone: "z1" }), node("node-z3", { zone: "z3" }), node("node-none")],
        pools: [pool("pool-a", "198.18.0.0/24", { nodeSelector: { matchExpressions: [requirement] } })],
      }));
      expect(ofKind(p.actions, "createBlock").map((a) => a.block.node)).toEqual(expected);
    });
  });

  it.each([
    ["a disabled pool", pool("pool-a", "198.18.0.0/24", { disabled: true })],
    ["a pool being deleted", pool("pool-a", "198.18.0.0/24", { deletedAt: "2026-02-28T00:00:00Z" })],
    ["a pool with a block size that does not fit", pool("pool-a", "198.18.0.0/24", { blockSize: 33 })],
    ["a pool with a block larger than the pool", pool("pool-a", "198.18.0.0/24", { blockSize: 22 })],
    ["a pool whose CIDR has host bits set", pool("pool-a", "198.18.0.1/24")],
  ])("cuts no block from %s", (_name, closed) => {
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [closed] }));
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
  });

  it("cuts no block from the newer of two overlapping pools (by creationTimestamp)", () => {
    const older = pool("pool-z", "198.18.0.0/24", { createdAt: "2026-01-01T00:00:00Z" });
    const newer = pool("pool-a", "198.18.0.0/25", { createdAt: "2026-01-02T00:00:00Z" });
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [newer, older] }));
    expect(ofKind(p.actions, "createBlock").map((a) => a.block.pool)).toEqual(["pool-z"]);
  });

  it("cuts no block from the later name of two overlapping pools created at the same time", () => {
    const b = pool("pool-b", "198.18.0.0/24", { createdAt: "2026-01-01T00:00:00Z" });
    const a = pool("pool-a", "198.18.0.0/25", { createdAt: "2026-01-01T00:00:00Z" });
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [b, a] }));
    expect(ofKind(p.actions, "createBlock").map((x) => x.block.pool)).toEqual(["pool-a"]);
  });

  it("keeps clear of a foreign block of another pool that overlaps the pool's range", () => {
    // A left-over /25 of a pool that is gone covers the first two /26 blocks of pool-a.
    const foreign = block("198.18.0.0/25", "pool-gone", "node-b", { allocated: 1 });
    const p = planAt(cluster({ nodes: [node("node-a"), node("node-b")], pools: [poolA()], blocks: [foreign] }));
    // Both nodes need a pool-a block; only the upper half is free.
    expect(ofKind(p.actions, "createBlock").map((a) => a.block.cidr).sort()).toEqual(["198.18.0.128/26", "198.18.0.192/26"]);
  });
});

describe("plan: exhaustion", () => {
  // Four nodes hold the four blocks of pool-a; node-e joins.
  const full = cluster({
    nodes: ["node-a", "node-b", "node-c", "node-d", "node-e"].map((n) => node(n)),
    pools: [poolA()],
    blocks: ["node-a", "node-b", "node-c", "node-d"].map((n, i) => block(blocksOfPoolA[i] ?? fail("index"), "pool-a", n, { allocated: 1 })),
  });

  it("gives the extra node no block and says so in an Exhausted=True condition naming it", () => {
    const p = planAt(full);
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
    const exhausted = plannedStatus(p, "pool-a").conditions?.find((c) => c.type === "Exhausted");
    expect(exhausted).toMatchObject({ status: "True", reason: "NoFreeBlocks" });
    expect(exhausted?.message).toContain("node-e");
    expect(exhausted?.message).toContain("1 node(s) wait");
  });

  it("emits a Warning event when Exhausted turns True", () => {
    const p = planAt(full);
    expect(ofKind(p.actions, "event")).toEqual([{
      kind: "event",
      subject: { kind: "IPPool", name: "pool-a", uid: "uid-pool-a" },
      type: "Warning",
      reason: "Exhausted",
      message: expect.stringContaining("node-e"),
    }]);
  });

  it("does not emit the event again when the pool's status already says Exhausted=True", () => {
    const before = plannedStatus(planAt(full), "pool-a");
    // A status that is stale in another field, so that a write does happen.
    const state = cluster({ ...full, pools: [pool("pool-a", "198.18.0.0/24", { blockSize: 26, status: { ...before, usedAddresses: 99 } })] });
    const p = planAt(state, { now: t0 + minute });
    expect(ofKind(p.actions, "updatePoolStatus")).toHaveLength(1);
    expect(ofKind(p.actions, "event")).toEqual([]);
  });

  it("says Exhausted=False with the count while blocks are free", () => {
    const state = cluster({ ...full, nodes: full.nodes.slice(0, 3), blocks: full.blocks.slice(0, 3) });
    const exhausted = plannedStatus(planAt(state), "pool-a").conditions?.find((c) => c.type === "Exhausted");
    expect(exhausted).toMatchObject({ status: "False", reason: "FreeBlocks", message: "1 free block(s)" });
  });

  // Regression (was a bug, fixed): the status is computed from the blocks that existed before the plan, not counting the
  // blocks the same plan creates. Five new nodes on a fresh 4-block pool: four get a block, node-e
  // waits, yet the status written in that pass says Exhausted=False, "4 free block(s)", and does
  // not name node-e (no Warning event either). It only corrects itself on a later pass.
  test("reports Exhausted=True naming the waiting node in the same pass that uses up the pool", () => {
    const fresh = cluster({ nodes: ["node-a", "node-b", "node-c", "node-d", "node-e"].map((n) => node(n)), pools: [poolA()] });
    const p = planAt(fresh);
    expect(ofKind(p.actions, "createBlock")).toHaveLength(4);
    expect(ofKind(p.actions, "createBlock").some((a) => a.block.node === "node-e")).toBe(false);
    const exhausted = plannedStatus(p, "pool-a").conditions?.find((c) => c.type === "Exhausted");
    expect(exhausted).toMatchObject({ status: "True", message: expect.stringContaining("node-e") });
    expect(p.waiting).toEqual([{ pool: "pool-a", node: "node-e" }]);
  });

  // Regression (was a bug, fixed; same root: Exhausted is computed from blockCount minus the pool's own blocks, not from
  // whether a node had to wait): a left-over /24 block of a deleted pool covers all of pool-a,
  // so node-a waits for as long as that block exists, while pool-a's status says
  // Exhausted=False, "4 free block(s)", names no waiting node, and no event is ever emitted.
  test("reports a node that waits because foreign blocks cover the rest of the pool", () => {
    const covered = cluster({ nodes: [node("node-a")], pools: [poolA()], blocks: [block("198.18.0.0/24", "pool-gone", "node-z", { allocated: 1 })] });
    const p = planAt(covered);
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
    const exhausted = plannedStatus(p, "pool-a").conditions?.find((c) => c.type === "Exhausted");
    expect(exhausted).toMatchObject({ status: "True", message: expect.stringContaining("node-a") });
    expect(p.waiting).toEqual([{ pool: "pool-a", node: "node-a" }]);
  });
});

describe("plan: more blocks on demand (high-water mark)", () => {
  const withBlocks = (...blocks: ReturnType<typeof block>[]) => cluster({ nodes: [node("node-a")], pools: [poolA()], blocks });

  it("gives a node at or above the high-water mark another, different block", () => {
    // 52 of 64 is 81%, above 80%.
    const p = planAt(withBlocks(block("198.18.0.0/26", "pool-a", "node-a", { allocated: 52 })));
    const creates = ofKind(p.actions, "createBlock");
    expect(creates).toHaveLength(1);
    expect(creates[0]?.block).toMatchObject({ pool: "pool-a", node: "node-a" });
    expect(creates[0]?.block.cidr).not.toBe("198.18.0.0/26");
  });

  it("counts usage at exactly the high-water mark as full", () => {
    // 40 of 50 is exactly 80%.
    const p = planAt(withBlocks(block("198.18.0.0/26", "pool-a", "node-a", { allocated: 40, capacity: 50 })));
    expect(ofKind(p.actions, "createBlock")).toHaveLength(1);
  });

  it("gives nothing below the high-water mark", () => {
    // 51 of 64 is 79.7%.
    const p = planAt(withBlocks(block("198.18.0.0/26", "pool-a", "node-a", { allocated: 51 })));
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
  });

  it("uses the capacity the agent reports", () => {
    // 40 of 48 is 83%; against the block size (64) it would be 62%.
    const p = planAt(withBlocks(block("198.18.0.0/26", "pool-a", "node-a", { allocated: 40, capacity: 48 })));
    expect(ofKind(p.actions, "createBlock")).toHaveLength(1);
  });

  it("counts a block without status as the block size, nothing allocated", () => {
    // 60 of 64 + 0 of 64 is 47%: no new block (60 of 64 alone would be 94%).
    const p = planAt(withBlocks(
      block("198.18.0.0/26", "pool-a", "node-a", { allocated: 60 }),
      block("198.18.0.64/26", "pool-a", "node-a"),
    ));
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
  });

  it("does not count draining blocks", () => {
    // Active: 48 of 64 (75%). With the full draining block it would be 112 of 128 (87.5%).
    const p = planAt(withBlocks(
      block("198.18.0.0/26", "pool-a", "node-a", { allocated: 48 }),
      block("198.18.0.64/26", "pool-a", "node-a", { allocated: 64, draining: true, generation: 2, observedGeneration: 1 }),
    ));
    expect(ofKind(p.actions, "createBlock")).toEqual([]);
  });

  it("gives a node whose only block is draining a new one", () => {
    const p = planAt(withBlocks(block("198.18.0.0/26", "pool-a", "node-a", { allocated: 3, draining: true, generation: 2, observedGeneration: 2 })));
    expect(createdBlocks(p.actions)).toHaveLength(1);
    expect(createdBlocks(p.actions)[0]).not.toBe("node-a 198.18.0.0/26");
  });
});
