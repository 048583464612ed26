// The agent's long-lived `ip -force -batch -` (bgp/agent/host/ip-batch.ts) against the real
// iproute2 in a namespace of its own: every batch's failures are its own lines, one ip serves
// every batch, and an ip that dies fails only the batch in flight.
import { IpBatch } from "../../bgp/agent/host/ip-batch.ts";
import { applyChanges, listRoutes } from "../../bgp/agent/host/kernel-routes.ts";
import type { RouteChange } from "../../bgp/agent/route-plan.ts";
import { TransientError } from "../../common/errors.ts";
import { NetnsSet, requireRoot } from "../rig/netns.ts";
import { must } from "../rig/run-process.ts";

requireRoot();
const ns = new NetnsSet("ipbatch");
let netns: string;

beforeAll(() => {
  netns = ns.create();
  must(["ip", "-n", netns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
  must(["ip", "-n", netns, "link", "set", "d1", "up"]);
  must(["ip", "-n", netns, "addr", "add", "192.0.2.10/24", "dev", "d0"]);
  must(["ip", "-n", netns, "link", "set", "d0", "up"]);
});
afterAll(() => ns.removeAll());

const via = (prefix: string, gateway = "192.0.2.20"): RouteChange => ({ op: "add", route: { prefix, kind: "via", gateway } });
const petrelPrefixes = async () => (await listRoutes(netns)).petrel.map((r) => r.prefix).sort();

describe("IpBatch", () => {
  it("maps each batch's failures to its own changes, with one ip for every batch", async () => {
    const batch = new IpBatch({ netns });
    try {
      must(["ip", "-n", netns, "route", "add", "198.18.5.0/26", "via", "192.0.2.30", "proto", "89"]); // another protocol's route
      const first = await applyChanges(batch, [via("198.18.1.0/26"), via("198.18.5.0/26"), via("198.18.2.0/26", "203.0.113.9")]);
      expect(first.exists).toEqual(["198.18.5.0/26"]);
      expect(first.failed.map((f) => f.prefix)).toEqual(["198.18.2.0/26"]);
      expect(first.failed[0]?.error).toMatch(/gateway|unreachable/i);
      const pid = batch.pid;
      expect(pid).toBeDefined();
      // Line numbers go on across batches: the second batch's failure is its own line 2.
      const second = await applyChanges(batch, [via("198.18.3.0/26"), via("198.18.1.0/26"), { op: "remove", prefix: "198.18.9.0/26" }]);
      expect(second).toEqual({ exists: ["198.18.1.0/26"], failed: [] });
      expect(batch.pid).toBe(pid);
      expect(await petrelPrefixes()).toEqual(["198.18.1.0/26", "198.18.3.0/26"]);
      // The other protocol's route is untouched.
      expect(must(["ip", "-n", netns, "route", "show", "198.18.5.0/26"])).toMatch(/via 192\.0\.2\.30 .*proto 89/);
      await applyChanges(batch, [{ op: "remove", prefix: "198.18.1.0/26" }, { op: "remove", prefix: "198.18.3.0/26" }]);
      expect(await petrelPrefixes()).toEqual([]);
    } finally {
      batch.close();
      must(["ip", "-n", netns, "route", "del", "198.18.5.0/26", "proto", "89"]);
    }
  });

  it("programs 10,000 routes in one batch and removes them", async () => {
    const batch = new IpBatch({ netns });
    try {
      const prefixes = Array.from({ length: 10_000 }, (_, i) => `198.19.${(i * 4) >> 8}.${(i * 4) & 255}/30`);
      expect(await applyChanges(batch, prefixes.map((p) => via(p)))).toEqual({ exists: [], failed: [] });
      expect((await listRoutes(netns)).petrel.length).toBe(10_000);
      expect(await applyChanges(batch, prefixes.map((prefix) => ({ op: "remove", prefix })))).toEqual({ exists: [], failed: [] });
      expect((await listRoutes(netns)).petrel.length).toBe(0);
    } finally {
      batch.close();
    }
  });

  it("an ip that dies fails the batch in flight as transient, and the next batch starts a new one", async () => {
    const batch = new IpBatch({ netns });
    try {
      await applyChanges(batch, [via("198.18.1.0/26")]);
      const pid = batch.pid as number;
      // Killed while idle: the next batch runs in a new ip.
      process.kill(pid, "SIGKILL");
      await new Promise((r) => setTimeout(r, 200));
      expect(await applyChanges(batch, [via("198.18.3.0/26")])).toEqual({ exists: [], failed: [] });
      expect(batch.pid).not.toBe(pid);
      // Killed in the middle of a batch: that batch fails as transient.
      const big = Array.from({ length: 8192 }, (_, i) => via(`198.18.${128 + ((i * 4) >> 8)}.${(i * 4) & 255}/30`));
      const inFlight = applyChanges(batch, big);
      process.kill(batch.pid as number, "SIGKILL");
      await expect(inFlight).rejects.toBeInstanceOf(TransientError);
      expect(await applyChanges(batch, [{ op: "remove", prefix: "198.18.1.0/26" }, { op: "remove", prefix: "198.18.3.0/26" }])).toEqual({ exists: [], failed: [] });
    } finally {
      batch.close();
      // What the killed batch had added before it died.
      const left = (await listRoutes(netns)).petrel;
      if (left.length > 0) must(["ip", "-n", netns, "route", "flush", "proto", "88"]);
    }
  });
});
