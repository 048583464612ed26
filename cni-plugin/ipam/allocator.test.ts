import { formatAddress, parseAddress, parseCidr } from "../../common/cidr.ts";
import { blockUsage, chooseAddress } from "./allocator.ts";

const blocks = [parseCidr("198.18.0.0/30"), parseCidr("198.18.1.0/31")];
const v = (s: string) => parseAddress(s).value;
const pick = (taken: string[], last?: string) => {
  const a = chooseAddress(blocks, 4, new Set(taken.map(v)), last === undefined ? undefined : parseAddress(last));
  return a === undefined ? undefined : formatAddress(a);
};

describe("chooseAddress", () => {
  it("starts at the first address of the first block", () => {
    expect(pick([])).toBe("198.18.0.0");
  });

  it("continues after the last reserved address, across blocks", () => {
    expect(pick([], "198.18.0.1")).toBe("198.18.0.2");
    expect(pick([], "198.18.0.3")).toBe("198.18.1.0");
    expect(pick([], "198.18.1.1")).toBe("198.18.0.0");
  });

  it("skips taken addresses and wraps around to ones before the last reserved", () => {
    expect(pick(["198.18.0.2", "198.18.0.3", "198.18.1.0", "198.18.1.1"], "198.18.0.1")).toBe("198.18.0.0");
  });

  it("returns undefined when every address is taken", () => {
    const all = ["198.18.0.0", "198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.1.0", "198.18.1.1"];
    expect(pick(all)).toBeUndefined();
    expect(pick(all, "198.18.0.2")).toBeUndefined();
  });

  it("ignores a last-reserved hint outside the blocks", () => {
    expect(pick([], "198.19.0.9")).toBe("198.18.0.0");
  });

  it("never returns a taken address (exhaustive over every hint and taken set)", () => {
    const all = ["198.18.0.0", "198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.1.0", "198.18.1.1"];
    for (let mask = 0; mask < 1 << all.length; mask++) {
      const taken = all.filter((_, i) => (mask & (1 << i)) !== 0);
      for (const last of [undefined, ...all]) {
        const got = pick(taken, last);
        if (taken.length === all.length) expect(got).toBeUndefined();
        else expect(got !== undefined && !taken.includes(got)).toBe(true);
      }
    }
  });

  it("only picks from blocks of the asked family", () => {
    expect(chooseAddress(blocks, 6, new Set(), undefined)).toBeUndefined();
    const v6 = [parseCidr("2001:db8::/127")];
    expect(formatAddress(chooseAddress(v6, 6, new Set([v("2001:db8::")]), undefined) ?? parseAddress("::"))).toBe("2001:db8::1");
  });
});

describe("blockUsage", () => {
  it("counts used addresses per block", () => {
    expect(blockUsage(blocks, [parseAddress("198.18.0.1"), parseAddress("198.18.1.1")])).toEqual([
      { block: "198.18.0.0/30", used: 1, capacity: 4n },
      { block: "198.18.1.0/31", used: 1, capacity: 2n },
    ]);
  });
});
