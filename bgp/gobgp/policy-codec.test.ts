import { InvalidInputError } from "../../common/errors.ts";
import { decodeAssignment, decodeDefinedSet, decodePolicy, encodeAssignment, encodeDefinedSet, encodePolicy } from "./policy-codec.ts";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.field;
    throw err;
  }
  return undefined;
}

describe("defined sets", () => {
  it("encodes prefix sets with explicit mask length ranges (exact match when unset)", () => {
    expect(encodeDefinedSet({
      type: "prefix", name: "pools",
      prefixes: [{ prefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }, { prefix: "198.19.0.0/24" }, { prefix: "198.19.1.0/24", maskLengthMin: 26 }],
    })).toEqual({
      definedType: "PREFIX", name: "pools", list: [],
      prefixes: [
        { ipPrefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 },
        { ipPrefix: "198.19.0.0/24", maskLengthMin: 24, maskLengthMax: 24 },
        { ipPrefix: "198.19.1.0/24", maskLengthMin: 26, maskLengthMax: 32 },
      ],
    });
  });

  it("encodes neighbor sets as CIDRs", () => {
    expect(encodeDefinedSet({ type: "neighbor", name: "tors", neighbors: ["192.0.2.1", "2001:db8::/64"] }))
      .toEqual({ definedType: "NEIGHBOR", name: "tors", list: ["192.0.2.1/32", "2001:db8::/64"], prefixes: [] });
  });

  it("rejects ranges that can never match, mixed families and odd names", () => {
    const set = (prefixes: { prefix: string; maskLengthMin?: number; maskLengthMax?: number }[], name = "p") => () => encodeDefinedSet({ type: "prefix", name, prefixes });
    expect(fieldOf(set([{ prefix: "198.18.0.0/16", maskLengthMin: 8 }]))).toBe("prefixes[0].maskLengthMin");
    expect(fieldOf(set([{ prefix: "198.18.0.0/16", maskLengthMax: 33 }]))).toBe("prefixes[0].maskLengthMax");
    expect(fieldOf(set([{ prefix: "198.18.0.0/16", maskLengthMin: 28, maskLengthMax: 24 }]))).toBe("prefixes[0].maskLengthMin");
    expect(fieldOf(set([{ prefix: "198.18.0.0/16" }, { prefix: "2001:db8::/32" }]))).toBe("prefixes[1]");
    expect(fieldOf(set([{ prefix: "198.18.0.1/16" }]))).toBe("prefixes[0].prefix");
    expect(fieldOf(set([], "has space"))).toBe("name");
    expect(fieldOf(() => encodeDefinedSet({ type: "neighbor", name: "n", neighbors: ["tor"] }))).toBe("neighbors[0]");
  });

  it("decodes what gobgpd lists", () => {
    expect(decodeDefinedSet({ definedType: "PREFIX", name: "pools", prefixes: [{ ipPrefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }] }))
      .toEqual({ type: "prefix", name: "pools", prefixes: [{ prefix: "198.18.0.0/16", maskLengthMin: 24, maskLengthMax: 32 }] });
    expect(decodeDefinedSet({ definedType: "NEIGHBOR", name: "n", list: ["192.0.2.1/32"] })).toEqual({ type: "neighbor", name: "n", neighbors: ["192.0.2.1/32"] });
    expect(decodeDefinedSet({ definedType: "COMMUNITY", name: "c" })).toBeUndefined();
  });
});

