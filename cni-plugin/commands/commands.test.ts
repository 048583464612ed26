import { parseCidr } from "../../common/cidr.ts";
import { CniCode, CniError } from "../cni-error.ts";
import type { CniEnv } from "../env.ts";
import { parseNetConf } from "../netconf.ts";
import { cniErrorOf as caught } from "../testing/cni-error-of.ts";
import { fakeWorld } from "../testing/fake-deps.ts";
import { hostVethName } from "../veth-name.ts";
import { cmdAdd } from "./add.ts";
import { cmdCheck } from "./check.ts";
import { cmdDel } from "./del.ts";
import { cmdGc } from "./gc.ts";
import { cmdStatus } from "./status.ts";

const conf = parseNetConf({ cniVersion: "1.1.0", name: "net", type: "petrel", ipam: { blocks: ["198.18.0.0/31"] } });
const env = (containerId: string, command: CniEnv["command"] = "ADD"): CniEnv =>
  ({ command, containerId, netns: `/var/run/netns/${containerId}`, ifname: "eth0", args: {} });

describe("ADD", () => {
  it("reads the blocks and reserves under the alloc lock, and holds the gate shared until the record is durable", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    const result = cmdAdd(env("a"), conf, w.deps);
    expect(result.ips).toEqual([{ address: "198.18.0.0/32", gateway: "169.254.1.1", interface: 1 }]);
    expect(w.calls).toEqual([
      "lock alloc exclusive", "lock gate shared", "blocks", "reserve 198.18.0.0", "unlock alloc",
      `wire ${hostVethName("net", "a", "eth0")}`, "sync", "unlock gate",
    ]);
  });

  it("records the pod the runtime names in CNI_ARGS", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    cmdAdd({ ...env("a"), args: { K8S_POD_NAMESPACE: "ns", K8S_POD_NAME: "web", K8S_POD_UID: "u-1" } }, conf, w.deps);
    expect([...w.records.values()][0]?.pod).toEqual({ namespace: "ns", name: "web", uid: "u-1" });
  });

  it("releases both locks when reading the blocks fails", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    w.deps.blocks = { current: () => { throw new CniError(CniCode.stateFailure, "/state/blocks.json: is not valid JSON"); } };
    expect(caught(() => cmdAdd(env("a"), conf, w.deps)).code).toBe(CniCode.stateFailure);
    expect(w.lockHeld()).toBe(false);
    expect(w.records.size).toBe(0);
  });

  it("gives a retried ADD of the same attachment the same address", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    const first = cmdAdd(env("a"), conf, w.deps);
    const again = cmdAdd(env("a"), conf, w.deps);
    expect(again.ips).toEqual(first.ips);
    expect(w.records.size).toBe(1);
  });

  it("rolls back the veth and the address when wiring fails", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    w.failWireWith = new CniError(CniCode.dataplaneFailure, "kernel said no");
    const err = caught(() => cmdAdd(env("a"), conf, w.deps));
    expect(err.message).toBe("kernel said no");
    expect(w.records.size).toBe(0);
    expect(w.veths.size).toBe(0);
    expect(w.lockHeld()).toBe(false);
  });

  it("reports a full node with code 100 naming the blocks when blocks are pinned", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    cmdAdd(env("a"), conf, w.deps);
    cmdAdd(env("b"), conf, w.deps);
    const err = caught(() => cmdAdd(env("c"), conf, w.deps));
    expect(err.code).toBe(CniCode.ipamExhausted);
    expect(err.message).toBe("no free IPv4 address on this node: every block is full: 198.18.0.0/31 (2 of 2 in use)");
    expect(err.details).toMatch(/ipam.blocks/);
    expect(w.lockHeld()).toBe(false);
    expect(w.veths.size).toBe(2);
  });

  it("reports a full node as try-again-later (11) when the agent hands out blocks", () => {
    const w = fakeWorld(["198.18.0.0/32"], false);
    cmdAdd(env("a"), conf, w.deps);
    const err = caught(() => cmdAdd(env("b"), conf, w.deps));
    expect(err.code).toBe(CniCode.tryAgainLater);
    expect(err.kind).toBe("transient");
  });

  it("refuses a missing netns before touching anything (code 4)", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    const err = caught(() => cmdAdd({ ...env("a"), netns: "/proc/999999/ns/net" }, conf, w.deps));
    expect(err.code).toBe(CniCode.invalidEnvironment);
    expect(err.message).toMatch(/^CNI_NETNS: "\/proc\/999999\/ns\/net" does not exist/);
    expect(w.calls).toEqual([]);
  });

  it("refuses to run after another IP-assigning plugin", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    const chained = { ...conf, prevResult: { ips: [{ address: "198.19.0.1/24" }] } };
    expect(caught(() => cmdAdd(env("a"), chained, w.deps)).message).toMatch(/petrel must be the first plugin/);
  });
});

