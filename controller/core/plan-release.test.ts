// plan(): giving blocks back (hysteresis, drains) and pool lifecycle (finalizer, deletion).
import { poolFinalizer } from "./cluster-state.ts";
import { block, cluster, minute, node, ofKind, planAt, plannedStatus, pool, t0, withSettledStatus, poolA } from "./testing/fixtures.ts";

describe("plan: giving back empty extra blocks (hysteresis)", () => {
  const grace = 10 * minute;
  const twoBlocks = (oldAllocated: number, newBlock: Parameters<typeof block>[3] = { allocated: 0 }) => withSettledStatus(cluster({
    nodes: [node("node-a")],
    pools: [poolA()],
    blocks: [
      block("198.18.0.0/26", "pool-a", "node-a", { allocated: oldAllocated, createdAt: "2026-02-01T00:00:00Z" }),
      block("198.18.0.64/26", "pool-a", "node-a", { ...newBlock, createdAt: "2026-02-02T00:00:00Z" }),
    ],
  }));
  const drained = (p: ReturnType<typeof planAt>) => ofKind(p.actions, "drainBlock").map((a) => a.name);

  it("drains the empty extra block only after it stayed so for the release grace period", () => {
    const state = twoBlocks(10);
    const p1 = planAt(state, { now: t0 });
    expect(drained(p1)).toEqual([]);
    expect(p1.wakeAfterMs).toBe(grace);
    const p2 = planAt(state, { now: t0 + grace - 1, since: p1.since });
    expect(drained(p2)).toEqual([]);
    const p3 = planAt(state, { now: t0 + grace, since: p2.since });
    expect(ofKind(p3.actions, "drainBlock")).toEqual([{ kind: "drainBlock", name: "198-18-0-64-26", node: "node-a", reason: expect.any(String) }]);
  });

  it("needs the since map: without it the grace period starts again", () => {
    const state = twoBlocks(10);
    planAt(state, { now: t0 });
    expect(drained(planAt(state, { now: t0 + 2 * grace }))).toEqual([]);
  });

  it("drains only while usage without the block stays below the low-water mark", () => {
    // Without the empty block: 31 of 64 (48%) is below 50%; 32 of 64 is not.
    for (const [allocated, expected] of [[31, ["198-18-0-64-26"]], [32, []]] as const) {
      const state = twoBlocks(allocated);
      const p1 = planAt(state, { now: t0 });
      const p2 = planAt(state, { now: t0 + grace, since: p1.since });
      expect(drained(p2)).toEqual(expected);
    }
  });

  it("restarts the grace period when usage rises above the low-water mark in between", () => {
    const p1 = planAt(twoBlocks(10), { now: t0 });
    const p2 = planAt(twoBlocks(40), { now: t0 + grace / 2, since: p1.since });
    const p3 = planAt(twoBlocks(10), { now: t0 + grace, since: p2.since });
    expect(drained(p3)).toEqual([]);
    const p4 = planAt(twoBlocks(10), { now: t0 + 2 * grace - 1, since: p3.since });
    expect(drained(p4)).toEqual([]);
    const p5 = planAt(twoBlocks(10), { now: t0 + 2 * grace, since: p4.since });
    expect(drained(p5)).toEqual(["198-18-0-64-26"]);
  });

  it("drains the newest of several empty blocks", () => {
    const state = withSettledStatus(cluster({
      nodes: [node("node-a")],
      pools: [poolA()],
      blocks: [
        block("198.18.0.0/26", "pool-a", "node-a", { allocated: 10, createdAt: "2026-02-01T00:00:00Z" }),
        block("198.18.0.192/26", "pool-a", "node-a", { allocated: 0, createdAt: "2026-02-02T00:00:00Z" }),
        block("198.18.0.64/26", "pool-a", "node-a", { allocated: 0, createdAt: "2026-02-03T00:00:00Z" }),
      ],
    }));
    const p1 = planAt(state, { now: t0 });
    const p2 = planAt(state, { now: t0 + grace, since: p1.since });
    expect(drained(p2)).toEqual(["198-18-0-64-26"]);
  });

  it("never drains a node's only block", () => {
    const state = cluster({ nodes: [node("node-a")], pools: [poolA()], blocks: [block("198.18.0.0/26", "pool-a", "node-a", { allocated: 0 })] });
    const p1 = planAt(state, { now: t0 });
    const p2 = planAt(state, { now: t0 + 10 * grace, since: p1.since });
    expect(drained(p2)).toEqual([]);
  });

  it("does not drain a block whose agent has not reported yet (no status)", () => {
    const state = twoBlocks(10, {});
    const p1 = planAt(state, { now: t0 });
    const p2 = planAt(state, { now: t0 + grace, since: p1.since });
    expect(drained(p2)).toEqual([]);
  });
});

describe("plan: draining blocks", () => {
  it.each([
    ["not yet acknowledged by the agent", { observedGeneration: 1, allocated: 0 }, false],
    ["acknowledged but still holding addresses", { observedGeneration: 2, allocated: 1 }, false],
    ["without status", {}, false],
    ["acknowledged and empty", { observedGeneration: 2, allocated: 0 }, true],
    ["acknowledged for a later generation and empty", { observedGeneration: 3, allocated: 0 }, true],
  ])("a draining block %s: deleted = %p", (_name, status, deleted) => {
    const state = cluster({
      nodes: [node("node-a")],
      pools: [poolA()],
      blocks: [
        block("198.18.0.0/26", "pool-a", "node-a", { allocated: 1 }),
        block("198.18.0.64/26", "pool-a", "node-a", { ...status, draining: true, generation: 2 }),
      ],
    });
    const deletes = ofKind(planAt(state).actions, "deleteBlock");
    expect(deletes).toEqual(deleted ? [{ kind: "deleteBlock", name: "198-18-0-64-26", uid: "uid-198-18-0-64-26", node: "node-a", reason: expect.any(String) }] : []);
  });
});

