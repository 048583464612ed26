// The plugin's netlink data plane against an independent oracle: the same attachment wired by
// iproute2 (test/support/iproute2-wiring.ts). For IPv4, IPv6 and dual-stack blocks, the kernel
// state both leave behind must be the same: links (MAC, MTU, flags, kind, peer's netns), addresses,
// every route through the interfaces in every table (protocol, scope, type), and every sysctl
// of both interfaces. Only what the kernel numbers afresh each time (ifindexes) is left out.
import { parseAddress, type IpAddress } from "../../common/cidr.ts";
import type { PodWiring } from "../../cni-plugin/pod-wiring.ts";
import { containerMac, hostVethName } from "../../cni-plugin/veth-name.ts";
import { requirePetrelBuilt } from "../support/cni.ts";
import { iproute2Wire } from "../support/iproute2-wiring.ts";
import { ipJson, linkExists, requireRoot } from "../rig/netns.ts";
import { assertNoIpRun } from "../rig/no-ip-path.ts";
import { TestNode } from "../support/node.ts";
import { must } from "../rig/run-process.ts";

let node: TestNode;

beforeAll(() => {
  requireRoot();
  requirePetrelBuilt();
  node = new TestNode("oracle");
});
afterAll(() => node?.destroy());

type Json = Record<string, unknown>;

/** Drops what the kernel assigns anew on every creation, and DAD's passing state. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (["ifindex", "link_index", "link", "tentative", "valid_life_time", "preferred_life_time"].includes(k)) continue;
    out[k] = normalized(v);
  }
  return out;
}

function sysctls(netns: string, ifname: string): Record<string, string> {
  const script = `for f in /proc/sys/net/ipv4/conf/${ifname}/* /proc/sys/net/ipv4/neigh/${ifname}/* ` +
    `/proc/sys/net/ipv6/conf/${ifname}/* /proc/sys/net/ipv6/neigh/${ifname}/*; do echo "$f=$(cat $f 2>/dev/null)"; done`;
  const out: Record<string, string> = {};
  for (const line of must(["ip", "netns", "exec", netns, "sh", "-c", script]).trim().split("\n")) {
    const eq = line.indexOf("=");
    out[line.slice(0, eq).replace(`/${ifname}/`, "/IF/")] = line.slice(eq + 1);
  }
  return out;
}

function routes(netns: string, ifname: string): unknown[] {
  const all = [...ipJson<Json[]>(netns, ["-d", "-4", "route", "show", "table", "all", "dev", ifname]),
    ...ipJson<Json[]>(netns, ["-d", "-6", "route", "show", "table", "all", "dev", ifname])];
  return all.map(normalized).map((r) => JSON.stringify(r)).sort();
}

function side(netns: string, ifname: string): Json {
  const link = ipJson<Json[]>(netns, ["-d", "link", "show", "dev", ifname])[0];
  const addr = ipJson<Array<{ addr_info?: unknown[] }>>(netns, ["addr", "show", "dev", ifname])[0];
  return {
    link: normalized(link),
    addresses: (addr?.addr_info ?? []).map(normalized).map((a) => JSON.stringify(a)).sort(),
    routes: routes(netns, ifname),
    sysctls: sysctls(netns, ifname),
  };
}

function kernelState(w: PodWiring, podNetns: string): Json {
  return { host: side(node.name, w.hostVeth), pod: side(podNetns, w.ifname) };
}

const cases: Array<{ name: string; blocks: string[] }> = [
  { name: "IPv4", blocks: ["198.18.4.0/26"] },
  { name: "IPv6", blocks: ["2001:db8:4::/122"] },
  { name: "dual stack", blocks: ["198.18.5.0/26", "2001:db8:5::/122"] },
];

describe.each(cases)("$name: ADD leaves the kernel as the iproute2 oracle does", ({ name, blocks }) => {
  it("links, addresses, routes (protocol, scope, table) and sysctls match", () => {
    const pod = node.newPod();
    const containerId = `oracle-${name.replace(" ", "-")}`;
    const config = node.config({ mtu: 1400, ipam: { blocks } });
    const added = node.plugin({ command: "ADD", config, containerId, netns: pod.path, ifname: "eth0" });
    expect({ status: added.status, stderr: added.stderr }).toEqual({ status: 0, stderr: "" });
    const addresses: IpAddress[] = (added.json?.["ips"] as Array<{ address: string }>).map((ip) => parseAddress(ip.address.split("/")[0] as string));
    expect(addresses.map((a) => a.family).sort()).toEqual(blocks.map((b) => (b.includes(":") ? 6 : 4)).sort());
    const w: PodWiring = {
      netns: pod.path, ifname: "eth0", mtu: 1400, addresses,
      hostVeth: hostVethName("petrel-test", containerId, "eth0"),
      containerMac: containerMac("petrel-test", containerId, "eth0"),
    };
    const byPlugin = kernelState(w, pod.name);

    const del = node.plugin({ command: "DEL", config, containerId, netns: pod.path, ifname: "eth0" });
    expect(del.status).toBe(0);
    expect(linkExists(w.hostVeth, node.name)).toBe(false);
    expect(linkExists("eth0", pod.name)).toBe(false);

    iproute2Wire(w, node.name, pod.name);
    try {
      expect(byPlugin).toEqual(kernelState(w, pod.name));
      // And the comparison compared something: Petrel's route, MAC and sysctls are in it.
      expect((byPlugin["host"] as { routes: string[] }).routes.filter((r) => r.includes('"protocol":"89"'))).toHaveLength(addresses.length);
      expect((byPlugin["host"] as Json)["link"]).toMatchObject({ address: "ee:ee:ee:ee:ee:ee", mtu: 1400, linkinfo: { info_kind: "veth" } });
    } finally {
      must(["ip", "-n", node.name, "link", "del", "dev", w.hostVeth]);
    }
  });
});

test("the plugin ran no ip or nsenter (PATH had only traps for them)", () => {
  assertNoIpRun();
});
