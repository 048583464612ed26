import { block, pod, pool } from "./testing/objects.ts";
import { checkIpam } from "./ipam-check.ts";

const pools = [pool("main", "198.18.0.0/22"), pool("v6", "2001:db8:1::/120")];
const kinds = (r: ReturnType<typeof checkIpam>) => r.findings.map((f) => `${f.kind} ${f.object}${f.count === undefined ? "" : ` ${f.count}`}`);

test("a consistent cluster has no findings", () => {
  const blocks = [block("198.18.0.0/26", "node-a", "main", 2), block("198.18.0.64/26", "node-b", "main", 1), block("2001:db8:1::/122", "node-a", "v6", 1)];
  const pods = [
    pod("default/a1", "node-a", ["198.18.0.1", "2001:db8:1::5"]),
    pod("default/a2", "node-a", ["198.18.0.2"]),
    pod("kube-system/b1", "node-b", ["198.18.0.70"]),
    pod("kube-system/agent", "node-b", ["192.0.2.12"], { hostNetwork: true }),
    pod("default/other-cni", "node-b", ["10.1.2.3"]), // outside every pool: not Petrel's
    pod("default/pending", undefined, []),
  ];
  const r = checkIpam(pools, blocks, pods);
  expect(r.findings).toEqual([]);
  expect(r.addresses.map((a) => a.text)).toEqual(["198.18.0.1", "2001:db8:1::5", "198.18.0.2", "198.18.0.70"]);
});

test("(a) overlapping blocks, nested and across nodes, once per pair", () => {
  const blocks = [
    block("198.18.0.0/24", "node-a", "main", 0, { name: "big" }),
    block("198.18.0.0/26", "node-b", "main", 0),
    block("198.18.0.64/26", "node-a", "main", 0),
    block("198.18.1.0/26", "node-c", "main", 0),
  ];
  const r = checkIpam(pools, blocks, []);
  expect(kinds(r)).toEqual(["block-overlap IPAMBlock big", "block-overlap IPAMBlock big"]);
  expect(r.findings[0]?.message).toBe(
    "IPAMBlock big (198.18.0.0/24, node node-a, pool main) overlaps IPAMBlock 198-18-0-0-26 (198.18.0.0/26, node node-b, pool main): both nodes may hand out the same addresses",
  );
  expect(r.findings[1]?.message).toContain("overlaps IPAMBlock 198-18-0-64-26 (198.18.0.64/26, node node-a, pool main): the node may hand out");
  expect(r.findings[0]?.fix).toBe(
    "The controller never cuts overlapping blocks from one pool, so one of them was made by hand. Move the pods off the wrong block by deleting them or draining its node, then delete it (kubectl delete ipamblock NAME)",
  );
});

test("(a) overlapping blocks of two pools name the pools and the newer block", () => {
  const older = { ...block("198.18.0.0/26", "node-a", "main", 0), metadata: { name: "198-18-0-0-26", creationTimestamp: "2026-01-01T00:00:00Z" } };
  const newer = { ...block("198.18.0.0/25", "node-b", "other", 0), metadata: { name: "198-18-0-0-25", creationTimestamp: "2026-02-01T00:00:00Z" } };
  const r = checkIpam([...pools, pool("other", "198.18.0.0/24")], [older, newer], []);
  expect(r.findings.map((f) => f.fix)).toEqual([
    "Pools other and main overlap (petrelctl ipam show), or one block was made by hand. Move the pods off the wrong block (the newer of the two is IPAMBlock 198-18-0-0-25) by deleting them or draining its node, then delete it (kubectl delete ipamblock NAME)",
  ]);
});

test("(a) blocks outside their pool, of a missing pool, or not a CIDR", () => {
  const blocks = [
    block("198.18.8.0/26", "node-a", "main", 0),
    block("198.18.0.0/26", "node-a", "gone", 0),
    { ...block("198.18.0.64/26", "node-a", "main", 0), spec: { cidr: "not-a-cidr", pool: "main", node: "node-a" } },
  ];
  const r = checkIpam(pools, blocks, []);
  expect(kinds(r)).toEqual(["block-invalid IPAMBlock 198-18-0-64-26", "block-without-pool IPAMBlock 198-18-0-0-26", "block-outside-pool IPAMBlock 198-18-8-0-26"]);
  expect(r.findings[1]?.message).toBe("IPAMBlock 198-18-0-0-26 (198.18.0.0/26, node node-a, pool gone) names IPPool gone, which does not exist");
  expect(r.findings[2]?.message).toBe("IPAMBlock 198-18-8-0-26 (198.18.8.0/26, node node-a, pool main) lies outside its pool's CIDR 198.18.0.0/22");
});