describe("plan: pools", () => {
  it("adds the finalizer when missing, keeping the others, with the resourceVersion it read", () => {
    const p = planAt(cluster({ pools: [pool("pool-a", "198.18.0.0/24", { finalizers: ["example.com/keep"], resourceVersion: "7" })] }));
    expect(ofKind(p.actions, "addPoolFinalizer")).toEqual([
      { kind: "addPoolFinalizer", pool: "pool-a", finalizers: ["example.com/keep", poolFinalizer], resourceVersion: "7" },
    ]);
  });

  it("does not add the finalizer when present, nor to a pool being deleted", () => {
    const p = planAt(cluster({ pools: [poolA(), pool("pool-b", "198.18.1.0/24", { finalizers: [], deletedAt: "2026-02-28T00:00:00Z" })] }));
    expect(ofKind(p.actions, "addPoolFinalizer")).toEqual([]);
  });

  describe("a pool being deleted", () => {
    const deleting = (finalizers = [poolFinalizer]) =>
      pool("pool-a", "198.18.0.0/24", { deletedAt: "2026-02-28T00:00:00Z", finalizers, resourceVersion: "9" });

    it("drains every active block, keeps the finalizer, and says Deleting", () => {
      const state = cluster({
        nodes: [node("node-a"), node("node-b")],
        pools: [deleting()],
        blocks: [
          block("198.18.0.0/26", "pool-a", "node-a", { allocated: 4 }),
          block("198.18.0.64/26", "pool-a", "node-b", { allocated: 0 }),
          block("198.18.0.128/26", "pool-a", "node-b", { draining: true, generation: 2, observedGeneration: 1 }),
        ],
      });
      const p = planAt(state);
      expect(ofKind(p.actions, "drainBlock").map((a) => a.name).sort()).toEqual(["198-18-0-0-26", "198-18-0-64-26"]);
      expect(ofKind(p.actions, "removePoolFinalizer")).toEqual([]);
      expect(plannedStatus(p, "pool-a").conditions?.find((c) => c.type === "Deleting")).toMatchObject({
        status: "True",
        message: expect.stringContaining("3 block(s) remain, 1 with addresses in use"),
      });
      expect(ofKind(p.actions, "event")).toContainEqual(expect.objectContaining({ type: "Normal", reason: "Deleting" }));
    });

    it("removes only its own finalizer once no block remains", () => {
      const p = planAt(cluster({ nodes: [node("node-a")], pools: [deleting(["example.com/keep", poolFinalizer])] }));
      expect(ofKind(p.actions, "removePoolFinalizer")).toEqual([
        { kind: "removePoolFinalizer", pool: "pool-a", finalizers: ["example.com/keep"], resourceVersion: "9" },
      ]);
    });

    it("does nothing with the finalizer of a deleting pool that does not carry it", () => {
      const p = planAt(cluster({ pools: [deleting(["example.com/keep"])] }));
      expect(ofKind(p.actions, "removePoolFinalizer")).toEqual([]);
      expect(ofKind(p.actions, "addPoolFinalizer")).toEqual([]);
    });
  });

  it("drains the active blocks of a pool that no longer exists (not the draining ones again)", () => {
    const state = cluster({
      nodes: [node("node-a")],
      pools: [poolA()],
      blocks: [
        block("198.18.0.0/26", "pool-a", "node-a", { allocated: 1 }),
        block("198.18.9.0/26", "pool-gone", "node-a", { allocated: 2 }),
        block("198.18.9.64/26", "pool-gone", "node-a", { allocated: 2, draining: true, generation: 2 }),
      ],
    });
    expect(ofKind(planAt(state).actions, "drainBlock").map((a) => a.name)).toEqual(["198-18-9-0-26"]);
  });

  describe("a node the pool's nodeSelector no longer selects", () => {
    const state = (o: Parameters<typeof block>[3]) => cluster({
      nodes: [node("node-a", { rack: "r2" })],
      pools: [pool("pool-a", "198.18.0.0/24", { nodeSelector: { matchLabels: { rack: "r1" } } })],
      blocks: [block("198.18.0.0/26", "pool-a", "node-a", o)],
    });

    it("gets its empty block drained after the release grace period", () => {
      const s = state({ allocated: 0 });
      const p1 = planAt(s, { now: t0 });
      expect(ofKind(p1.actions, "drainBlock")).toEqual([]);
      const p2 = planAt(s, { now: t0 + 10 * minute, since: p1.since });
      expect(ofKind(p2.actions, "drainBlock").map((a) => a.name)).toEqual(["198-18-0-0-26"]);
    });

    it.each([
      ["holding addresses", { allocated: 3 }],
      ["without status", {}],
    ])("keeps a block %s", (_name, o) => {
      const s = state(o);
      const p1 = planAt(s, { now: t0 });
      const p2 = planAt(s, { now: t0 + 10 * minute, since: p1.since });
      expect(ofKind(p2.actions, "drainBlock")).toEqual([]);
      expect(ofKind(p2.actions, "createBlock")).toEqual([]);
    });
  });
});
