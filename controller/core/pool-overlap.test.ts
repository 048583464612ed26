import { parseCidr } from "../../common/cidr.ts";
import { findPoolOverlaps } from "./pool-overlap.ts";

const range = (name: string, cidr: string, createdAt = "2026-01-01T00:00:00Z") => ({ name, cidr: parseCidr(cidr), createdAt });

describe("findPoolOverlaps", () => {
  it("finds nothing for disjoint pools, or pools of different families", () => {
    const r = findPoolOverlaps([range("a", "198.18.0.0/24"), range("b", "198.18.1.0/24"), range("c", "2001:db8::/120")]);
    expect(r.overlapsWith.size).toBe(0);
    expect(r.blocked.size).toBe(0);
  });

  it("blocks the newer of two overlapping pools, by creation time, whatever the list order", () => {
    for (const pools of [
      [range("old", "198.18.0.0/23", "2026-01-01T00:00:00Z"), range("new", "198.18.1.0/24", "2026-01-02T00:00:00Z")],
      [range("new", "198.18.1.0/24", "2026-01-02T00:00:00Z"), range("old", "198.18.0.0/23", "2026-01-01T00:00:00Z")],
    ]) {
      const r = findPoolOverlaps(pools);
      expect([...r.blocked]).toEqual(["new"]);
      expect(r.overlapsWith.get("old")).toEqual(["new"]);
      expect(r.overlapsWith.get("new")).toEqual(["old"]);
    }
  });

  it("breaks a creation-time tie by name", () => {
    const r = findPoolOverlaps([range("zeta", "198.18.0.0/24"), range("alpha", "198.18.0.0/24")]);
    expect([...r.blocked]).toEqual(["zeta"]);
  });

  it("lists every pool a pool overlaps, sorted", () => {
    const r = findPoolOverlaps([
      range("wide", "198.18.0.0/22", "2026-01-01T00:00:00Z"),
      range("c", "198.18.2.0/24", "2026-01-03T00:00:00Z"),
      range("b", "198.18.1.0/24", "2026-01-02T00:00:00Z"),
    ]);
    expect(r.overlapsWith.get("wide")).toEqual(["b", "c"]);
    expect(r.overlapsWith.get("b")).toEqual(["wide"]);
    expect([...r.blocked].sort()).toEqual(["b", "c"]);
  });
});
