import { decodeRecord, encodeRecordTarget, type DecodedRecord } from "../../common/allocation-record.ts";
import { parseAddress } from "../../common/cidr.ts";
import { checkConsistency, type ConsistencyInput, type NodePod } from "./ipam-consistency.ts";

const rec = (addr: string, id: string, pod?: { namespace: string; name: string; uid?: string }): { name: string; record: DecodedRecord | undefined } => ({
  name: addr,
  record: decodeRecord(addr, encodeRecordTarget({ address: parseAddress(addr), network: "petrel", containerId: id, ifname: "eth0", ...(pod === undefined ? {} : { pod }) })),
});
const pod = (name: string, uid: string, ip: string, phase = "Running"): NodePod => ({ namespace: "default", name, uid, phase, hostNetwork: false, ips: [ip] });
const minute = 60_000;

const base = (o: Partial<ConsistencyInput> = {}): ConsistencyInput => ({
  records: [
    rec("198.18.0.1", "c1", { namespace: "default", name: "web-1", uid: "u1" }),
    rec("198.18.0.2", "c2", { namespace: "default", name: "web-2", uid: "u2" }),
  ],
  pods: [pod("web-1", "u1", "198.18.0.1"), pod("web-2", "u2", "198.18.0.2")],
  blocks: ["198.18.0.0/26"],
  pools: ["198.18.0.0/16"],
  podRoutes: ["198.18.0.1", "198.18.0.2"],
  since: new Map(),
  now: 0,
  graceMs: 5 * minute,
  ...o,
});

describe("checkConsistency", () => {
  it("finds nothing when records, pods, blocks and routes agree", () => {
    const r = checkConsistency(base());
    expect(r.counts).toEqual({ record_without_pod: 0, pod_without_record: 0, record_outside_blocks: 0, route_without_record: 0, record_without_route: 0 });
    expect(r.releases).toEqual([]);
  });

  it("counts each kind", () => {
    const r = checkConsistency(base({
      records: [...base().records, rec("198.18.9.9", "c9"), rec("198.18.0.3", "c3", { namespace: "default", name: "gone", uid: "u3" })],
      pods: [...(base().pods ?? []), pod("no-record", "u4", "198.18.0.4"), pod("other-net", "u5", "10.1.2.3"), { ...pod("host", "u6", "192.0.2.1"), hostNetwork: true }],
      podRoutes: ["198.18.0.1", "198.18.0.2", "198.18.0.77/32"],
    }));
    expect(r.counts).toEqual({
      record_without_pod: 2, // 198.18.9.9 (no identity, no pod with the address) and 198.18.0.3 (pod gone)
      pod_without_record: 1, // no-record; other-net is outside every pool, host uses the node's address
      record_outside_blocks: 1, // 198.18.9.9
      route_without_record: 1, // 198.18.0.77
      record_without_route: 2, // 198.18.9.9, 198.18.0.3
    });
  });

  it("frees a record whose pod is gone only after the grace period, on its own clock", () => {
    const input = base({ pods: [pod("web-1", "u1", "198.18.0.1")] });
    const first = checkConsistency(input);
    expect(first.releases).toEqual([]);
    expect(first.wakeAfterMs).toBe(5 * minute);
    const almost = checkConsistency({ ...input, since: first.since, now: 5 * minute - 1 });
    expect(almost.releases).toEqual([]);
    const due = checkConsistency({ ...input, since: almost.since, now: 5 * minute });
    expect(due.releases.map((x) => [x.record.containerId, x.missingForMs])).toEqual([["c2", 5 * minute]]);
  });

  it("restarts the clock when the pod shows up again, and tracks a rewritten record afresh", () => {
    const gone = base({ pods: [pod("web-1", "u1", "198.18.0.1")] });
    const p1 = checkConsistency(gone);
    const p2 = checkConsistency({ ...base(), since: p1.since, now: 3 * minute });
    expect(p2.since.size).toBe(0);
    const p3 = checkConsistency({ ...gone, since: p2.since, now: 6 * minute });
    expect(p3.releases).toEqual([]);
    // The address was handed to another pod meanwhile: a new record, a new clock.
    const reused = { ...gone, records: [gone.records[0], rec("198.18.0.2", "c7", { namespace: "default", name: "web-7", uid: "u7" })] } as ConsistencyInput;
    const p4 = checkConsistency({ ...reused, since: p3.since, now: 10 * minute });
    expect(p4.releases).toEqual([]);
  });

  it("never frees while the Pod view is not synced, nor a record without the pod's identity", () => {
    const unsynced = checkConsistency(base({ pods: undefined, now: 60 * minute, since: new Map([["x", 0]]) }));
    expect(unsynced.releases).toEqual([]);
    expect(unsynced.counts.record_without_pod).toBeUndefined();
    const p1 = checkConsistency(base({ records: [rec("198.18.0.9", "old")], pods: [] }));
    const p2 = checkConsistency(base({ records: [rec("198.18.0.9", "old")], pods: [], since: p1.since, now: 60 * minute }));
    expect(p2.counts.record_without_pod).toBe(1);
    expect(p2.releases).toEqual([]);
  });

  it("frees the record of a pod's dead sandbox: same pod, another address now; keeps records of a pod without an address yet", () => {
    const input = base({ pods: [pod("web-1", "u1", "198.18.0.9"), { ...pod("web-2", "u2", ""), ips: [] }] });
    const p1 = checkConsistency(input);
    const p2 = checkConsistency({ ...input, since: p1.since, now: 5 * minute });
    expect(p2.releases.map((x) => x.record.containerId)).toEqual(["c1"]);
  });

  it("treats Succeeded and Failed pods as gone, and a pod re-created under the same name (new uid) as another pod", () => {
    const input = base({ pods: [pod("web-1", "u1", "198.18.0.1", "Succeeded"), pod("web-2", "u2-new", "198.18.0.5")] });
    const p1 = checkConsistency(input);
    const p2 = checkConsistency({ ...input, since: p1.since, now: 5 * minute });
    expect(p2.releases.map((x) => x.record.containerId).sort()).toEqual(["c1", "c2"]);
  });
});
