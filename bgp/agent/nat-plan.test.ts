import { readFileSync } from "node:fs";
import { join } from "node:path";
import { natRuleset, natTable } from "./nat-plan.ts";
import { ipPool } from "./testing/fixtures.ts";

const golden = join(__dirname, "testdata", "nat-ruleset.golden.nft");

describe("natRuleset", () => {
  it("matches the golden file for a fixed set of pools", () => {
    const pools = [
      ipPool("pods-b", "198.19.0.0/16", { natOutgoing: true }),
      ipPool("pods-a", "198.18.0.0/16", { natOutgoing: true }),
      ipPool("routed", "198.18.128.0/20"),
      ipPool("explicit-off", "198.18.64.0/20", { natOutgoing: false }),
      ipPool("v6", "2001:db8:1::/48", { natOutgoing: true }),
      ipPool("broken", "198.18.0.1/16", { natOutgoing: true }),
    ];
    expect(natRuleset(pools)).toBe(readFileSync(golden, "utf8"));
  });

  it("puts only IPv4 natOutgoing pools in nat_pools and every IPv4 pool in pools", () => {
    const script = natRuleset([
      ipPool("nat", "198.18.0.0/16", { natOutgoing: true }),
      ipPool("plain", "198.19.0.0/16"),
      ipPool("v6-nat", "2001:db8:1::/48", { natOutgoing: true }),
      ipPool("v6", "2001:db8:2::/48"),
    ]);
    expect(script).toContain("set pools { type ipv4_addr; flags interval; auto-merge; elements = { 198.18.0.0/16, 198.19.0.0/16 } }");
    expect(script).toContain("set nat_pools { type ipv4_addr; flags interval; auto-merge; elements = { 198.18.0.0/16 } }");
    expect(script).toContain("ip saddr @nat_pools ip daddr != @pools masquerade");
    expect(script).not.toContain("2001:db8");
  });

  it("lists a CIDR once however many pools name it", () => {
    const script = natRuleset([ipPool("a", "198.18.0.0/16", { natOutgoing: true }), ipPool("b", "198.18.0.0/16", { natOutgoing: true })]);
    expect(script).toContain("set nat_pools { type ipv4_addr; flags interval; auto-merge; elements = { 198.18.0.0/16 } }");
  });

  it("only deletes the table when no IPv4 pool has natOutgoing", () => {
    const deleteOnly = `add table ip ${natTable}\ndelete table ip ${natTable}\n`;
    expect(natRuleset([])).toBe(deleteOnly);
    expect(natRuleset([ipPool("plain", "198.18.0.0/16"), ipPool("v6-nat", "2001:db8:1::/48", { natOutgoing: true })])).toBe(deleteOnly);
  });

  it("always starts by replacing the table whole", () => {
    const script = natRuleset([ipPool("nat", "198.18.0.0/16", { natOutgoing: true })]);
    expect(script.split("\n").slice(0, 3)).toEqual(["add table ip petrel_nat", "delete table ip petrel_nat", "table ip petrel_nat {"]);
  });
});
