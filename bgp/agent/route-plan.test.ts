import { parseCidr } from "../../common/cidr.ts";
import type { PrefixMatch } from "../gobgp/types.ts";
import { desiredRoutes, prefixAllowed, routeBatch, routeChanges, routeKey, type BestRoute, type KernelRoute } from "./route-plan.ts";

const allowed: PrefixMatch[] = [
  { prefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 },
  { prefix: "198.19.128.0/20", maskLengthMin: 20, maskLengthMax: 32 },
  { prefix: "2001:db8:1::/48", maskLengthMin: 122, maskLengthMax: 128 },
];

const me = "192.0.2.11";

/** A best path learned from `neighbor` (by default the next hop itself). */
function best(prefix: string, nextHop: string, neighbor: string = nextHop): BestRoute {
  return { prefix, nextHop, neighbor };
}

/** A best path this node originated (gobgpd reports no neighbour). */
function local(prefix: string, nextHop: string): BestRoute {
  return { prefix, nextHop, neighbor: undefined };
}

describe("prefixAllowed", () => {
  it("accepts prefixes inside a match with a mask length in range", () => {
    expect(prefixAllowed(parseCidr("198.18.0.64/26"), allowed)).toBe(true);
    expect(prefixAllowed(parseCidr("198.18.3.7/32"), allowed)).toBe(true);
    expect(prefixAllowed(parseCidr("198.19.128.0/20"), allowed)).toBe(true);
    expect(prefixAllowed(parseCidr("2001:db8:1::40/122"), allowed)).toBe(true);
  });

  it("refuses aggregates, shorter prefixes and anything outside", () => {
    expect(prefixAllowed(parseCidr("198.18.0.0/16"), allowed)).toBe(false); // the pool's aggregate
    expect(prefixAllowed(parseCidr("198.18.0.0/24"), allowed)).toBe(false); // shorter than a block
    expect(prefixAllowed(parseCidr("0.0.0.0/0"), allowed)).toBe(false);
    expect(prefixAllowed(parseCidr("203.0.113.0/26"), allowed)).toBe(false);
    expect(prefixAllowed(parseCidr("2001:db8:2::/122"), allowed)).toBe(false);
    expect(prefixAllowed(parseCidr("198.18.0.0/26"), [])).toBe(false);
  });

  it("uses the prefix's own length for an unset bound and ignores an invalid match", () => {
    const exact: PrefixMatch[] = [{ prefix: "198.18.0.0/26" }, { prefix: "not a cidr", maskLengthMin: 0, maskLengthMax: 32 }];
    expect(prefixAllowed(parseCidr("198.18.0.0/26"), exact)).toBe(true);
    expect(prefixAllowed(parseCidr("198.18.0.0/27"), exact)).toBe(false);
    expect(prefixAllowed(parseCidr("198.18.0.0/27"), [{ prefix: "198.18.0.0/26", maskLengthMin: 26 }])).toBe(false);
    expect(prefixAllowed(parseCidr("198.18.0.0/27"), [{ prefix: "198.18.0.0/26", maskLengthMax: 32 }])).toBe(true);
  });
});

