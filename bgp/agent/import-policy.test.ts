import { blocksByFamily, desiredPolicy, ownerSetName } from "./import-policy.ts";

const addresses: Record<string, string> = { "node-b": "192.0.2.12", "node-c": "192.0.2.13" };

describe("desiredPolicy", () => {
  it("gives each other node a set of its exact blocks and a statement binding them to its address", () => {
    const b = blocksByFamily(["198.18.0.64/26", "198.18.1.0/26"]);
    const p = desiredPolicy({
      blocksByOwner: [["node-b", b], ["node-c", blocksByFamily(["198.18.0.128/26"])], ["node-gone", blocksByFamily(["198.18.9.0/26"])]],
      address: (n) => addresses[n], learnFrom: [], services: [], nodeAddresses: ["192.0.2.12", "192.0.2.13"], reflector: false,
    });
    expect([...p.sets.keys()]).toEqual(["petrel-blocks-v4-node-b", "petrel-blocks-v4-node-c"]);
    // The owner's live set is used as it is.
    expect(p.sets.get(ownerSetName("node-b", "ipv4-unicast"))).toBe(b.get("ipv4-unicast"));
    const statements = [...p.statements.values()];
    expect(statements.map((s) => [s.set, s.statement.conditions])).toEqual([
      ["petrel-blocks-v4-node-b", { prefixSet: { name: "petrel-blocks-v4-node-b", match: "any" }, nextHopInList: ["192.0.2.12"] }],
      ["petrel-blocks-v4-node-c", { prefixSet: { name: "petrel-blocks-v4-node-c", match: "any" }, nextHopInList: ["192.0.2.13"] }],
    ]);
    expect(statements.every((s) => s.statement.action === "accept" && s.statement.name.startsWith(`${s.set}-`))).toBe(true);
  });

  it("adds learn-from peers to every owner's next hops, which renames the statements; services get their own", () => {
    const inputs = {
      blocksByOwner: [["node-b", blocksByFamily(["198.18.0.64/26"])]] as const,
      address: (n: string) => addresses[n], services: ["203.0.113.0/24"], nodeAddresses: ["192.0.2.12"], reflector: true,
    };
    const plain = desiredPolicy({ ...inputs, learnFrom: [] });
    const withTor = desiredPolicy({ ...inputs, learnFrom: ["192.0.2.254"] });
    expect([...withTor.statements.values()].map((s) => s.statement.conditions?.nextHopInList)).toEqual([["192.0.2.12", "192.0.2.254"], ["192.0.2.12", "192.0.2.254"]]);
    expect([...withTor.statements.keys()]).not.toEqual([...plain.statements.keys()]);
    expect(withTor.sets.get("petrel-services-v4")).toEqual(new Set(["203.0.113.0/24"]));
    expect(withTor.reflector).toBe(true);
  });

  it("makes no statement without a next hop (an owner with no address and no learn-from peer) or without prefixes", () => {
    const p = desiredPolicy({ blocksByOwner: [["node-gone", blocksByFamily(["198.18.9.0/26"])], ["node-b", new Map([["ipv4-unicast", new Set<string>()]])]], address: () => undefined, learnFrom: [], services: [], nodeAddresses: [], reflector: false });
    expect(p.sets.size).toBe(0);
    expect(p.statements.size).toBe(0);
  });

  it("gives an owner with blocks of both families one set and statement per family", () => {
    const p = desiredPolicy({ blocksByOwner: [["node-b", blocksByFamily(["198.18.0.64/26", "2001:db8:1::/122"])]], address: (n) => addresses[n], learnFrom: ["2001:db8::fe"], services: [], nodeAddresses: [], reflector: false });
    expect([...p.sets].map(([n, s]) => [n, [...s]])).toEqual([["petrel-blocks-v4-node-b", ["198.18.0.64/26"]], ["petrel-blocks-v6-node-b", ["2001:db8:1::/122"]]]);
    expect([...p.statements.values()].map((s) => s.statement.conditions?.nextHopInList)).toEqual([["192.0.2.12"], ["2001:db8::fe"]]);
  });
});
