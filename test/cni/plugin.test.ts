// The plugin on real network namespaces: what ADD builds, CHECK, DEL, GC and pod traffic.
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { reapRetiredPairs } from "../../bgp/agent/host/retired-pairs.ts";
import { requirePetrelBuilt } from "../support/cni.ts";
import { inNetns, ipJson, linkExists, requireRoot } from "../rig/netns.ts";
import { assertNoIpRun } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";

interface Link { ifname: string; address: string; mtu: number; operstate: string; addr_info?: Array<{ local: string; prefixlen: number; family: string }> }
interface Route { dst: string; gateway?: string; dev: string; scope?: string; protocol?: string }

let node: TestNode;

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("plugin");
});
afterAll(() => node?.destroy());

function add(containerId: string, pod: { path: string }, config = node.config()) {
  return node.plugin({ command: "ADD", config, containerId, netns: pod.path, ifname: "eth0", args: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + containerId });
}

function nodeSysctl(path: string): string {
  return inNetns(node.name, ["cat", path]).stdout.trim();
}

describe("ADD", () => {
  it("wires the pod as DESIGN.md says, on both sides", () => {
    const pod = node.newPod();
    const r = add("wire-1", pod, node.config({ mtu: 1400 }));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = r.json as { cniVersion: string; interfaces: Array<{ name: string; mac: string; sandbox?: string }>; ips: Array<{ address: string; gateway: string; interface: number }> };
    expect(result.cniVersion).toBe("1.0.0");
    const [hostIf, podIf] = result.interfaces;
    const ip = result.ips[0]?.address ?? "";
    expect(ip).toMatch(/^198\.18\.0\.\d+\/32$/);
    expect(result.ips[0]?.gateway).toBe("169.254.1.1");
    expect(podIf?.sandbox).toBe(pod.path);

    // Pod side: eth0 with the /32, MTU, link route to the gateway and default route.
    const eth0 = ipJson<Link[]>(pod.name, ["addr", "show", "dev", "eth0"])[0];
    expect(eth0?.mtu).toBe(1400);
    expect(eth0?.operstate).toBe("UP");
    expect(eth0?.address).toBe(podIf?.mac);
    expect(eth0?.addr_info?.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual([ip]);
    const podRoutes = ipJson<Route[]>(pod.name, ["route", "show"]);
    expect(podRoutes).toEqual(expect.arrayContaining([
      expect.objectContaining({ dst: "default", gateway: "169.254.1.1", dev: "eth0" }),
      expect.objectContaining({ dst: "169.254.1.1", dev: "eth0", scope: "link" }),
    ]));

    // Host side: fixed MAC, no address, proxy ARP without delay, forwarding, /32 route.
    const veth = ipJson<Link[]>(node.name, ["addr", "show", "dev", hostIf?.name ?? "?"])[0];
    expect(hostIf?.name).toMatch(/^ptl[0-9a-f]{12}$/);
    expect(veth?.address).toBe("ee:ee:ee:ee:ee:ee");
    expect(veth?.mtu).toBe(1400);
    expect(veth?.addr_info?.filter((a) => a.family === "inet")).toEqual([]);
    expect(nodeSysctl(`/proc/sys/net/ipv4/conf/${hostIf?.name}/proxy_arp`)).toBe("1");
    expect(nodeSysctl(`/proc/sys/net/ipv4/neigh/${hostIf?.name}/proxy_delay`)).toBe("0");
    expect(nodeSysctl(`/proc/sys/net/ipv4/conf/${hostIf?.name}/forwarding`)).toBe("1");
    const hostRoutes = ipJson<Route[]>(node.name, ["route", "show", "dev", hostIf?.name ?? "?"]);
    expect(hostRoutes).toEqual([expect.objectContaining({ dst: ip.replace("/32", ""), scope: "link" })]);
    expect(node.records().get(ip.replace("/32", ""))).toBe("petrel-test/wire-1/eth0");
  });

  it("answers in the caller's spec version (0.4.0 carries ip versions)", () => {
    const pod = node.newPod();
    const r = add("v040", pod, node.config({ cniVersion: "0.4.0" }));
    expect(r.status).toBe(0);
    expect(r.json?.["cniVersion"]).toBe("0.4.0");
    expect((r.json?.["ips"] as Array<{ version: string }>)[0]?.version).toBe("4");
  });
});

describe("pod traffic", () => {
  it("two pods on one node ping each other and the node", () => {
    const a = node.newPod();
    const b = node.newPod();
    const ipA = ((add("ping-a", a).json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", "");
    const ipB = ((add("ping-b", b).json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", "");
    expect(ipA).not.toBe(ipB);
    for (const [from, to] of [[a.name, ipB], [b.name, ipA], [a.name, node.address]] as const) {
      const ping = inNetns(from, ["ping", "-c", "2", "-i", "0.2", "-W", "2", to]);
      expect({ to, status: ping.status, out: ping.stdout.slice(-200) }).toEqual(expect.objectContaining({ to, status: 0 }));
    }
    // The gateway MAC the pod learned is the host veth's fixed MAC (proxy ARP answered).
    const neigh = ipJson<Array<{ dst: string; lladdr?: string }>>(a.name, ["neigh", "show", "dev", "eth0"]);
    expect(neigh).toEqual(expect.arrayContaining([expect.objectContaining({ dst: "169.254.1.1", lladdr: "ee:ee:ee:ee:ee:ee" })]));
  });
});

describe("CHECK", () => {
  it("passes after ADD and fails once a route is removed", () => {
    const pod = node.newPod();
    const added = add("check-1", pod);
    expect(added.status).toBe(0);
    const call = { command: "CHECK" as const, config: node.config({ prevResult: added.json }), containerId: "check-1", netns: pod.path, ifname: "eth0" };
    const ok = node.plugin(call);
    expect({ status: ok.status, stdout: ok.stdout }).toEqual({ status: 0, stdout: "" });
    expect(inNetns(pod.name, ["ip", "route", "del", "default"]).status).toBe(0);
    const bad = node.plugin(call);
    expect(bad.status).not.toBe(0);
    expect(bad.json).toMatchObject({ code: 103, msg: expect.stringContaining("default route via 169.254.1.1 in the pod is missing") });
  });
});

describe("DEL", () => {
  /** The node's links in group 89. iproute2 6.1's `ip -j link show group N` prints {} for every link outside the group. */
  const retiredGroup = (): Link[] =>
    ipJson<Array<Partial<Link>>>(node.name, ["link", "show", "group", "89"]).filter((l): l is Link => l.ifname !== undefined);

  it("removes veth, route and allocation; a second DEL succeeds with nothing to do", () => {
    const pod = node.newPod();
    const added = add("del-1", pod);
    const veth = (added.json?.["interfaces"] as Array<{ name: string }>)[0]?.name ?? "";
    const ip = ((added.json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", "");
    expect(linkExists(veth, node.name)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const del = node.plugin({ command: "DEL", config: node.config(), containerId: "del-1", netns: pod.path, ifname: "eth0" });
      expect({ status: del.status, stdout: del.stdout, stderr: del.stderr }).toEqual({ status: 0, stdout: "", stderr: "" });
    }
    expect(linkExists(veth, node.name)).toBe(false);
    expect(linkExists("eth0", pod.name)).toBe(false);
    expect(node.podRoutes()).not.toContain(ip);
    expect(node.records().has(ip)).toBe(false);
    // Nothing reaches the old pod through the node: the route to its address is the node's default.
    expect(ipJson<Route[]>(node.name, ["route", "get", ip])).toEqual([expect.objectContaining({ dev: "ul0" })]);
  });

  it("retires the pair at once (down, renamed, link group 89) and a later DEL destroys all retired pairs in one batch", () => {
    const pods = [node.newPod(), node.newPod()];
    const addresses: string[] = [];
    const retired = pods.map((pod, i) => {
      const added = add(`retire-${i}`, pod);
      const veth = (added.json?.["interfaces"] as Array<{ name: string }>)[0]?.name ?? "";
      addresses.push(((added.json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", ""));
      expect(node.plugin({ command: "DEL", config: node.config(), containerId: `retire-${i}`, netns: pod.path, ifname: "eth0" }).status).toBe(0);
      return `ptx${veth.slice(3)}`;
    });
    const group = retiredGroup();
    expect(group.map((l) => l.ifname)).toEqual(expect.arrayContaining(retired));
    for (const l of group) expect(l.operstate).toBe("DOWN");
    expect(ipJson<Link[]>(pods[0]?.name ?? "", ["link", "show"]).map((l) => l.ifname)).toEqual(["lo", retired[0]]);
    // No route to the retired pods, and none through a retired device (this file's other pods keep theirs).
    const podRoutes = ipJson<Route[]>(node.name, ["route", "show", "proto", "89"]);
    expect(podRoutes.filter((r) => addresses.includes(r.dst) || group.some((l) => l.ifname === r.dev))).toEqual([]);
    for (const ip of addresses) expect(ipJson<Route[]>(node.name, ["route", "get", ip])).toEqual([expect.objectContaining({ dev: "ul0" })]);

    // Within the reap window a DEL leaves them; once the oldest is older than 10 s, the next DEL destroys every one.
    const stamp = `${node.stateDir}/retired-veths.since`;
    expect(existsSync(stamp)).toBe(true);
    utimesSync(stamp, new Date(), new Date()); // as if the oldest retired pair were this test's
    expect(node.plugin({ command: "DEL", config: node.config(), containerId: "nothing-here", ifname: "eth0" }).status).toBe(0);
    expect(retiredGroup()).not.toEqual([]);
    const past = new Date(Date.now() - 11_000);
    utimesSync(stamp, past, past);
    expect(node.plugin({ command: "DEL", config: node.config(), containerId: "nothing-here", ifname: "eth0" }).status).toBe(0);
    expect(retiredGroup()).toEqual([]);
    expect(ipJson<Link[]>(pods[0]?.name ?? "", ["link", "show"]).map((l) => l.ifname)).toEqual(["lo"]);
    expect(existsSync(stamp)).toBe(false);
  });

  it("the agent destroys retired pairs once due, even when no DEL follows (bgp/agent/host/retired-pairs.ts)", async () => {
    const pod = node.newPod();
    const added = add("reaped-by-agent", pod);
    const veth = (added.json?.["interfaces"] as Array<{ name: string }>)[0]?.name ?? "";
    expect(node.plugin({ command: "DEL", config: node.config(), containerId: "reaped-by-agent", netns: pod.path, ifname: "eth0" }).status).toBe(0);
    expect(retiredGroup().map((l) => l.ifname)).toContain(`ptx${veth.slice(3)}`);
    const stamp = `${node.stateDir}/retired-veths.since`;
    expect(await reapRetiredPairs(node.name, node.stateDir)).toBe(false); // not due yet
    const past = new Date(Date.now() - 11_000);
    utimesSync(stamp, past, past);
    expect(await reapRetiredPairs(node.name, node.stateDir)).toBe(true);
    expect(retiredGroup()).toEqual([]);
    expect(ipJson<Link[]>(pod.name, ["link", "show"]).map((l) => l.ifname)).toEqual(["lo"]);
    expect(existsSync(stamp)).toBe(false);
    expect(await reapRetiredPairs(node.name, node.stateDir)).toBe(false);
  });

  it("lets a new ADD into the same netns follow a DEL at once, for a new container or the same one", () => {
    // The node is shared by this file's tests: earlier ones leave their pods wired.
    const vethsBefore = node.veths();
    const routesBefore = node.podRoutes();
    const pod = node.newPod();
    for (const id of ["again-1", "again-2", "again-2", "again-1"]) {
      const added = add(id, pod);
      expect({ id, status: added.status, out: added.stdout }).toEqual(expect.objectContaining({ id, status: 0 }));
      const ip = ((added.json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", "");
      expect(ipJson<Link[]>(pod.name, ["addr", "show", "dev", "eth0"])[0]?.addr_info?.[0]?.local).toBe(ip);
      expect(inNetns(pod.name, ["ping", "-c", "1", "-W", "2", node.address]).status).toBe(0);
      expect(node.plugin({ command: "DEL", config: node.config(), containerId: id, netns: pod.path, ifname: "eth0" }).status).toBe(0);
    }
    expect(node.veths()).toEqual(vethsBefore);
    expect(node.podRoutes()).toEqual(routesBefore);
  });

  it("after a DEL without CNI_NETNS (pod end not renamed), a new ADD into that netns renames the old end itself", () => {
    const pod = node.newPod();
    const first = add("no-netns-1", pod);
    const oldVeth = (first.json?.["interfaces"] as Array<{ name: string }>)[0]?.name ?? "";
    expect(node.plugin({ command: "DEL", config: node.config(), containerId: "no-netns-1", ifname: "eth0" }).status).toBe(0);
    expect(linkExists("eth0", pod.name)).toBe(true); // DEL could not reach it: only the host end was retired
    const second = add("no-netns-2", pod);
    expect({ status: second.status, stdout: second.stdout }).toEqual(expect.objectContaining({ status: 0 }));
    expect(ipJson<Link[]>(pod.name, ["link", "show"]).map((l) => l.ifname).sort()).toEqual(["eth0", "lo", `ptx${oldVeth.slice(3)}`]);
    expect(inNetns(pod.name, ["ping", "-c", "1", "-W", "2", node.address]).status).toBe(0);
    expect(node.plugin({ command: "DEL", config: node.config(), containerId: "no-netns-2", netns: pod.path, ifname: "eth0" }).status).toBe(0);
  });

  it("succeeds when the netns is already gone, and frees the address", () => {
    const pod = node.newPod();
    const added = add("del-gone", pod);
    const ip = ((added.json?.["ips"] as Array<{ address: string }>)[0]?.address ?? "").replace("/32", "");
    node.ns.remove(pod.name);
    const del = node.plugin({ command: "DEL", config: node.config(), containerId: "del-gone", netns: pod.path, ifname: "eth0" });
    expect(del.status).toBe(0);
    expect(node.records().has(ip)).toBe(false);
  });

  it("succeeds for a container it never saw, without a netns", () => {
    const del = node.plugin({ command: "DEL", config: node.config(), containerId: "never-added", ifname: "eth0" });
    expect({ status: del.status, stdout: del.stdout }).toEqual({ status: 0, stdout: "" });
  });
});

describe("GC", () => {
  it("frees every attachment of the network that is not listed as valid", () => {
    const gcNode = new TestNode("gc", "192.0.2.2");
    try {
      const pods = ["gc-a", "gc-b", "gc-c"].map((id) => ({ id, pod: gcNode.newPod() }));
      for (const { id, pod } of pods) {
        expect(gcNode.plugin({ command: "ADD", config: gcNode.config(), containerId: id, netns: pod.path, ifname: "eth0" }).status).toBe(0);
      }
      expect(gcNode.veths()).toHaveLength(3);
      gcNode.ageRecords();
      const gc = gcNode.plugin({ command: "GC", config: gcNode.config({ cniVersion: "1.1.0", "cni.dev/valid-attachments": [{ containerID: "gc-b", ifname: "eth0" }] }) });
      expect({ status: gc.status, stdout: gc.stdout }).toEqual({ status: 0, stdout: "" });
      expect([...gcNode.records().values()]).toEqual(["petrel-test/gc-b/eth0"]);
      expect(gcNode.veths()).toHaveLength(1);
      expect(gcNode.podRoutes()).toHaveLength(1);
    } finally {
      gcNode.destroy();
    }
  });
});

describe("VERSION and STATUS", () => {
  it("VERSION lists the supported versions", () => {
    const r = node.plugin({ command: "VERSION", config: { cniVersion: "1.1.0" } });
    expect(r.json).toEqual({ cniVersion: "1.1.0", supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
  });

  it("STATUS is ready with pinned blocks, and answers 50 while the agent has written no blocks", () => {
    expect(node.plugin({ command: "STATUS", config: node.config({ cniVersion: "1.1.0" }) })).toMatchObject({ status: 0, stdout: "" });
    const noBlocks = node.plugin({ command: "STATUS", config: node.config({ cniVersion: "1.1.0", ipam: {} }) });
    expect(noBlocks.json).toMatchObject({ code: 50, msg: expect.stringContaining("no address blocks yet") });
  });

  it("uses the agent's blocks file when no blocks are pinned", () => {
    const blocksFile = `${node.stateDir}/blocks.json`;
    writeFileSync(blocksFile, JSON.stringify({ version: 1, node: "n1", blocks: [{ cidr: "198.18.1.0/26", pool: "default" }], updated: new Date().toISOString() }));
    const pod = node.newPod();
    const r = node.plugin({ command: "ADD", config: node.config({ ipam: {} }), containerId: "from-agent", netns: pod.path, ifname: "eth0" });
    expect((r.json?.["ips"] as Array<{ address: string }>)[0]?.address).toMatch(/^198\.18\.1\.\d+\/32$/);
    expect(readFileSync(blocksFile, "utf8")).toContain("198.18.1.0/26");
  });
});

test("the plugin ran no ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