describe("desiredRoutes", () => {
  it("routes remote blocks via their next hop and blackholes own blocks", () => {
    const routes = desiredRoutes({
      best: [best("198.18.0.64/26", "192.0.2.12"), best("198.18.0.128/26", "192.0.2.13"), local("198.18.0.0/26", me)],
      allowed,
      ownBlocks: ["198.18.0.0/26"],
      nodeAddress: me,
    });
    expect([...routes.entries()]).toEqual([
      ["198.18.0.64/26", { prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" }],
      ["198.18.0.128/26", { prefix: "198.18.0.128/26", kind: "via", gateway: "192.0.2.13" }],
      ["198.18.0.0/26", { prefix: "198.18.0.0/26", kind: "blackhole" }],
    ]);
  });

  it("installs only paths learned from a neighbour, with a next hop that is not this node", () => {
    const routes = desiredRoutes({
      best: [
        local("198.18.1.0/26", "192.0.2.12"), // originated locally (next hop set by policy)
        best("198.18.2.0/26", "", "192.0.2.12"), // no next hop
        best("198.18.3.0/26", me, "192.0.2.12"), // reflected back to us
        best("198.18.4.0/26", "192.0.2.12"),
      ],
      allowed,
      ownBlocks: [],
      nodeAddress: me,
    });
    expect([...routes.keys()]).toEqual(["198.18.4.0/26"]);
  });

  it("installs nothing outside the allowed ranges, nor a peer's path for an own block", () => {
    const routes = desiredRoutes({
      best: [
        best("0.0.0.0/0", "192.0.2.1"),
        best("203.0.113.0/24", "192.0.2.1"),
        best("198.18.0.0/16", "192.0.2.1"), // pool aggregate
        best("198.18.0.0/26", "192.0.2.12"), // our block, claimed by someone else
        best("198.19.128.0/20", "192.0.2.12"), // service CIDR
        best("not-a-prefix", "192.0.2.12"),
      ],
      allowed,
      ownBlocks: ["198.18.0.0/26"],
      nodeAddress: me,
    });
    expect(routes).toEqual(new Map<string, KernelRoute>([
      ["198.19.128.0/20", { prefix: "198.19.128.0/20", kind: "via", gateway: "192.0.2.12" }],
      ["198.18.0.0/26", { prefix: "198.18.0.0/26", kind: "blackhole" }],
    ]));
  });

  it("keys and writes IPv6 prefixes canonically", () => {
    const routes = desiredRoutes({
      best: [best("2001:db8:1:0:0::40/122", "2001:db8::12")],
      allowed,
      ownBlocks: ["2001:DB8:1:0::80/122", "bad"],
      nodeAddress: me,
    });
    expect(routes).toEqual(new Map<string, KernelRoute>([
      ["2001:db8:1::40/122", { prefix: "2001:db8:1::40/122", kind: "via", gateway: "2001:db8::12" }],
      ["2001:db8:1::80/122", { prefix: "2001:db8:1::80/122", kind: "blackhole" }],
    ]));
  });

  it("does not route a peer's path for an own block written differently", () => {
    const routes = desiredRoutes({
      best: [best("2001:db8:1:0::80/122", "2001:db8::12")],
      allowed,
      ownBlocks: ["2001:db8:1::80/122"],
      nodeAddress: me,
    });
    expect([...routes.values()]).toEqual([{ prefix: "2001:db8:1::80/122", kind: "blackhole" }]);
  });
});

describe("routeKey", () => {
  it("canonicalises, and returns undefined for non-CIDRs", () => {
    expect(routeKey("2001:db8:0::/64")).toBe("2001:db8::/64");
    expect(routeKey("198.18.0.0/26")).toBe("198.18.0.0/26");
    expect(routeKey("198.18.0.5")).toBeUndefined();
    expect(routeKey("default")).toBeUndefined();
  });
});

describe("routeChanges", () => {
  const via = (prefix: string, gateway: string): KernelRoute => ({ prefix, kind: "via", gateway });
  const blackhole = (prefix: string): KernelRoute => ({ prefix, kind: "blackhole" });
  const desired = (...routes: KernelRoute[]) => new Map(routes.map((r) => [routeKey(r.prefix) ?? r.prefix, r]));

  it("replaces only what is missing or differs", () => {
    const current = [via("198.18.0.64/26", "192.0.2.12"), via("198.18.0.128/26", "192.0.2.99"), via("198.18.0.0/26", "192.0.2.12")];
    const want = desired(via("198.18.0.64/26", "192.0.2.12"), via("198.18.0.128/26", "192.0.2.13"), blackhole("198.18.0.0/26"), via("198.18.0.192/26", "192.0.2.14"));
    expect(routeChanges(current, want, true)).toEqual({
      replace: [via("198.18.0.128/26", "192.0.2.13"), blackhole("198.18.0.0/26"), via("198.18.0.192/26", "192.0.2.14")],
      remove: [],
    });
  });

  it("changes nothing when the kernel already matches", () => {
    const routes = [via("198.18.0.64/26", "192.0.2.12"), blackhole("198.18.0.0/26")];
    expect(routeChanges(routes, desired(...routes), true)).toEqual({ replace: [], remove: [] });
  });

  it("replaces a blackhole that should become a via route", () => {
    expect(routeChanges([blackhole("198.18.0.64/26")], desired(via("198.18.0.64/26", "192.0.2.12")), true).replace).toEqual([via("198.18.0.64/26", "192.0.2.12")]);
  });

  it("removes stale routes only when removals are allowed, as the kernel spelt them", () => {
    const current = [via("198.18.0.64/26", "192.0.2.12"), via("2001:db8:1:0::40/122", "2001:db8::12")];
    const want = desired(via("198.18.0.64/26", "192.0.2.12"));
    expect(routeChanges(current, want, true)).toEqual({ replace: [], remove: ["2001:db8:1:0::40/122"] });
    expect(routeChanges(current, want, false)).toEqual({ replace: [], remove: [] });
  });

  it("compares prefixes canonically", () => {
    const current = [via("2001:db8:0::/64", "2001:db8::12"), blackhole("2001:db8:1:0::40/122")];
    const want = desired(via("2001:db8::/64", "2001:db8::12"), blackhole("2001:db8:1::40/122"));
    expect(routeChanges(current, want, true)).toEqual({ replace: [], remove: [] });
  });

  it("leaves kernel routes it cannot parse alone", () => {
    expect(routeChanges([blackhole("garbage")], new Map(), true)).toEqual({ replace: [], remove: [] });
  });
});

describe("routeBatch", () => {
  it("writes ip -batch lines with protocol 88, replacements first", () => {
    const batch = routeBatch({
      replace: [{ prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.12" }, { prefix: "198.18.0.0/26", kind: "blackhole" }],
      remove: ["198.18.0.128/26", "2001:db8:1::40/122"],
    });
    expect(batch).toBe([
      "route replace 198.18.0.64/26 via 192.0.2.12 proto 88",
      "route replace blackhole 198.18.0.0/26 proto 88",
      "route del 198.18.0.128/26 proto 88",
      "route del 2001:db8:1::40/122 proto 88",
      "",
    ].join("\n"));
  });

  it("is empty when there is nothing to do", () => {
    expect(routeBatch({ replace: [], remove: [] })).toBe("");
  });
});
