import { encodeRecordTarget } from "../../common/allocation-record.ts";
import { parseAddress } from "../../common/cidr.ts";
import { hostVethName } from "../../common/pod-veth.ts";
import { addressReport, nodeFacts, parseIpFlag, renderAddressReport, type NodeRawFacts } from "./address-report.ts";
import { block, pod, pool } from "./testing/objects.ts";

const pools = [pool("default", "198.18.0.0/16")];
const blocks = [block("198.18.0.0/26", "node-a", "default", 2), block("198.18.0.64/26", "node-b", "default", 0)];
const container = "c0ffee";
const veth = hostVethName("petrel", container, "eth0");
const raw = (over: Partial<NodeRawFacts> = {}): NodeRawFacts => ({
  node: "node-a",
  stateDir: "/var/lib/petrel",
  record: `petrel/${container}/eth0`,
  routes: [{ dst: "198.18.0.5", dev: veth, scope: "link", protocol: "89" }],
  link: { ifname: veth, operstate: "UP" },
  ...over,
});
const report = (ip: string, node: ReturnType<typeof nodeFacts> | { unavailable: string } | undefined, pods = [pod("default/web-1", "node-a", ["198.18.0.5"])]) =>
  addressReport(parseIpFlag(ip), ip, { pools, blocks, pods, node });

test("a pod's address: pool, block, node, pod, record, veth and route all agree", () => {
  const r = report("198.18.0.5", nodeFacts(raw()));
  expect(r.findings).toEqual([]);
  expect(r.inUse).toBe(true);
  expect(r.pool).toEqual({ name: "default", cidr: "198.18.0.0/16", disabled: false });
  expect(r.block).toMatchObject({ cidr: "198.18.0.0/26", node: "node-a", allocated: 2, capacity: 64 });
  expect(r.pods).toEqual([{ namespace: "default", name: "web-1", node: "node-a", phase: "Running" }]);
  const text = renderAddressReport(r);
  expect(text).toContain(`HOST VETH   ${veth} (UP)\n`);
  expect(text).toContain(`ROUTE       present: 198.18.0.5 dev ${veth} scope link proto 89\n`);
  expect(text).not.toContain("WARNING");
});

test("an address outside every pool, and one in a pool but in no block", () => {
  expect(report("192.0.2.1", undefined, []).findings).toEqual(["192.0.2.1 is in no IPPool (default 198.18.0.0/16): it is not a Petrel pod address"]);
  expect(report("198.18.1.1", undefined, []).findings[0]).toMatch(/^198\.18\.1\.1 is in pool default but in no IPAMBlock/);
  expect(report("198.18.1.1", undefined, []).inUse).toBe(false);
});

test("the node's word: a missing route, a missing veth, a wrong device, a leaked or missing record", () => {
  expect(report("198.18.0.5", nodeFacts(raw({ routes: [] }))).findings).toEqual([expect.stringMatching(/^no route to 198\.18\.0\.5 on node node-a: the pod cannot be reached/)]);
  expect(report("198.18.0.5", nodeFacts(raw({ link: undefined }))).findings).toEqual([`the pod's host veth ${veth} does not exist on node node-a`]);
  expect(report("198.18.0.5", nodeFacts(raw({ routes: [{ dst: "198.18.0.5", dev: "eth9" }] }))).findings).toEqual([`the route to 198.18.0.5 on node node-a leads to eth9, not to the pod's veth ${veth}`]);
  expect(report("198.18.0.5", nodeFacts(raw()), []).findings).toEqual([expect.stringMatching(/holds 198\.18\.0\.5 for petrel\/c0ffee\/eth0 but no pod reports it: a leaked allocation/)]);
  expect(report("198.18.0.5", nodeFacts(raw({ record: undefined, link: undefined }))).findings).toEqual([expect.stringMatching(/has no allocation record for 198\.18\.0\.5, yet a pod reports it/)]);
});

test("a pod on another node than its block's, and a node that cannot be asked", () => {
  const r = report("198.18.0.5", { unavailable: "no Petrel pod runs on node-a" }, [pod("default/web-1", "node-b", ["198.18.0.5"])]);
  expect(r.findings).toEqual([
    "pod default/web-1 runs on node-b, but block 198.18.0.0/26 belongs to node-a: its traffic is routed to the wrong node",
    "no facts from node node-a: no Petrel pod runs on node-a",
  ]);
  expect(renderAddressReport(r)).toContain("RECORD      unavailable: no Petrel pod runs on node-a\n");
});

test("hostNetwork pods share the node's address and never count", () => {
  expect(report("198.18.0.5", undefined, [pod("kube-system/agent", "node-a", ["198.18.0.5"], { hostNetwork: true })]).pods).toEqual([]);
});

test("--ip takes one address", () => {
  expect(parseIpFlag("2001:db8::1").family).toBe(6);
  expect(() => parseIpFlag("198.18.0.0/26")).toThrow('--ip: "198.18.0.0/26" is not an IPv4 or IPv6 address');
  expect(() => parseIpFlag(undefined)).toThrow("--ip: is required");
});

test("a format-2 record (what the plugin writes today) names the same veth and the pod", () => {
  const target = encodeRecordTarget({ address: parseAddress("198.18.0.5"), network: "petrel", containerId: container, ifname: "eth0", pod: { namespace: "default", name: "web-1", uid: "u-1" } });
  const f = nodeFacts(raw({ record: target }));
  expect(f.hostVeth).toBe(veth);
  expect(f.record).toMatchObject({ containerId: container, ifname: "eth0", pod: { namespace: "default", name: "web-1", uid: "u-1" } });
  expect(report("198.18.0.5", f).findings).toEqual([]);
  expect(nodeFacts(raw({ record: "not/a-record" })).hostVeth).toBeUndefined();
});
