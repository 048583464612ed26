// plan(): pool status and conditions, and determinism.
import { block, cluster, createdBlocks, fail, minute, node, ofKind, petrelNode, planAt, plannedStatus, pool, stamp, t0, withSettledStatus, poolA, blocksOfPoolA } from "./testing/fixtures.ts";

describe("plan: pool status", () => {
  const oneBlock = (allocated = 5) => cluster({
    nodes: [node("node-a")],
    pools: [poolA()],
    blocks: [block("198.18.0.0/26", "pool-a", "node-a", { allocated })],
  });

  it("writes counts and conditions", () => {
    const p = planAt(oneBlock());
    expect(ofKind(p.actions, "updatePoolStatus")).toEqual([{
      kind: "updatePoolStatus",
      pool: "pool-a",
      status: {
        observedGeneration: 1,
        blockSize: 26,
        blocks: 1,
        freeBlocks: "3",
        blockAddresses: 64,
        usedAddresses: 5,
        conditions: [
          { type: "Overlapping", status: "False", reason: "NoOverlap", message: "the pool overlaps no other pool", lastTransitionTime: stamp(t0), observedGeneration: 1 },
          { type: "Exhausted", status: "False", reason: "FreeBlocks", message: "3 free block(s)", lastTransitionTime: stamp(t0), observedGeneration: 1 },
        ],
      },
    }]);
    expect(ofKind(p.actions, "event")).toEqual([]);
  });

  it("writes nothing when the pool's status already is the desired one, however much later", () => {
    const settled = withSettledStatus(oneBlock(), t0);
    expect(ofKind(planAt(settled, { now: t0 + 60 * minute }).actions, "updatePoolStatus")).toEqual([]);
  });

  it("keeps lastTransitionTime of conditions that did not change", () => {
    const settled = withSettledStatus(oneBlock(5), t0);
    const changed = cluster({ ...settled, blocks: [block("198.18.0.0/26", "pool-a", "node-a", { allocated: 6 })] });
    const status = plannedStatus(planAt(changed, { now: t0 + 60 * minute }), "pool-a");
    expect(status.usedAddresses).toBe(6);
    expect(status.conditions?.map((c) => c.lastTransitionTime)).toEqual([stamp(t0), stamp(t0)]);
  });

  it("gives a condition whose status changed a new lastTransitionTime", () => {
    const settled = withSettledStatus(oneBlock(), t0);
    const nowOverlapping = cluster({ ...settled, pools: [...settled.pools, pool("pool-b", "198.18.0.0/23", { createdAt: "2026-02-01T00:00:00Z" })] });
    const status = plannedStatus(planAt(nowOverlapping, { now: t0 + minute }), "pool-a");
    expect(status.conditions?.find((c) => c.type === "Overlapping")?.lastTransitionTime).toBe(stamp(t0 + minute));
    expect(status.conditions?.find((c) => c.type === "Exhausted")?.lastTransitionTime).toBe(stamp(t0));
  });

  it("writes a pool's status at most once per statusMinIntervalMs, and asks to be woken when it may", () => {
    const state = oneBlock();
    const soon = planAt(state, { now: t0, lastStatusWrite: new Map([["pool-a", t0 - 300]]) });
    expect(ofKind(soon.actions, "updatePoolStatus")).toEqual([]);
    expect(soon.wakeAfterMs).toBe(700);
    const later = planAt(state, { now: t0, lastStatusWrite: new Map([["pool-a", t0 - 1000]]) });
    expect(ofKind(later.actions, "updatePoolStatus")).toHaveLength(1);
    expect(later.wakeAfterMs).toBeUndefined();
  });

  it("holds back the Event with the rate-limited status write", () => {
    const full = cluster({
      nodes: ["node-a", "node-b", "node-c", "node-d", "node-e"].map((n) => node(n)),
      pools: [poolA()],
      blocks: ["node-a", "node-b", "node-c", "node-d"].map((n, i) => block(blocksOfPoolA[i] ?? fail("index"), "pool-a", n, { allocated: 1 })),
    });
    const p = planAt(full, { lastStatusWrite: new Map([["pool-a", t0 - 1]]) });
    expect(ofKind(p.actions, "event")).toEqual([]);
  });

  it("wakes for the earliest of a rate limit and a grace period", () => {
    const state = cluster({ ...oneBlock(), petrelNodes: [petrelNode("node-a"), petrelNode("node-gone")] });
    expect(planAt(state, { lastStatusWrite: new Map([["pool-a", t0 - 300]]) }).wakeAfterMs).toBe(700);
    expect(planAt(state).wakeAfterMs).toBe(5 * minute);
  });

  it("names the other pool in both Overlapping conditions", () => {
    const older = pool("pool-old", "198.18.0.0/24", { createdAt: "2026-01-01T00:00:00Z" });
    const newer = pool("pool-new", "198.18.0.128/25", { createdAt: "2026-01-05T00:00:00Z" });
    const p = planAt(cluster({ pools: [older, newer] }));
    const overlapping = (name: string) => plannedStatus(p, name).conditions?.find((c) => c.type === "Overlapping") ?? fail("no condition");
    expect(overlapping("pool-new")).toMatchObject({ status: "True", reason: "OverlapsOlderPool", message: expect.stringContaining("IPPool pool-old") });
    expect(overlapping("pool-old")).toMatchObject({ status: "True", reason: "OverlappedByNewerPool", message: expect.stringContaining("IPPool pool-new") });
    expect(ofKind(p.actions, "event").filter((e) => e.reason === "Overlapping").map((e) => [e.subject.name, e.type]).sort()).toEqual([
      ["pool-new", "Warning"],
      ["pool-old", "Warning"],
    ]);
  });

  it("reports an invalid pool with an Invalid condition naming the field, and an InvalidSpec event", () => {
    const p = planAt(cluster({ nodes: [node("node-a")], pools: [pool("pool-a", "198.18.0.0/24", { blockSize: 33 })] }));
    const status = plannedStatus(p, "pool-a");
    expect(status.conditions?.find((c) => c.type === "Invalid")).toMatchObject({ status: "True", reason: "InvalidSpec", message: expect.stringContaining("spec.blockSize") });
    expect(status.blockSize).toBeUndefined();
    expect(status.freeBlocks).toBeUndefined();
    expect(ofKind(p.actions, "event")).toContainEqual(expect.objectContaining({ type: "Warning", reason: "InvalidSpec" }));
  });
});

