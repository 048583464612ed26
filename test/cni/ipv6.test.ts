// IPv6 and dual-stack pods on real namespaces: what ADD builds on both sides, traffic from the
// first packet (no duplicate address detection to wait for on either end), CHECK and DEL.
import { requirePetrelBuilt } from "../support/cni.ts";
import { inNetns, ipJson, linkExists, requireRoot } from "../rig/netns.ts";
import { assertNoIpRun } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";
import { must } from "../rig/run-process.ts";

interface Link { ifname: string; address: string; mtu: number; operstate: string; addr_info?: Array<{ local: string; prefixlen: number; family: string; scope: string; nodad?: boolean }> }
interface Route { dst: string; gateway?: string; dev: string; protocol?: string }
interface AddResult { interfaces: Array<{ name: string; mac: string; sandbox?: string }>; ips: Array<{ address: string; gateway: string; interface: number }>; routes: Array<{ dst: string; gw?: string }> }

const gateway6 = "fe80::ecee:eeff:feee:eeee";
const nodeAddress6 = "2001:db8:ff::1";
const v6Block = "2001:db8:6::/122";
const v4Block = "198.18.6.0/26";
let node: TestNode;

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("v6");
  must(["ip", "-n", node.name, "addr", "add", `${nodeAddress6}/64`, "dev", "ul0", "nodad"]);
  must(["ip", "-n", node.lan, "addr", "add", "2001:db8:ff::fe/64", "dev", "ul0", "nodad"]);
});
afterAll(() => node?.destroy());

function add(containerId: string, pod: { path: string }, blocks: string[]): AddResult {
  const r = node.plugin({ command: "ADD", config: node.config({ ipam: { blocks } }), containerId, netns: pod.path, ifname: "eth0" });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  return r.json as unknown as AddResult;
}

const sysctl = (path: string): string => inNetns(node.name, ["cat", path]).stdout.trim();
const ping = (from: string, to: string) => inNetns(from, ["ping", "-c", "1", "-W", "2", to]);

