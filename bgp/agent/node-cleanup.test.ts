import { natTable } from "./nat-plan.ts";
import { cleanNode, cleanupChanges } from "./node-cleanup.ts";
import { FakeKernel } from "./testing/fake-kernel.ts";

function node(): { kernel: FakeKernel; scripts: string[] } {
  const kernel = new FakeKernel();
  kernel.petrel.set("198.18.1.0/26", { prefix: "198.18.1.0/26", kind: "via", gateway: "192.0.2.11" });
  kernel.petrel.set("2001:db8:1::/122", { prefix: "2001:db8:1::/122", kind: "via", gateway: "2001:db8::11" });
  kernel.petrel.set("198.18.0.0/26", { prefix: "198.18.0.0/26", kind: "blackhole" });
  // The plugin's pod route (protocol 89) in the own block, a connected route, the default route.
  kernel.foreign.set("198.18.0.5/32", "pod route, proto 89");
  kernel.foreign.set("192.0.2.0/24", "connected");
  kernel.foreign.set("0.0.0.0/0", "default");
  return { kernel, scripts: [] };
}

test("cleanupChanges removes each Petrel route by prefix (the removal names the agent's protocol)", () => {
  expect(cleanupChanges([{ prefix: "198.18.1.0/26", kind: "via", gateway: "192.0.2.11" }, { prefix: "198.18.0.0/26", kind: "blackhole" }])).toEqual([
    { op: "remove", prefix: "198.18.1.0/26" },
    { op: "remove", prefix: "198.18.0.0/26" },
  ]);
});

test("the release gone: every Petrel route and the nft table go; pod routes and others stay", async () => {
  const { kernel, scripts } = node();
  const r = await cleanNode({ kernel, nat: { apply: async (s) => void scripts.push(s) } });
  expect(r).toEqual({ removed: { via: 2, blackhole: 1 }, left: [], natRemoved: true, errors: [] });
  expect(kernel.table()).toEqual({});
  expect([...kernel.foreign.keys()].sort()).toEqual(["0.0.0.0/0", "192.0.2.0/24", "198.18.0.5/32"]);
  expect(scripts).toEqual([`add table ip ${natTable}\ndelete table ip ${natTable}\n`]);
});

test("a route the kernel refuses to delete is reported as left, and the nft table still goes", async () => {
  const { kernel, scripts } = node();
  kernel.failOnce.add("198.18.1.0/26");
  const r = await cleanNode({ kernel, nat: { apply: async (s) => void scripts.push(s) } });
  expect(r.left).toEqual(["198.18.1.0/26"]);
  expect(r.removed).toEqual({ via: 1, blackhole: 1 });
  expect(r.errors).toEqual(["198.18.1.0/26: Error: Nexthop has invalid gateway."]);
  expect(r.natRemoved).toBe(true);
});

test("failures are reported, never thrown", async () => {
  const { kernel } = node();
  kernel.broken = true;
  const r = await cleanNode({ kernel, nat: { apply: () => Promise.reject(new Error("nft: not found")) } });
  expect(r.natRemoved).toBe(false);
  expect(r.errors).toEqual(["routes: ip: command not found", "nft table: nft: not found"]);
});
