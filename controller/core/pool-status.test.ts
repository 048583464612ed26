import type { IPPoolStatus } from "../../common/api/index.ts";
import { desiredPoolStatus, newlyTrue, sameStatus, type PoolFacts } from "./pool-status.ts";
import { poolLayout } from "./pool-layout.ts";
import { block, pool } from "./testing/fixtures.ts";

const now = new Date("2026-03-01T12:00:00.123Z");
const poolA = pool("pool-a", "198.18.0.0/24", { generation: 3 });
const facts = (o: Partial<PoolFacts> = {}): PoolFacts => ({
  pool: poolA,
  layout: poolLayout(poolA),
  invalid: undefined,
  blocks: [],
  overlapsWith: [],
  blockedByOverlap: false,
  waitingNodes: [],
  ...o,
});
const condition = (s: IPPoolStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe("desiredPoolStatus", () => {
  it("counts blocks, free blocks, block addresses and used addresses", () => {
    const s = desiredPoolStatus(facts({
      blocks: [block("198.18.0.0/26", "pool-a", "n1", { allocated: 7 }), block("198.18.0.64/26", "pool-a", "n2"), block("198.18.0.128/26", "pool-a", "n2", { allocated: 2 })],
    }), now);
    expect(s).toMatchObject({ observedGeneration: 3, blockSize: 26, blocks: 3, freeBlocks: "1", blockAddresses: 192, usedAddresses: 9 });
  });

  it("writes times as RFC 3339 without fractional seconds", () => {
    expect(condition(desiredPoolStatus(facts(), now), "Exhausted")?.lastTransitionTime).toBe("2026-03-01T12:00:00Z");
  });

  it("gives freeBlocks as a decimal string, also beyond 2^53", () => {
    const big = pool("big", "2001:db8::/48");
    expect(desiredPoolStatus(facts({ pool: big, layout: poolLayout(big) }), now).freeBlocks).toBe((1n << 74n).toString());
  });

  it("never reports negative free blocks", () => {
    const tiny = pool("tiny", "198.18.0.0/26");
    const s = desiredPoolStatus(facts({ pool: tiny, layout: poolLayout(tiny), blocks: [block("198.18.0.0/26", "tiny", "n1"), block("198.18.0.0/27", "tiny", "n2")] }), now);
    expect(s.freeBlocks).toBe("0");
  });

  it("names the waiting nodes when exhausted, and only the first five", () => {
    const full = pool("full", "198.18.0.0/26");
    const s = desiredPoolStatus(facts({
      pool: full,
      layout: poolLayout(full),
      blocks: [block("198.18.0.0/26", "full", "n1")],
      waitingNodes: ["n2", "n3", "n4", "n5", "n6", "n7", "n8"],
    }), now);
    expect(condition(s, "Exhausted")).toMatchObject({ status: "True", reason: "NoFreeBlocks" });
    expect(condition(s, "Exhausted")?.message).toContain("7 node(s) wait for one (n2, n3, n4, n5, n6 and 2 more)");
  });

  it("says Exhausted without waiting nodes too", () => {
    const full = pool("full", "198.18.0.0/26");
    const s = desiredPoolStatus(facts({ pool: full, layout: poolLayout(full), blocks: [block("198.18.0.0/26", "full", "n1")] }), now);
    expect(condition(s, "Exhausted")?.message).toMatch(/^every block of 198\.18\.0\.0\/26 is in use: add an IPPool/);
  });

  it("describes an invalid pool without counts that need a layout", () => {
    const s = desiredPoolStatus(facts({ layout: undefined, invalid: "IPPool pool-a: spec.blockSize: 33 does not fit" }), now);
    expect(s.blockSize).toBeUndefined();
    expect(s.freeBlocks).toBeUndefined();
    expect(s.blockAddresses).toBeUndefined();
    expect(condition(s, "Invalid")).toMatchObject({ status: "True", reason: "InvalidSpec", message: "IPPool pool-a: spec.blockSize: 33 does not fit" });
    expect(condition(s, "Exhausted")).toMatchObject({ status: "False", message: "the pool is invalid" });
  });

  it("reuses lastTransitionTime while a condition keeps its status, and sets a new one when it changes", () => {
    const before = desiredPoolStatus(facts(), new Date("2026-01-01T00:00:00Z"));
    const withOld = pool("pool-a", "198.18.0.0/24", { generation: 3, status: before });
    const after = desiredPoolStatus(facts({ pool: withOld, overlapsWith: ["pool-b"], blockedByOverlap: true }), now);
    expect(condition(after, "Exhausted")?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    expect(condition(after, "Overlapping")).toMatchObject({ status: "True", reason: "OverlapsOlderPool", lastTransitionTime: "2026-03-01T12:00:00Z" });
  });

  it("sets observedGeneration on the status and on each condition", () => {
    const s = desiredPoolStatus(facts(), now);
    expect(s.observedGeneration).toBe(3);
    expect(s.conditions?.every((c) => c.observedGeneration === 3)).toBe(true);
  });
});

describe("newlyTrue", () => {
  const status = (conds: [string, "True" | "False"][]): IPPoolStatus => ({
    conditions: conds.map(([type, st]) => ({ type, status: st, reason: "R", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" })),
  });

  it("returns the conditions that are True now and were not before", () => {
    const out = newlyTrue(status([["Exhausted", "False"], ["Overlapping", "True"]]), status([["Exhausted", "True"], ["Overlapping", "True"], ["Deleting", "True"], ["Invalid", "False"]]));
    expect(out.map((c) => c.type)).toEqual(["Exhausted", "Deleting"]);
  });

  it("treats a pool without status as having no condition", () => {
    expect(newlyTrue(undefined, status([["Exhausted", "True"]])).map((c) => c.type)).toEqual(["Exhausted"]);
  });
});

describe("sameStatus", () => {
  it("ignores key order and undefined fields", () => {
    expect(sameStatus({ blocks: 1, freeBlocks: "3", usedAddresses: undefined }, { freeBlocks: "3", blocks: 1 })).toBe(true);
  });

  it("sees a changed field, a changed condition, and a missing status", () => {
    const s = desiredPoolStatus(facts(), now);
    expect(sameStatus(s, structuredClone(s))).toBe(true);
    expect(sameStatus(s, { ...s, usedAddresses: 1 })).toBe(false);
    expect(sameStatus(s, { ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, message: `${c.message}!` })) })).toBe(false);
    expect(sameStatus(undefined, s)).toBe(false);
    expect(sameStatus(undefined, {})).toBe(true);
  });
});