describe("an IPv6 pod", () => {
  it("gets a /128 without DAD, a default route via the host veth's link-local, and the host side DESIGN.md lists", () => {
    const pod = node.newPod();
    const result = add("v6-wire", pod, [v6Block]);
    const ip = result.ips[0];
    expect(result.ips).toHaveLength(1);
    expect(ip?.address).toMatch(/^2001:db8:6::([0-9a-f]+)?\/128$/); // the block's first address is usable too
    expect(ip?.gateway).toBe(gateway6);
    expect(result.routes).toEqual([{ dst: "::/0", gw: gateway6 }]);
    const addr = (ip?.address ?? "").replace("/128", "");

    const eth0 = ipJson<Link[]>(pod.name, ["addr", "show", "dev", "eth0"])[0];
    expect(eth0?.addr_info?.filter((a) => a.scope === "global")).toEqual([expect.objectContaining({ local: addr, prefixlen: 128, nodad: true })]);
    expect(ipJson<Route[]>(pod.name, ["-6", "route", "show", "default"])).toEqual([expect.objectContaining({ gateway: gateway6, dev: "eth0" })]);

    const veth = result.interfaces[0]?.name ?? "";
    const hostAddrs = ipJson<Link[]>(node.name, ["-6", "addr", "show", "dev", veth])[0]?.addr_info ?? [];
    expect(hostAddrs).toEqual(expect.arrayContaining([expect.objectContaining({ local: gateway6, prefixlen: 64, scope: "link", nodad: true })]));
    expect(ipJson<Route[]>(node.name, ["-6", "route", "show", "dev", veth, "proto", "89"])).toEqual([expect.objectContaining({ dst: addr })]);
    expect(sysctl(`/proc/sys/net/ipv6/conf/${veth}/proxy_ndp`)).toBe("1");
    expect(sysctl(`/proc/sys/net/ipv6/conf/${veth}/forwarding`)).toBe("1");
    expect(sysctl("/proc/sys/net/ipv6/conf/all/forwarding")).toBe("1");
    expect(node.plugin({ command: "DEL", config: node.config({ ipam: { blocks: [v6Block] } }), containerId: "v6-wire", netns: pod.path, ifname: "eth0" }).status).toBe(0);
    expect(ipJson<Route[]>(node.name, ["-6", "route", "show", "proto", "89"])).toEqual([]);
  });

  it("reaches another pod and the node with its first packet, and CHECK then DEL work", () => {
    const a = node.newPod();
    const b = node.newPod();
    const ra = add("v6-a", a, [v6Block]);
    const rb = add("v6-b", b, [v6Block]);
    const ipB = (rb.ips[0]?.address ?? "").replace("/128", "");
    // One echo each, two seconds at most: the gateway answers at once (no DAD on either end).
    for (const [from, to] of [[a.name, ipB], [a.name, nodeAddress6]] as const) {
      const p = ping(from, to);
      expect({ to, status: p.status, out: p.stdout.slice(-160) }).toEqual(expect.objectContaining({ to, status: 0 }));
    }
    const neigh = ipJson<Array<{ dst: string; lladdr?: string }>>(a.name, ["-6", "neigh", "show", "dev", "eth0"]);
    expect(neigh).toEqual(expect.arrayContaining([expect.objectContaining({ dst: gateway6, lladdr: "ee:ee:ee:ee:ee:ee" })]));

    const check = { command: "CHECK" as const, config: node.config({ ipam: { blocks: [v6Block] }, prevResult: ra }), containerId: "v6-a", netns: a.path, ifname: "eth0" };
    expect(node.plugin(check)).toMatchObject({ status: 0, stdout: "" });
    must(["ip", "-n", a.name, "-6", "route", "del", "default"]);
    expect(node.plugin(check).json).toMatchObject({ code: 103, msg: expect.stringContaining(`default route via ${gateway6} in the pod is missing`) });

    for (const [id, pod] of [["v6-a", a], ["v6-b", b]] as const) {
      expect(node.plugin({ command: "DEL", config: node.config({ ipam: { blocks: [v6Block] } }), containerId: id, netns: pod.path, ifname: "eth0" }).status).toBe(0);
      expect(linkExists("eth0", pod.name)).toBe(false);
    }
    expect(ipJson<Route[]>(node.name, ["-6", "route", "show", "proto", "89"])).toEqual([]);
    expect([...node.records().keys()].filter((k) => k.includes(":"))).toEqual([]);
  });
});

describe("a dual-stack pod", () => {
  it("gets one address per family, both default routes, and is reachable over both", () => {
    const a = node.newPod();
    const b = node.newPod();
    const ra = add("ds-a", a, [v4Block, v6Block]);
    const rb = add("ds-b", b, [v4Block, v6Block]);
    expect(ra.ips.map((ip) => ip.gateway).sort()).toEqual(["169.254.1.1", gateway6]);
    expect(ra.routes).toEqual([{ dst: "0.0.0.0/0", gw: "169.254.1.1" }, { dst: "::/0", gw: gateway6 }]);
    for (const ip of rb.ips) {
      const to = ip.address.split("/")[0] as string;
      const p = ping(a.name, to);
      expect({ to, status: p.status }).toEqual({ to, status: 0 });
    }
    const check = { command: "CHECK" as const, config: node.config({ ipam: { blocks: [v4Block, v6Block] }, prevResult: ra }), containerId: "ds-a", netns: a.path, ifname: "eth0" };
    expect(node.plugin(check)).toMatchObject({ status: 0, stdout: "" });
    for (const [id, pod] of [["ds-a", a], ["ds-b", b]] as const) {
      expect(node.plugin({ command: "DEL", config: node.config({ ipam: { blocks: [v4Block, v6Block] } }), containerId: id, netns: pod.path, ifname: "eth0" }).status).toBe(0);
    }
    expect(node.podRoutes()).toEqual([]);
    expect(node.records().size).toBe(0);
  });
});

test("the plugin ran no ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