test("(b) pods whose address is not in a block of their node", () => {
  const blocks = [block("198.18.0.0/26", "node-a", "main", 1), block("198.18.0.64/26", "node-b", "main", 0)];
  const pods = [
    pod("default/ok", "node-a", ["198.18.0.1"]),
    pod("default/moved", "node-a", ["198.18.0.65"]), // node-b's block
    pod("team/lost", "node-b", ["198.18.3.3"]), // in the pool, in no block
    pod("default/done", "node-b", ["198.18.3.4"], { phase: "Succeeded" }), // holds nothing any more
    pod("default/host", "node-b", ["198.18.3.5"], { hostNetwork: true }),
  ];
  const r = checkIpam(pools, blocks, pods);
  expect(kinds(r)).toEqual(["pod-without-allocation Pod default/moved", "pod-without-allocation Pod team/lost"]);
  expect(r.findings[0]?.message).toBe(
    "Pod default/moved on node-a has address 198.18.0.65, which is in IPAMBlock 198-18-0-64-26 of node node-b, not in a block of node-a (pod without an allocation)",
  );
  expect(r.findings[1]?.message).toBe("Pod team/lost on node-b has address 198.18.3.3, which is in no IPAMBlock (pod without an allocation)");
  expect(r.findings[1]?.fix).toContain("kubectl delete pod -n team lost");
  expect(r.findings[1]?.node).toBe("node-b");
});

test("(b) an address held by two pods", () => {
  const blocks = [block("198.18.0.0/26", "node-a", "main", 2)];
  const r = checkIpam(pools, blocks, [pod("default/x", "node-a", ["198.18.0.9"]), pod("default/y", "node-a", ["198.18.0.9"])]);
  expect(kinds(r)).toEqual(["duplicate-pod-address address 198.18.0.9"]);
  expect(r.findings[0]?.message).toBe("address 198.18.0.9 is held by 2 pods: default/x on node-a, default/y on node-a");
  expect(r.findings[0]?.fix).toContain("kubectl delete pod -n default y");
});

test("(c) blocks with more addresses allocated than pods, counted per block and per node", () => {
  const blocks = [
    block("198.18.0.0/26", "node-a", "main", 5),
    block("198.18.0.64/26", "node-b", "main", 1),
    block("198.18.0.128/26", "node-c", "main"), // no status yet: not judged
    block("2001:db8:1::/122", "node-a", "v6", 0),
  ];
  const pods = [
    pod("default/a1", "node-a", ["198.18.0.1", "2001:db8:1::1"]),
    pod("default/a2", "node-a", ["198.18.0.2"]),
    // On node-b but with an address of node-a's block: it is not one of that block's pods.
    pod("default/b1", "node-b", ["198.18.0.3"]),
  ];
  const r = checkIpam(pools, blocks, pods);
  expect(kinds(r)).toEqual([
    "pod-without-allocation Pod default/b1",
    "allocated-without-pod IPAMBlock 198-18-0-0-26 3",
    "allocated-without-pod IPAMBlock 198-18-0-64-26 1",
  ]);
  expect(r.findings[1]?.message).toBe(
    "IPAMBlock 198-18-0-0-26 (198.18.0.0/26, node node-a, pool main) has 5 addresses allocated but 2 pods on node-a with an address in it: 3 addresses allocated without a pod",
  );
  expect(r.findings[2]?.message).toContain("has 1 address allocated but 0 pods on node-b with an address in it: 1 address allocated without a pod");
  expect(r.findings[2]?.fix).toContain("petrelctl ipam check --state-dir /var/lib/petrel --node node-b");
});

test("IPv6 pod addresses in any written form match their block", () => {
  const blocks = [block("2001:db8:1::/122", "node-a", "v6", 1)];
  const r = checkIpam(pools, blocks, [pod("default/v6", "node-a", ["2001:0DB8:0001:0000:0000:0000:0000:0007"])]);
  expect(r.findings).toEqual([]);
});
