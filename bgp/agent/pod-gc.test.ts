import { decodeRecord, encodeRecordTarget, type DecodedRecord } from "../../common/allocation-record.ts";
import { parseAddress } from "../../common/cidr.ts";
import { silentLogger } from "../../common/logger.ts";
import type { NodePod, RecordSeen } from "./ipam-consistency.ts";
import { PodGc, type PodGcPorts } from "./pod-gc.ts";

const record = (addr: string, id: string, podName: string, uid: string): RecordSeen => ({
  name: addr,
  record: decodeRecord(addr, encodeRecordTarget({ address: parseAddress(addr), network: "petrel", containerId: id, ifname: "eth0", pod: { namespace: "default", name: podName, uid } })),
});

function world() {
  const calls: string[] = [];
  let records: RecordSeen[] = [record("198.18.0.1", "c1", "web-1", "u1"), record("198.18.0.2", "c2", "web-2", "u2")];
  const pods: NodePod[] = [{ namespace: "default", name: "web-1", uid: "u1", phase: "Running", hostNetwork: false, ips: ["198.18.0.1"] }];
  const clock = { now: 0 };
  let inLock = false;
  const ports: PodGcPorts = {
    pods: () => pods,
    blocks: () => ["198.18.0.0/26"],
    pools: () => ["198.18.0.0/16"],
    records: () => records,
    podRoutes: async () => ["198.18.0.1/32", "198.18.0.2/32"],
    locked: async (fn) => {
      calls.push("lock");
      inLock = true;
      try {
        return await fn();
      } finally {
        inLock = false;
        calls.push("unlock");
      }
    },
    release: async (r: DecodedRecord) => {
      if (!inLock) throw new Error("released without the lock");
      calls.push(`release ${r.containerId}`);
      records = records.filter((x) => x.record?.containerId !== r.containerId);
    },
    podEvent: async (pod, reason) => void calls.push(`event ${pod.namespace}/${pod.name} ${reason}`),
    log: silentLogger,
    now: () => clock.now,
  };
  return { ports, calls, clock, setRecords: (r: RecordSeen[]) => (records = r) };
}

describe("PodGc", () => {
  it("destroys DEL's retired pairs on every pass, and a failure to do so neither fails the pass nor stops the check", async () => {
    const w = world();
    let reaps = 0;
    const gc = new PodGc({ ...w.ports, reapRetired: async () => (reaps++, true) }, 60_000);
    await gc.pass();
    await gc.pass();
    expect(reaps).toBe(2);
    const failing = new PodGc({ ...w.ports, reapRetired: () => Promise.reject(new Error("ip link del group 89 failed")) }, 0);
    const result = await failing.pass();
    expect(result.clean).toBe(true);
    expect(w.calls).toEqual(["lock", "release c2", "event default/web-2 PetrelAddressReleased", "unlock"]);
  });

  it("frees a gone pod's record after the grace period, under the plugin's locks, with an Event", async () => {
    const w = world();
    const counts: unknown[] = [];
    const gc = new PodGc(w.ports, 60_000, { inconsistencies: (c) => void counts.push(c), released: () => undefined });
    expect((await gc.pass()).wakeAfterMs).toBe(60_000);
    expect(w.calls).toEqual([]);
    expect(counts[0]).toMatchObject({ record_without_pod: 1, route_without_record: 0 });
    w.clock.now = 60_000;
    await gc.pass();
    expect(w.calls).toEqual(["lock", "release c2", "event default/web-2 PetrelAddressReleased", "unlock"]);
    expect(gc.releasedTotal).toBe(1);
  });

  it("leaves a record that changed since the plan (the address was reused meanwhile)", async () => {
    const w = world();
    const gc = new PodGc(w.ports, 60_000);
    await gc.pass();
    w.clock.now = 60_000;
    const reused = [record("198.18.0.1", "c1", "web-1", "u1"), record("198.18.0.2", "c9", "web-9", "u9")];
    const ports = { ...w.ports, records: (() => { let n = 0; return () => (n++ === 0 ? [record("198.18.0.1", "c1", "web-1", "u1"), record("198.18.0.2", "c2", "web-2", "u2")] : reused); })() };
    const gc2 = new PodGc(ports, 0);
    await gc2.pass();
    expect(w.calls.filter((c) => c.startsWith("release"))).toEqual([]);
  });
});