describe("plan: determinism", () => {
  const state = cluster({
    nodes: ["node-c", "node-a", "node-e", "node-b"].map((n) => node(n)),
    pools: [pool("pool-b", "198.18.1.0/24"), poolA()],
    blocks: [block("198.18.0.64/26", "pool-a", "node-d", { allocated: 0 })],
    petrelNodes: [petrelNode("node-d")],
  });

  it("plans the same actions for the same input", () => {
    const a = planAt(state);
    const b = planAt(state);
    expect(b.actions).toEqual(a.actions);
    expect([...b.since]).toEqual([...a.since]);
    expect(b.wakeAfterMs).toBe(a.wakeAfterMs);
  });

  it("picks the same blocks whatever the order of the snapshot's lists", () => {
    const reversed = cluster({ nodes: [...state.nodes].reverse(), pools: [...state.pools].reverse(), blocks: [...state.blocks].reverse(), petrelNodes: [...state.petrelNodes].reverse() });
    expect(createdBlocks(planAt(reversed).actions)).toEqual(createdBlocks(planAt(state).actions));
  });

  it("does not change its input", () => {
    const copy = structuredClone(state);
    const since = new Map([["something", t0 - 1]]);
    planAt(state, { since });
    expect(state).toEqual(copy);
    expect([...since]).toEqual([["something", t0 - 1]]);
  });
});