describe("policies", () => {
  const onlyPools = {
    name: "only-pools",
    statements: [{ conditions: { prefixSet: { name: "pools" } }, action: "accept" as const }],
  };

  it("encodes statements with globally unique default names", () => {
    expect(encodePolicy(onlyPools)).toEqual({
      name: "only-pools",
      statements: [{ name: "only-pools-0", conditions: { prefixSet: { type: "ANY", name: "pools" } }, actions: { routeAction: "ACCEPT" } }],
    });
  });

  it("encodes inverted matches, neighbor sets and modifications", () => {
    expect(encodePolicy({
      name: "p",
      statements: [{
        name: "s", conditions: { prefixSet: { name: "pools", match: "invert" }, neighborSet: { name: "tors" } },
        action: "reject", setLocalPref: 50, addCommunities: ["64512:9", "no-export"],
      }, {}],
    })).toEqual({
      name: "p",
      statements: [
        {
          name: "s",
          conditions: { prefixSet: { type: "INVERT", name: "pools" }, neighborSet: { type: "ANY", name: "tors" } },
          actions: { routeAction: "REJECT", localPref: { value: 50 }, community: { type: "ADD", communities: ["64512:9", "no-export"] } },
        },
        { name: "p-1", conditions: {}, actions: { routeAction: "NONE" } },
      ],
    });
  });

  it("names bad statement fields", () => {
    expect(fieldOf(() => encodePolicy({ name: "p", statements: [{ action: "drop" as "reject" }] }))).toBe("statements[0].action");
    expect(fieldOf(() => encodePolicy({ name: "p", statements: [{ conditions: { prefixSet: { name: "x", match: "all" as "any" } } }] })))
      .toBe("statements[0].conditions.prefixSet.match");
    expect(fieldOf(() => encodePolicy({ name: "p", statements: [{ addCommunities: ["bad"] }] }))).toBe("statements[0].addCommunities[0]");
  });

  it("decodes a listed policy back to the input's shape", () => {
    const listed = {
      name: "only-pools",
      statements: [{
        name: "only-pools-0",
        conditions: { prefixSet: { type: "ANY", name: "pools" }, neighborSet: null, rpkiResult: -1 },
        actions: { routeAction: "ACCEPT", community: null, localPref: null },
      }],
    };
    expect(decodePolicy(listed)).toEqual({ name: "only-pools", statements: [{ name: "only-pools-0", conditions: { prefixSet: { name: "pools", match: "any" } }, action: "accept" }] });
  });
});

describe("assignments", () => {
  it("always target the global RIB", () => {
    expect(encodeAssignment({ direction: "import", policies: ["only-pools"], defaultAction: "reject" }))
      .toEqual({ name: "global", direction: "IMPORT", policies: [{ name: "only-pools" }], defaultAction: "REJECT" });
  });

  it("refuse a missing default action rather than let gobgpd keep the old one", () => {
    expect(fieldOf(() => encodeAssignment({ direction: "export", policies: [], defaultAction: undefined as unknown as "accept" }))).toBe("defaultAction");
    expect(fieldOf(() => encodeAssignment({ direction: "both" as "import", policies: [], defaultAction: "accept" }))).toBe("direction");
  });

  it("decode gobgpd's listing", () => {
    expect(decodeAssignment({ name: "global", direction: "EXPORT", policies: [{ name: "a" }, { name: "b" }], defaultAction: "REJECT" }))
      .toEqual({ direction: "export", policies: ["a", "b"], defaultAction: "reject" });
    expect(decodeAssignment({ name: "global", direction: "IMPORT", policies: [], defaultAction: "NONE" }))
      .toEqual({ direction: "import", policies: [], defaultAction: "accept" });
    expect(decodeAssignment({ direction: "UNKNOWN" })).toBeUndefined();
  });
});

describe("next-hop and route-type conditions", () => {
  it("encodes and decodes them, next hops as canonical text", () => {
    const encoded = encodePolicy({
      name: "p",
      statements: [
        { name: "own", conditions: { routeType: "local" }, action: "accept" },
        { name: "b", conditions: { prefixSet: { name: "blocks-b" }, nextHopInList: ["192.0.2.12", "2001:db8:0::1", "198.51.100.0/24"] }, action: "accept" },
      ],
    });
    expect(encoded).toEqual({
      name: "p",
      statements: [
        { name: "own", conditions: { routeType: "ROUTE_TYPE_LOCAL" }, actions: { routeAction: "ACCEPT" } },
        { name: "b", conditions: { prefixSet: { type: "ANY", name: "blocks-b" }, nextHopInList: ["192.0.2.12", "2001:db8::1", "198.51.100.0/24"] }, actions: { routeAction: "ACCEPT" } },
      ],
    });
    expect(decodePolicy(encoded).statements.map((s) => s.conditions)).toEqual([
      { routeType: "local" },
      { prefixSet: { name: "blocks-b", match: "any" }, nextHopInList: ["192.0.2.12", "2001:db8::1", "198.51.100.0/24"] },
    ]);
  });

  it("refuses an empty next-hop list (gobgpd would match any next hop) and unknown route types", () => {
    expect(() => encodePolicy({ name: "p", statements: [{ conditions: { nextHopInList: [] } }] })).toThrow(/statements\[0\]\.conditions\.nextHopInList.*empty/);
    expect(() => encodePolicy({ name: "p", statements: [{ conditions: { nextHopInList: ["node-b"] } }] })).toThrow(/nextHopInList\[0\]/);
    expect(() => encodePolicy({ name: "p", statements: [{ conditions: { routeType: "igp" as never } }] })).toThrow(/routeType/);
  });
});
