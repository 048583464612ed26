import { batchLines, sameRoute } from "./route-plan.ts";

describe("batchLines", () => {
  it("adds new routes (so the kernel refuses to overwrite another protocol's), replaces and removes only Petrel's", () => {
    expect(batchLines([
      { op: "add", route: { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" } },
      { op: "add", route: { prefix: "198.18.0.0/26", kind: "blackhole" } },
      { op: "replace", route: { prefix: "198.18.0.128/26", kind: "via", gateway: "192.0.2.13" } },
      { op: "remove", prefix: "198.18.0.192/26" },
    ])).toEqual([
      "route add 198.18.0.64/26 via 192.0.2.12 proto 88",
      "route add blackhole 198.18.0.0/26 proto 88",
      "route replace 198.18.0.128/26 via 192.0.2.13 proto 88",
      "route del 198.18.0.192/26 proto 88",
    ]);
  });
});

describe("sameRoute", () => {
  it("compares kind and gateway", () => {
    const via = (gateway: string) => ({ prefix: "198.18.0.64/26", kind: "via" as const, gateway });
    expect(sameRoute(via("192.0.2.12"), via("192.0.2.12"))).toBe(true);
    expect(sameRoute(via("192.0.2.12"), via("192.0.2.13"))).toBe(false);
    expect(sameRoute(via("192.0.2.12"), { prefix: "198.18.0.64/26", kind: "blackhole" })).toBe(false);
    expect(sameRoute(undefined, undefined)).toBe(true);
    expect(sameRoute(via("192.0.2.12"), undefined)).toBe(false);
  });
});
