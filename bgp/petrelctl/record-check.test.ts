import { block, pod, pool } from "./testing/objects.ts";
import { checkIpam } from "./ipam-check.ts";
import { checkRecords, parseRecord } from "./record-check.ts";
import type { PodInfo, RecordEntry } from "./check-model.ts";

const pools = [pool("main", "198.18.0.0/22"), pool("v6", "2001:db8:1::/120")];
const blocks = [block("198.18.0.0/26", "node-a", "main", 3), block("198.18.0.64/26", "node-b", "main", 1), block("2001:db8:1::/122", "node-a", "v6", 1)];
const rec = (name: string, container = `c-${name}`): RecordEntry => ({ name, target: `petrel/${container}/eth0` });

function run(entries: readonly RecordEntry[], pods: readonly PodInfo[], stateDir = "/var/lib/petrel") {
  return checkRecords({ node: "node-a", stateDir, entries, addresses: checkIpam(pools, blocks, pods).addresses });
}

test("records parse the way the plugin writes them", () => {
  expect(parseRecord(rec("198.18.0.5", "abc"))).toEqual({ name: "198.18.0.5", address: { family: 4, value: 0xc6120005n }, network: "petrel", containerId: "abc", ifname: "eth0" });
  expect(parseRecord({ name: "198.18.0.5", target: "petrel/abc" })).toBeUndefined();
  expect(parseRecord({ name: "198.18.0.5", target: "petrel//eth0" })).toBeUndefined();
  expect(parseRecord({ name: "not-an-ip", target: "petrel/abc/eth0" })).toBeUndefined();
  expect(parseRecord({ name: "198.18.0.5", target: undefined })).toBeUndefined();
});

test("every record has its pod and every pod its record: nothing to report", () => {
  const r = run(
    [rec("198.18.0.1"), rec("198.18.0.2"), rec("2001:db8:1::2"), { name: ".lock", target: undefined }, { name: ".last-reserved-v4", target: "198.18.0.2" }],
    [pod("default/a", "node-a", ["198.18.0.1", "2001:db8:1::2"]), pod("default/b", "node-a", ["198.18.0.2"]), pod("default/elsewhere", "node-b", ["198.18.0.65"])],
  );
  expect(r).toEqual({ findings: [], records: 3 });
});

test("a record without a pod, and a pod without a record", () => {
  const r = run(
    [rec("198.18.0.1"), rec("198.18.0.7", "0123456789abcdef0123"), rec("198.18.0.65")],
    [pod("default/a", "node-a", ["198.18.0.1"]), pod("default/unrecorded", "node-a", ["198.18.0.3"]), pod("default/b", "node-b", ["198.18.0.65"])],
    "/var/lib/petrel/",
  );
  expect(r.records).toBe(3);
  expect(r.findings.map((f) => `${f.kind} ${f.object}`)).toEqual([
    "record-without-pod address 198.18.0.7",
    "record-without-pod address 198.18.0.65",
    "pod-without-record Pod default/unrecorded",
  ]);
  expect(r.findings[1]?.message).toContain("the API shows it on default/b on node-b");
  expect(r.findings[0]?.message).toBe(
    "/var/lib/petrel/allocations/198.18.0.7 records 198.18.0.7 for container 0123456789ab (network petrel, eth0), but no pod on node-a has that address",
  );
  expect(r.findings[0]?.fix).toContain("rm /var/lib/petrel/allocations/198.18.0.7");
  expect(r.findings[2]?.message).toBe("Pod default/unrecorded on node-a has address 198.18.0.3, but /var/lib/petrel/allocations/ has no record of it");
  expect(r.findings[2]?.fix).toContain("kubectl delete pod -n default unrecorded");
});

test("malformed entries are reported, not matched", () => {
  const r = run([{ name: "junk", target: "x/y/z" }, { name: "198.18.0.1", target: undefined }], []);
  expect(r.records).toBe(0);
  expect(r.findings.map((f) => f.kind)).toEqual(["bad-record", "bad-record"]);
  expect(r.findings[0]?.message).toContain("/var/lib/petrel/allocations/198.18.0.1 is not an allocation record: not a readable symlink");
  expect(r.findings[1]?.message).toContain('/var/lib/petrel/allocations/junk is not an allocation record: target "x/y/z"');
});

test("pods that hold no address (finished, host network) need no record", () => {
  const r = run([], [pod("default/done", "node-a", ["198.18.0.9"], { phase: "Failed" }), pod("default/host", "node-a", ["198.18.0.10"], { hostNetwork: true })]);
  expect(r.findings).toEqual([]);
});
