import type { Finding } from "./check-model.ts";
import { planRelease, reportTarget } from "./release-plan.ts";

const leak = (address: string, record: string): Finding => ({ kind: "record-without-pod", object: `address ${address}`, node: "node-a", address, record, message: "", fix: "" });
const report = {
  findings: [leak("198.18.0.7", "petrel/c7/eth0"), leak("198.18.0.8", "petrel/c8/eth0"), leak("198.18.0.9", "petrel/c9/eth0"), leak("198.18.0.10", "petrel/c10/eth0"),
    { kind: "pod-without-record", object: "Pod default/x", message: "", fix: "" }],
  checked: { pools: 1, blocks: 1, podAddresses: 0, records: { node: "node-a", stateDir: "/var/lib/petrel", count: 4 } },
};

describe("release from a report", () => {
  it("frees only what is exactly as the report saw it and still leaked", () => {
    const target = reportTarget(report, "r.json");
    expect(target).toMatchObject({ node: "node-a", stateDir: "/var/lib/petrel" });
    const entries = [
      { name: "198.18.0.7", target: "petrel/c7/eth0" }, // unchanged and still leaked: freed
      { name: "198.18.0.8", target: "petrel/c99/eth0" }, // reused by another ADD since
      { name: "198.18.0.10", target: "petrel/c10/eth0" }, // unchanged, but a pod has it now
    ];
    const fresh = [leak("198.18.0.7", "petrel/c7/eth0"), leak("198.18.0.8", "petrel/c99/eth0")];
    expect(planRelease(target, entries, fresh).map((d) => [d.address, d.release, d.reason.split(":")[0]])).toEqual([
      ["198.18.0.7", true, "freed (record petrel/c7/eth0)"],
      ["198.18.0.8", false, "changed since the report"],
      ["198.18.0.9", false, "already gone"],
      ["198.18.0.10", false, "no longer a leak"],
    ]);
  });

  it("refuses a file that is not a node report", () => {
    expect(() => reportTarget({ findings: [] }, "r.json")).toThrow(/r.json is not a report of petrelctl ipam check --state-dir/);
  });
});