describe("DEL", () => {
  it("removes the veth before freeing the address, and is idempotent", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    cmdAdd(env("a"), conf, w.deps);
    w.calls.length = 0;
    cmdDel(env("a", "DEL"), conf, w.deps);
    expect(w.calls).toEqual(["lock gate shared", `unwire ${hostVethName("net", "a", "eth0")}`, "release 198.18.0.0", "sync", "unlock gate"]);
    cmdDel(env("a", "DEL"), conf, w.deps);
    expect(w.records.size).toBe(0);
  });

  it("frees only the named attachment", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    cmdAdd(env("a"), conf, w.deps);
    cmdAdd(env("b"), conf, w.deps);
    cmdDel(env("a", "DEL"), conf, w.deps);
    expect([...w.records.values()].map((r) => r.containerId)).toEqual(["b"]);
  });
});

describe("CHECK", () => {
  it("passes after ADD and fails with 103 when the wiring is gone", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    const result = cmdAdd(env("a"), conf, w.deps);
    const withPrev = { ...conf, prevResult: result as unknown as Record<string, unknown> };
    expect(() => cmdCheck(env("a", "CHECK"), withPrev, w.deps)).not.toThrow();
    w.veths.clear();
    const err = caught(() => cmdCheck(env("a", "CHECK"), withPrev, w.deps));
    expect(err.code).toBe(CniCode.checkFailed);
    expect(err.message).toMatch(/host veth ptl[0-9a-f]{12} is missing/);
  });

  it("fails when prevResult disagrees with the allocation", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    cmdAdd(env("a"), conf, w.deps);
    const lying = { ...conf, prevResult: { ips: [{ address: "198.18.0.1/32" }] } };
    expect(caught(() => cmdCheck(env("a", "CHECK"), lying, w.deps)).message).toMatch(/prevResult lists 198.18.0.1\/32 but Petrel allocated 198.18.0.0/);
  });
});

describe("GC", () => {
  it("frees every allocation of this network that is not listed as valid", () => {
    const w = fakeWorld(["198.18.0.0/30"]);
    for (const id of ["a", "b", "c"]) cmdAdd(env(id), conf, w.deps);
    const other = { ...conf, name: "other" };
    cmdAdd(env("d"), other, w.deps);
    const freed = cmdGc({ ...conf, validAttachments: [{ containerId: "b", ifname: "eth0" }] }, w.deps);
    expect(freed).toBe(2);
    expect([...w.records.values()].map((r) => `${r.network}/${r.containerId}`).sort()).toEqual(["net/b", "other/d"]);
    expect(w.veths.has(hostVethName("net", "a", "eth0"))).toBe(false);
    expect(w.lockHeld()).toBe(false);
  });

  it("reads a missing list as an empty one (as libcni and the reference plugins do), under both locks exclusively", () => {
    const w = fakeWorld(["198.18.0.0/30"]);
    cmdAdd(env("a"), conf, w.deps);
    w.now = 10 * 60_000;
    w.calls.length = 0;
    expect(cmdGc(conf, w.deps, () => w.now)).toBe(1);
    expect(w.records.size).toBe(0);
    expect(w.calls[0]).toBe("lock alloc exclusive");
    expect(w.calls[1]).toBe("lock gate exclusive");
    expect(w.calls.slice(-2)).toEqual(["unlock gate", "unlock alloc"]);
  });

  it("keeps a record reserved less than a minute ago: the runtime's list may predate its ADD", () => {
    const w = fakeWorld(["198.18.0.0/30"]);
    w.now = 1_000_000;
    cmdAdd(env("a"), conf, w.deps);
    expect(cmdGc({ ...conf, validAttachments: [] }, w.deps, () => w.now + 59_000)).toBe(0);
    expect(w.records.size).toBe(1);
    expect(cmdGc({ ...conf, validAttachments: [] }, w.deps, () => w.now + 60_000)).toBe(1);
  });

  it("counts a record from the future (the clock stepped back) as old", () => {
    const w = fakeWorld(["198.18.0.0/30"]);
    w.now = 1_000_000;
    cmdAdd(env("a"), conf, w.deps);
    expect(cmdGc({ ...conf, validAttachments: [] }, w.deps, () => w.now - 3_600_000)).toBe(1);
  });
});

describe("STATUS", () => {
  it("is ready while an address is free and answers 50 when the node is full", () => {
    const w = fakeWorld(["198.18.0.0/32"]);
    expect(() => cmdStatus(w.deps)).not.toThrow();
    cmdAdd(env("a"), conf, w.deps);
    expect(caught(() => cmdStatus(w.deps)).code).toBe(CniCode.pluginNotAvailable);
  });

  it("does not count records of a block the node no longer holds", () => {
    const w = fakeWorld(["198.18.0.0/31"]);
    cmdAdd(env("a"), conf, w.deps);
    cmdAdd(env("b"), conf, w.deps);
    expect(caught(() => cmdStatus(w.deps)).code).toBe(CniCode.pluginNotAvailable);
    // The block was drained and replaced by a /31 elsewhere: its two records use none of it.
    w.deps.blocks = { current: () => ({ blocks: [parseCidr("198.18.1.0/31")], pinned: false, source: "/state/blocks.json" }) };
    expect(() => cmdStatus(w.deps)).not.toThrow();
  });
});
